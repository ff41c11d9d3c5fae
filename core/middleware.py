"""Requests refused before they reach a view: paths that no URL can hold."""

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
