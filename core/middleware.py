"""Site-wide request and response rules: paths no URL can hold are refused; the pages get a CSP."""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse

API_PREFIXES = ("/api/", "/fhir/")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


class RejectNulInPathMiddleware:
    """A NUL character in the path is a 400 naming the path.

    No URL of the site contains one, yet a path parameter carrying it (a
    state code, a slug) would reach a database lookup, and PostgreSQL
    refuses NUL in text with an error (a 500) instead of "no such row".
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            message = "The address must not contain NUL characters."
            if is_api_path(request.path):
                return JsonResponse({"detail": f"path: {message}", "errors": {"path": [message]}}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)


def tile_source(tile_url: str) -> str:
    """The CSP source of a map tile URL template: its scheme and host, a `*.` wildcard for a
    `{s}` subdomain ("https://{s}.tile.example.org/{z}/{x}/{y}.png" -> "https://*.tile.example.org")."""
    parts = urlsplit(tile_url.replace("{s}.", "subdomain-placeholder."))
    host = parts.netloc.replace("subdomain-placeholder.", "*.")
    return f"{parts.scheme}://{host}" if parts.scheme and host else ""


class ContentSecurityPolicyMiddleware:
    """A Content-Security-Policy on the site's own HTML pages (patient pages, their 404).

    Written here rather than with django-csp: the policy is one header built from one
    setting (the map's tile host), and it applies to the pages we write; the admin and
    the API docs (drf-spectacular's Swagger UI, which runs inline scripts) keep their
    own, so a library's site-wide policy would need an exemption for each of them.
    The pages load scripts and styles from our static files only; the map's tiles
    come from MAP_TILE_URL's host.
    """

    EXEMPT_PREFIXES = ("/admin/", "/api/", "/fhir/", "/static/", "/media/")

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def policy() -> str:
        tiles = tile_source(settings.MAP_TILE_URL)
        return "; ".join(
            [
                "default-src 'self'",
                "script-src 'self'",
                "style-src 'self'",
                f"img-src 'self' data: {tiles}".strip(),
                "connect-src 'self'",
                "font-src 'self'",
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
                "frame-ancestors 'none'",
            ]
        )

    def __call__(self, request):
        response = self.get_response(request)
        if (
            not request.path.startswith(self.EXEMPT_PREFIXES)
            and response.get("Content-Type", "").startswith("text/html")
            and "Content-Security-Policy" not in response
        ):
            response["Content-Security-Policy"] = self.policy()
        return response
