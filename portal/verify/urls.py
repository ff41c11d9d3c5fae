from django.urls import path

from . import views

urlpatterns = [
    path("", views.QueueView.as_view(), name="verify-queue"),
    path("credentials/<int:pk>/", views.CredentialView.as_view(), name="verify-credential"),
    path("credentials/<int:pk>/document/", views.DocumentView.as_view(), name="verify-document"),
    path("matches/<int:pk>/", views.MatchDecisionView.as_view(), name="verify-match"),
]
