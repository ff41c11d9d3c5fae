"""One error shape for the whole API: {"detail": "...", "errors": {field: [...]}}.

DRF's default handler already picks the status code; this only reshapes
validation errors so every 400 names the offending parameter or field, and
turns Django's own ValidationError (raised by model full_clean() in services)
into a 400 instead of a 500.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.views import exception_handler


def _as_lists(detail):
    if isinstance(detail, dict):
        return {key: _as_lists(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [str(item) if not isinstance(item, (dict, list)) else _as_lists(item) for item in detail]
    return [str(detail)]


def _summary(errors):
    parts = []
    for field, messages in errors.items():
        if isinstance(messages, list) and messages and isinstance(messages[0], str):
            parts.append(f"{field}: {messages[0]}")
        else:
            parts.append(f"{field}: invalid")
    return "; ".join(parts) or "Invalid input."


def api_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)

    response = exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        data = exc.detail
        if not isinstance(data, dict):
            data = {"non_field_errors": data}
        errors = _as_lists(data)
        response.data = {"detail": _summary(errors), "errors": errors}
    return response


class Conflict(exceptions.APIException):
    """The request is valid but conflicts with the object's current state."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class FieldNotFound(exceptions.NotFound):
    """A 404 for an id given in a body that the user may not reach (another clinic's location,
    say): the same answer as for an id that does not exist, so ids cannot be probed."""

    def __init__(self, field: str, message: str):
        super().__init__({"detail": f"{field}: {message}", "errors": {field: [message]}})
