from django.urls import path

from . import views

urlpatterns = [
    path("practitioners/<slug:slug>/", views.PractitionerDetailView.as_view(), name="practitioner-detail"),
    path("clinics/<int:clinic_pk>/roster-import/", views.RosterImportView.as_view(), name="clinic-roster-import"),
    path(
        "clinics/<int:clinic_pk>/roster-imports/<int:pk>/",
        views.RosterImportJobView.as_view(),
        name="clinic-roster-import-job",
    ),
]
