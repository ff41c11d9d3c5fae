"""Writes of the exclusion screening that an admin makes: confirming or dismissing a match.

A match stands (the practitioner is listed as qualified nowhere) from the
moment screening finds it until an admin dismisses it; a confirmation keeps
it standing even after the exclusion leaves the list, until dismissed.
Each decision is an append-only ExclusionDecision with its reason, and the
practitioner's listings are requalified in the same transaction, so the
public search agrees the moment the decision is saved.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.exceptions import Conflict

from .models import ExclusionDecision, ExclusionMatch, MatchStatus


class MatchConflict(Conflict):
    """The match is already in the state the decision asks for (HTTP 409)."""


MATCH_DECISIONS = (MatchStatus.CONFIRMED, MatchStatus.DISMISSED)


@transaction.atomic
def exclusion_match_decide(
    *, match: ExclusionMatch, status_after: str, reason: str, decided_by, today: datetime.date | None = None
) -> ExclusionMatch:
    """Confirm (the same person) or dismiss (not the same person) a match, with a reason.

    The row is locked, so two admins deciding at once are serialised and the
    second one, asking for what is already so, gets a MatchConflict.
    """
    from credentials.services import practitioner_requalify

    errors = {}
    if status_after not in MATCH_DECISIONS:
        errors["decision"] = f"Unknown decision '{status_after}'. Known: {', '.join(MATCH_DECISIONS)}."
    if not (reason or "").strip():
        errors["reason"] = "Give a reason."
    if errors:
        raise ValidationError(errors)
    match = ExclusionMatch.objects.select_for_update().select_related("practitioner").get(pk=match.pk)
    if match.status == status_after:
        raise MatchConflict(f"This match is already {match.get_status_display().lower()}.")
    ExclusionDecision.objects.create(
        match=match, status_after=status_after, reason=reason.strip(), decided_by=decided_by, decided_at=timezone.now()
    )
    ExclusionMatch.objects.filter(pk=match.pk).update(status=status_after)
    match.status = status_after
    practitioner_requalify(practitioner=match.practitioner, today=today)
    return match
