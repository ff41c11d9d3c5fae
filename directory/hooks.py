"""The one hook the directory's writers call when listings may need requalifying.

The directory knows nothing of credentials, yet who is qualified where
depends on the listings it writes: a new listing, a location moved to
another state, a practitioner whose profession changed. Every directory
write service that changes one of those ends by calling
`listings_changed(practitioner_ids=...)`; the credentials app registers its
receiver once, in `CredentialsConfig.ready()`. A reader of a service sees
the call, unlike a model signal, and a bulk write or a `queryset.update`
cannot skip it, because only the services write these rows.

Receivers run synchronously, inside the writer's transaction: when the
service returns, the listing's qualified days are already right, and a
receiver that fails rolls the whole write back instead of leaving a
listing qualified on stale facts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

Receiver = Callable[..., None]

_receivers: list[Receiver] = []


def register(receiver: Receiver) -> None:
    """Call `receiver(practitioner_ids=[...])` whenever the directory's listings change."""
    if receiver not in _receivers:
        _receivers.append(receiver)


def listings_changed(*, practitioner_ids: Iterable[int]) -> None:
    """Tell every registered receiver that these practitioners' listings changed."""
    ids = sorted(set(practitioner_ids))
    if not ids:
        return
    for receiver in _receivers:
        receiver(practitioner_ids=ids)
