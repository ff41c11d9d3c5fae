from django.urls import path, re_path

from . import views

urlpatterns = [
    path("credentials/", views.CredentialListCreateView.as_view(), name="credential-list"),
    path("credentials/<int:pk>/", views.CredentialDetailView.as_view(), name="credential-detail"),
    path("credentials/<int:pk>/document/", views.CredentialDocumentView.as_view(), name="credential-document"),
    path("credentials/<int:pk>/history/", views.CredentialHistoryView.as_view(), name="credential-history"),
    # The published API spells the decisions without a trailing slash; both work.
    *[
        re_path(
            rf"^credentials/(?P<pk>[0-9]+)/{action}/?$",
            views.CredentialDecisionView.as_view(decision=action),
            name=f"credential-{action}",
        )
        for action in ("verify", "reject", "revoke")
    ],
    path(
        "clinics/<int:clinic_pk>/expiring-credentials/",
        views.ExpiringCredentialsView.as_view(),
        name="clinic-expiring-credentials",
    ),
    path("verification-queue/", views.VerificationQueueView.as_view(), name="verification-queue"),
    path("state-rules/", views.StateRuleListCreateView.as_view(), name="state-rule-list"),
    path("state-rules/<str:state>/", views.StateRuleDetailView.as_view(), name="state-rule-detail"),
]
