"""URL map: the patient pages, the versioned API, its schema and docs, the admin and a health check."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.auth import RefreshView, TokenObtainView, throttled_login
from core.health import healthz
from portal import pages

urlpatterns = [
    path("", pages.search_page, name="search-page"),
    path("practitioners/<slug:slug>/", pages.practitioner_page, name="practitioner-page"),
    path("dry-needling-right-for-me/", pages.right_for_me_page, name="right-for-me"),
    path("verify/", include("portal.verify.urls")),
    path("clinic/", include("portal.clinic.urls")),
    path("healthz", healthz, name="healthz"),
    path("admin/login/", throttled_login(admin.site.login), name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/auth/token/", TokenObtainView.as_view(), name="token-obtain"),
    path("api/v1/auth/token/refresh/", RefreshView.as_view(), name="token-refresh"),
    path("api/v1/", include("directory.urls")),
    path("api/v1/", include("portal.urls")),
    path("api/v1/", include("credentials.urls")),
    path("fhir/", include("fhirapi.urls")),
]

handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
