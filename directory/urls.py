from django.urls import path

from . import views

urlpatterns = [
    path("practitioners/", views.PractitionerSearchView.as_view(), name="practitioner-search"),
    path("practitioners/<slug:slug>/", views.PractitionerDetailView.as_view(), name="practitioner-detail"),
    path("clinics/", views.ClinicSearchView.as_view(), name="clinic-search"),
    path("clinics/<int:pk>/", views.ClinicDetailView.as_view(), name="clinic-detail"),
]
