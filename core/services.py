"""The one helper every update service uses to change a row's fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def model_update(*, instance: M, fields: Iterable[str], data: Mapping[str, Any]) -> tuple[M, bool]:
    """Set those of `fields` that `data` gives and that differ; validate and save only them.

    Returns the instance and whether anything changed. A key of `data` that
    is not one of `fields` is a programming error (TypeError), never a field
    silently set or ignored: the services' typed changes (TypedDicts) say
    which keys a caller may give, and this enforces it at run time too.
    An auto_now field (`updated_at`) is saved along with a real change.
    """
    allowed = set(fields)
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise TypeError(f"{type(instance).__name__} cannot be updated here: {', '.join(unknown)}")
    changed = [field for field in fields if field in data and getattr(instance, field) != data[field]]
    if not changed:
        return instance, False
    for field in changed:
        setattr(instance, field, data[field])
    instance.full_clean()
    update_fields = list(changed)
    for field in instance._meta.concrete_fields:
        if getattr(field, "auto_now", False) and field.name not in update_fields:
            update_fields.append(field.name)
    instance.save(update_fields=update_fields)
    return instance, True
