"""The clinic workspace's addresses, under /clinic/ (namespace "clinic")."""

from django.urls import path

from . import views

app_name = "clinic"

C = "<int:clinic_id>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("password-reset/", views.password_reset, name="password-reset"),
    path("password-reset/sent/", views.password_reset_sent, name="password-reset-sent"),
    path("password-reset/<uidb64>/<token>/", views.password_reset_confirm, name="password-reset-confirm"),
    path("password-reset/done/", views.password_reset_complete, name="password-reset-complete"),
    path("join/", views.join, name="join"),
    path(C, views.dashboard, name="dashboard"),
    path(C + "therapists/", views.therapists, name="therapists"),
    path(C + "therapists/add/", views.therapist_add, name="therapist-add"),
    path(C + "therapists/<int:pk>/", views.therapist, name="therapist"),
    path(C + "therapists/<int:pk>/edit/", views.therapist_edit, name="therapist-edit"),
    path(C + "therapists/<int:pk>/remove/", views.therapist_remove, name="therapist-remove"),
    path(C + "therapists/<int:pk>/credentials/add/", views.credential_add, name="credential-add"),
    path(C + "locations/", views.locations, name="locations"),
    path(C + "locations/add/", views.location_edit, name="location-add"),
    path(C + "locations/<int:pk>/", views.location_edit, name="location-edit"),
    path(C + "credentials/", views.credentials, name="credentials"),
    path(C + "credentials/<int:pk>/", views.credential, name="credential"),
    path(C + "credentials/<int:pk>/document/", views.credential_document, name="credential-document"),
    path(C + "expiring/", views.expiring, name="expiring"),
    path(C + "roster/", views.roster_upload, name="roster"),
    path(C + "roster/template.csv", views.roster_template, name="roster-template"),
    path(C + "roster/<int:pk>/", views.roster_job, name="roster-job"),
    path(C + "roster/<int:pk>/status/", views.roster_job_status, name="roster-job-status"),
    path(C + "roster/<int:pk>/confirm/", views.roster_confirm, name="roster-confirm"),
    path(C + "requests/", views.requests_inbox, name="requests"),
    path(C + "requests/<int:pk>/contacted/", views.request_contacted, name="request-contacted"),
    path(C + "members/", views.members, name="members"),
    path(C + "members/<int:user_id>/role/", views.member_role, name="member-role"),
    path(C + "members/<int:user_id>/remove/", views.member_remove, name="member-remove"),
]
