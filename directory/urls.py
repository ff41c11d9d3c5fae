from django.urls import path

from . import clinic_views, views

urlpatterns = [
    path("practitioners/", views.PractitionerSearchView.as_view(), name="practitioner-search"),
    path(
        "consultation-requests/",
        views.ConsultationRequestCreateView.as_view(),
        name="consultation-request-create",
    ),
    path("clinics/", clinic_views.ClinicListCreateView.as_view(), name="clinic-search"),
    path("clinics/<int:pk>/", clinic_views.ClinicDetailUpdateView.as_view(), name="clinic-detail"),
    # Clinic self-service: scoped to the clinics the user manages.
    path("clinics/<int:clinic_pk>/members/", clinic_views.ClinicMemberListView.as_view(), name="clinic-members"),
    path(
        "clinics/<int:clinic_pk>/members/<int:user_id>/",
        clinic_views.ClinicMemberDetailView.as_view(),
        name="clinic-member-detail",
    ),
    path(
        "clinics/<int:clinic_pk>/invitations/",
        clinic_views.ClinicInvitationListCreateView.as_view(),
        name="clinic-invitations",
    ),
    path("invitations/accept/", clinic_views.InvitationAcceptView.as_view(), name="invitation-accept"),
    path("clinics/<int:clinic_pk>/locations/", clinic_views.LocationListCreateView.as_view(), name="clinic-locations"),
    path(
        "clinics/<int:clinic_pk>/locations/<int:pk>/",
        clinic_views.LocationDetailView.as_view(),
        name="clinic-location-detail",
    ),
    path(
        "clinics/<int:clinic_pk>/practitioners/",
        clinic_views.PractitionerListCreateView.as_view(),
        name="clinic-practitioners",
    ),
    path(
        "clinics/<int:clinic_pk>/practitioners/<int:pk>/",
        clinic_views.PractitionerDetailView.as_view(),
        name="clinic-practitioner-detail",
    ),
]
