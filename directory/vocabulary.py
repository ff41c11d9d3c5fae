"""The controlled vocabularies (specialties, techniques, languages), cached.

They are a few dozen rows that every search reads twice: to check the
filters a patient gave and to name each result's terms. They live in the
cache (shared between processes when CACHE_URL points at Redis), are
dropped as soon as one changes, and expire after a few minutes anyway, so a
process with a private cache sees another's change within that time.

Each process also keeps what it read for PROCESS_TTL_SECONDS: a search asked
the shared cache for a vocabulary five times (a Redis round trip each, 7 of
a search's 9 cache commands under cProfile). The process that makes a change
forgets its copy at once; the others see the change within those seconds.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

from .models import Language, Specialty, Technique

TTL_SECONDS = 300
PROCESS_TTL_SECONDS = 10

# model -> (monotonic time it expires, terms)
_local: dict[type, tuple[float, dict[int, tuple[str, str]]]] = {}

# relation on Practitioner -> (model, the public identifier's field)
VOCABULARIES = {
    "specialties": (Specialty, "slug"),
    "techniques": (Technique, "slug"),
    "languages": (Language, "code"),
}


def listing_copy(model) -> str:
    """The listing's column that copies its practitioner's ids of this vocabulary
    (Listing.specialty_ids, technique_ids, language_ids)."""
    return f"{model._meta.model_name}_ids"


def _key(model) -> str:
    return f"vocabulary:{model._meta.label_lower}"


def terms(model) -> dict[int, tuple[str, str]]:
    """{id: (public identifier, name)} of every term, in name order."""
    now = time.monotonic()
    kept = _local.get(model)
    if kept is not None and kept[0] > now:
        return kept[1]
    field = next(field for m, field in VOCABULARIES.values() if m is model)

    def load():
        return {
            pk: (ident, name) for pk, ident, name in model.objects.order_by("name").values_list("pk", field, "name")
        }

    loaded = cache.get_or_set(_key(model), load, TTL_SECONDS)
    _local[model] = (now + PROCESS_TTL_SECONDS, loaded)
    return loaded


def forget_local() -> None:
    """Drop this process's copies (the next read asks the shared cache)."""
    _local.clear()


def lookup(model):
    """A loader of {lower-cased identifier: (identifier, id)}, for the search filters."""

    def load():
        return {ident.lower(): (ident, pk) for pk, (ident, _) in terms(model).items()}

    return load


def _forget(sender, **kwargs):
    _local.pop(sender, None)
    cache.delete(_key(sender))


for _model, _ in VOCABULARIES.values():
    post_save.connect(_forget, sender=_model, dispatch_uid=f"vocabulary-save-{_model.__name__}")
    post_delete.connect(_forget, sender=_model, dispatch_uid=f"vocabulary-delete-{_model.__name__}")
