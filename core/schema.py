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


ERROR_COMPONENT = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "A one-line summary of what went wrong."},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Messages keyed by the offending parameter or field.",
        },
    },
    "required": ["detail"],
}

# Answers any operation may give, whatever its own view declares: a bad or expired token
# is a 401 even on a public endpoint (the token is checked before the permission), every
# client may be throttled, and the server's own 503 (signing in with the cache down).
ANY_OPERATION = {
    "401": "Not signed in, or the token is invalid or expired.",
    "429": "Too many requests from this client; the Retry-After header says when to try again.",
}
WITH_PATH_PARAMETERS = {"404": "No such object (or not one of yours)."}
SIGNED_IN = {"403": "Signed in, but not allowed to do this."}
WITH_BODY = {
    "400": "A field is invalid; `errors` names it.",
    "404": "An object the body names (by id or slug) does not exist, or is not one of yours; `errors` names the field.",
    "413": "The body is too large.",
    "415": "The body's media type is not one this operation reads.",
}
WRITES = {"409": "The request conflicts with the object's current state."}


def add_error_responses(result, generator, request, public):
    """drf-spectacular post-processing: document, on every operation, the error answers the
    API's shared plumbing can give it (in the one error shape), so a client (and a schema
    conformance check) never meets an undocumented status code."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR_COMPONENT)
    reference = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            extra = {**ANY_OPERATION, **SIGNED_IN}
            if "{" in path:
                extra |= WITH_PATH_PARAMETERS
            if operation.get("parameters") or "requestBody" in operation:
                extra["400"] = WITH_BODY["400"]
            if "requestBody" in operation:
                extra |= WITH_BODY
            if method in {"post", "put", "patch", "delete"}:
                extra |= WRITES
            responses = operation.setdefault("responses", {})
            for code, description in extra.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": reference}}}
                )
    return result
