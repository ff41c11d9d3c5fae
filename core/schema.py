"""OpenAPI pieces shared by every app: the documented error body."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorBody = inline_serializer(
    name="Error",
    fields={
        "detail": serializers.CharField(help_text="A one-line summary of what went wrong."),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="Messages keyed by the offending parameter or field.",
        ),
    },
)

BAD_REQUEST = OpenApiResponse(ErrorBody, description="A parameter or field is invalid; `errors` names it.")
NOT_FOUND = OpenApiResponse(ErrorBody, description="No such object (or not one of yours).")
TOO_MANY_REQUESTS = OpenApiResponse(
    ErrorBody, description="Too many requests from this client; the Retry-After header says when to try again."
)
