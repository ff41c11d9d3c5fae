"""Checks the services of both apps share."""
from collections.abc import Iterable

from django.core.exceptions import ValidationError


def reject_unknown_fields(data: dict, allowed: Iterable[str], message: str) -> None:
    """A ValidationError naming every key of `data` a service does not take.

    The API's serializers never pass such keys; this guards the services'
    other callers (the admin, commands, imports) from setting a field by accident.
    """
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({field: message for field in sorted(unknown)})
