"""View pieces the whole site shares: one `today` per request, and the 404 and 500 answers."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.functional import cached_property
from django.views import defaults

from core import clock
from core.middleware import is_api_path


class TodayMixin:
    """One `today` per request, for the services and the serializers alike (as `today` in
    the serializer context), so a request that spans midnight sees one day."""

    @cached_property
    def today(self):
        return clock.today()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": self.today}


def not_found(request, exception=None):
    """The 404 of the whole site: the API's JSON error shape under /api/ and /fhir/, the
    patient pages' own page elsewhere (a mistyped id in an API path is still an API answer)."""
    if is_api_path(request.path):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    """The 500 of the whole site, in the API's JSON shape under /api/ and /fhir/."""
    if is_api_path(request.path):
        return JsonResponse({"detail": "Something went wrong on our side; it has been logged."}, status=500)
    return defaults.server_error(request)
