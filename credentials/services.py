"""Writes of the credentials app: submit, update and decide on credentials, keep state
rules, and keep the directory's qualification facts in step with both.

Every change to a credential or a state rule ends in a requalification:
each listing's run of qualified days (`Listing.qualified_from` to
`qualified_until`) and `Practitioner.verified_training_hours` are
recomputed from the rows by the rule of credentials.qualification (as one
SQL statement per chunk of practitioners: credentials.requalification), so
the search's "qualified" (which reads only the listing's dates) is right
on the day it runs without any background job, including a run that starts
later, when a license passes a state's minimum years of practice.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Max, Min, OuterRef
from django.utils import timezone

from core import clock
from core.exceptions import Conflict
from core.services import model_update
from directory.models import Listing, Practitioner, Technique

from . import qualification, requalification
from .models import Action, Credential, Kind, Method, StateRule, Status, Verification, default_rule


class CredentialConflict(Conflict):
    """The decision does not fit the credential's current status (HTTP 409)."""


# Fields a clinic may give when submitting, and change while pending.
CREDENTIAL_FIELDS = (
    "kind",
    "name",
    "issuer",
    "jurisdiction",
    "license_number",
    "profession",
    "hours",
    "technique",
    "issued_on",
    "expires_on",
    "document",
)
UPDATABLE_FIELDS = tuple(field for field in CREDENTIAL_FIELDS if field != "kind")

# Practitioners per requalification statement: 50,000 take a few seconds and a few
# hundred MB of the server's work memory at most (bench/requalify.py).
REQUALIFY_CHUNK = 50_000


def _check_not_in_future(credential: Credential, today: datetime.date) -> None:
    # A credential from the future could open a second run of qualified
    # days after a gap, which one stored run cannot describe.
    if credential.issued_on and credential.issued_on > today:
        raise ValidationError({"issued_on": "The issue date cannot be in the future."})


# --- credentials ------------------------------------------------------------


@transaction.atomic
def credential_submit(
    *,
    practitioner: Practitioner,
    kind: str,
    issuer: str,
    issued_on: datetime.date,
    submitted_by=None,
    name: str = "",
    jurisdiction: str = "",
    license_number: str = "",
    profession: str = "",
    hours: int | None = None,
    technique: Technique | None = None,
    expires_on: datetime.date | None = None,
    document=None,
    today: datetime.date | None = None,
) -> Credential:
    """Record a credential for a practitioner, pending an admin's decision.

    A license without a profession is taken to be for the practitioner's own.
    """
    today = today or clock.today()
    if kind == Kind.LICENSE and not profession:
        profession = practitioner.profession
    credential = Credential(
        practitioner=practitioner,
        kind=kind,
        name=name or "",
        issuer=issuer or "",
        jurisdiction=jurisdiction or "",
        license_number=license_number or "",
        profession=profession or "",
        hours=hours,
        technique=technique,
        issued_on=issued_on,
        expires_on=expires_on,
        submitted_by=submitted_by,
    )
    if document:
        credential.document = document
    credential.full_clean()
    _check_not_in_future(credential, today)
    credential.save()
    return credential


@transaction.atomic
def credentials_submit_many(*, credentials: Sequence[Credential], submitted_by=None, today: datetime.date) -> None:
    """credential_submit for many at once (a roster's licenses): each validated as one would
    be, then written by one bulk INSERT. Pending credentials qualify no one, so no
    requalification follows (the admin's verification does it)."""
    for credential in credentials:
        credential.status = Status.PENDING
        credential.submitted_by = submitted_by
        if credential.kind == Kind.LICENSE and not credential.profession:
            credential.profession = credential.practitioner.profession
        credential.clean_fields(exclude=["practitioner", "technique", "document", "submitted_by"])
        credential.clean()
        _check_not_in_future(credential, today)
    Credential.objects.bulk_create(credentials, batch_size=1000)


def _describe(value) -> str:
    if value in (None, ""):
        return "(empty)"
    return getattr(value, "slug", None) or str(value)


class CredentialChanges(TypedDict, total=False):
    name: str
    issuer: str
    jurisdiction: str
    license_number: str
    profession: str
    hours: int | None
    technique: Technique | None
    issued_on: datetime.date
    expires_on: datetime.date | None
    document: Any


@transaction.atomic
def credential_update(
    *, credential: Credential, changes: CredentialChanges, changed_by=None, today: datetime.date | None = None
) -> Credential:
    """Change a credential's details (never its status, kind or practitioner).

    1. Pending: the details change; it is still waiting for a decision.
    2. Verified: what an admin checked is no longer what the record says,
       so it goes back to pending and into the queue (the practitioner
       stops counting it until it is verified again), and its history
       records who changed which facts. To renew a license without a gap,
       submit the new one instead.
    3. Rejected or revoked: a 409; submit a new credential.
    A change that changes nothing leaves the credential as it is.
    """
    today = today or clock.today()
    credential = Credential.objects.select_for_update().get(pk=credential.pk)
    if credential.status not in (Status.PENDING, Status.VERIFIED):
        raise CredentialConflict(f"This credential is {credential.status} and cannot be changed; submit a new one.")
    unknown = sorted(set(changes) - set(UPDATABLE_FIELDS))
    if unknown:
        raise TypeError(f"A credential's {', '.join(unknown)} cannot be changed here.")
    changed = []
    for field, value in changes.items():
        if field in {"name", "issuer", "jurisdiction", "license_number", "profession"} and value is None:
            value = ""
        before = getattr(credential, field)
        if field == "document" or before != value:
            changed.append((field, before))
            setattr(credential, field, value)
    if not changed:
        return credential
    credential.full_clean()
    _check_not_in_future(credential, today)

    before_status = credential.status
    if before_status == Status.VERIFIED:
        credential.status = Status.PENDING
        credential.verified_at = None
        credential.method = ""
        credential.next_review_due = None
    credential.save()
    if before_status == Status.VERIFIED:
        described = "; ".join(
            f"{field} changed"
            if field in ("document", "license_number")
            else f"{field}: {_describe(before)} -> {_describe(getattr(credential, field))}"
            for field, before in changed
        )
        verification = Verification(
            credential=credential,
            action=Action.RESUBMIT,
            method="",
            reason=f"Changed by the clinic, back to pending: {described}.",
            decided_by=changed_by,
            decided_at=timezone.now(),
            status_before=before_status,
            status_after=Status.PENDING,
        )
        verification.full_clean()
        verification.save()
        practitioner_touch(practitioner_id=credential.practitioner_id)
    practitioner_requalify(practitioner=credential.practitioner, today=today)
    return credential


@dataclass(frozen=True)
class Decision:
    """What one kind of admin decision does: from which statuses, to which, and whether it
    needs a reason. Verify, reject and revoke are rows of one table (DECISIONS), decided
    by one function (credential_decide)."""

    after: str
    reason_required: bool
    allowed_from: Callable[[Credential, datetime.date], set[str]]
    refusal: Callable[[Credential], str]


def _verify_refusal(current: Credential) -> str:
    if current.status == Status.VERIFIED:
        return f"This credential is already verified (next review due {current.next_review_due or 'never'})."
    return f"A {current.status} credential cannot be verified; submit a new one."


def _reject_refusal(current: Credential) -> str:
    if current.status == Status.VERIFIED:
        return "This credential is verified: revoke it instead of rejecting it."
    return f"This credential is already {current.status}."


def _revoke_refusal(current: Credential) -> str:
    if current.status == Status.PENDING:
        return "This credential is pending: reject it instead of revoking it."
    return f"This credential is already {current.status}."


DECISIONS: dict[str, Decision] = {
    # Verify a pending credential, or re-verify a verified one whose review is due;
    # a verified one not yet due has nothing to decide. Rejected or revoked stay so:
    # the clinic submits a new one.
    Action.VERIFY: Decision(
        after=Status.VERIFIED,
        reason_required=False,
        allowed_from=lambda current, today: (
            {Status.PENDING, Status.VERIFIED} if current.is_review_due(today) else {Status.PENDING}
        ),
        refusal=_verify_refusal,
    ),
    # Reject a pending credential, with a reason the clinic will see.
    Action.REJECT: Decision(
        after=Status.REJECTED,
        reason_required=True,
        allowed_from=lambda current, today: {Status.PENDING},
        refusal=_reject_refusal,
    ),
    # Withdraw a verification (the license was suspended, the document was forged...).
    Action.REVOKE: Decision(
        after=Status.REVOKED,
        reason_required=True,
        allowed_from=lambda current, today: {Status.VERIFIED},
        refusal=_revoke_refusal,
    ),
}


@transaction.atomic
def credential_decide(
    *,
    credential: Credential,
    action: str,
    decided_by,
    method: str,
    reason: str = "",
    today: datetime.date | None = None,
) -> Credential:
    """Verify, reject or revoke a credential (see DECISIONS) and record the Verification.

    1. Check the method, and the reason where the decision needs one.
    2. Lock the row, so two admins deciding at once are serialised and the
       second sees the first's status (and gets a 409).
    3. Check the transition against the status read under the lock.
    4. Apply it, write the Verification, requalify the practitioner.
    """
    today = today or clock.today()
    decision = DECISIONS[action]
    errors = {}
    if method not in Method.values:
        errors["method"] = f"Unknown method '{method}'. Known: {', '.join(Method.values)}."
    if decision.reason_required and not (reason or "").strip():
        errors["reason"] = "Give a reason."
    if errors:
        raise ValidationError(errors)

    credential = Credential.objects.select_for_update().select_related("practitioner").get(pk=credential.pk)
    before = credential.status
    if before not in decision.allowed_from(credential, today):
        raise CredentialConflict(decision.refusal(credential))

    now = timezone.now()
    credential.status = decision.after
    if action == Action.VERIFY:
        credential.verified_at = now
        credential.method = method
        credential.next_review_due = credential.review_due_after_verification(today)
    else:
        credential.next_review_due = None
    credential.full_clean()
    credential.save()

    verification = Verification(
        credential=credential,
        action=action,
        method=method,
        reason=(reason or "").strip(),
        decided_by=decided_by,
        decided_at=now,
        status_before=before,
        status_after=decision.after,
    )
    verification.full_clean()
    verification.save()
    if Status.VERIFIED in (before, decision.after):
        # What the public sees of the practitioner (their verified credentials) changed.
        practitioner_touch(practitioner_id=credential.practitioner_id)
    practitioner_requalify(practitioner=credential.practitioner, today=today)
    return credential


def practitioner_touch(*, practitioner_id: int) -> None:
    """Mark a practitioner as updated: their public credentials changed (a sync picks them up)."""
    Practitioner.objects.filter(pk=practitioner_id).update(updated_at=timezone.now())


def credential_verify(
    *, credential: Credential, decided_by, method: str, reason: str = "", today: datetime.date | None = None
) -> Credential:
    return credential_decide(
        credential=credential, action=Action.VERIFY, decided_by=decided_by, method=method, reason=reason, today=today
    )


def credential_reject(
    *, credential: Credential, decided_by, method: str, reason: str, today: datetime.date | None = None
) -> Credential:
    return credential_decide(
        credential=credential, action=Action.REJECT, decided_by=decided_by, method=method, reason=reason, today=today
    )


def credential_revoke(
    *, credential: Credential, decided_by, method: str, reason: str, today: datetime.date | None = None
) -> Credential:
    return credential_decide(
        credential=credential, action=Action.REVOKE, decided_by=decided_by, method=method, reason=reason, today=today
    )


# --- state rules ------------------------------------------------------------


STATE_RULE_FIELDS = (
    "state",
    "dry_needling_permitted",
    "permitted_professions",
    "min_training_hours",
    "min_years_licensed",
    "source",
    "source_url",
    "checked_on",
    "notes",
)


class StateRuleChanges(TypedDict, total=False):
    state: str
    dry_needling_permitted: bool
    permitted_professions: list[str]
    min_training_hours: int | None
    min_years_licensed: int | None
    source: str
    source_url: str
    checked_on: datetime.date
    notes: str


@transaction.atomic
def state_rule_create(
    *,
    state: str,
    source: str,
    checked_on: datetime.date,
    dry_needling_permitted: bool = True,
    permitted_professions: list[str] | None = None,
    min_training_hours: int | None = None,
    min_years_licensed: int | None = None,
    source_url: str = "",
    notes: str = "",
    today: datetime.date | None = None,
) -> StateRule:
    """Add a state's rule and requalify every listing in the state."""
    rule = StateRule(
        state=state,
        dry_needling_permitted=dry_needling_permitted,
        permitted_professions=permitted_professions or [],
        min_training_hours=min_training_hours,
        min_years_licensed=min_years_licensed,
        source=source,
        source_url=source_url or "",
        checked_on=checked_on,
        notes=notes or "",
    )
    rule.full_clean()
    rule.save()
    state_requalify(state=rule.state, today=today)
    return rule


@transaction.atomic
def state_rule_update(*, rule: StateRule, changes: StateRuleChanges, today: datetime.date | None = None) -> StateRule:
    """Change a state's rule and requalify every listing in the state (and the old one, if it moved)."""
    rule = StateRule.objects.select_for_update().get(pk=rule.pk)
    old_state = rule.state
    rule, changed = model_update(instance=rule, fields=STATE_RULE_FIELDS, data=changes)
    if changed:
        for state in {old_state, rule.state}:
            state_requalify(state=state, today=today)
    return rule


@transaction.atomic
def state_rule_delete(*, rule: StateRule, today: datetime.date | None = None) -> None:
    """Remove a state's rule: the state falls back to the platform default."""
    state = rule.state
    StateRule.objects.filter(pk=rule.pk).delete()
    state_requalify(state=state, today=today)


# --- qualification ----------------------------------------------------------


def rules_for(states: Iterable[str]) -> dict[str, qualification.Rule]:
    """The rule of each state, the platform default where a state has no row."""
    states = set(states)
    rules = {rule.state: rule.as_rule() for rule in StateRule.objects.filter(state__in=states)}
    fallback = default_rule()
    return {state: rules.get(state, fallback) for state in states}


def practitioner_requalify(*, practitioner: Practitioner, today: datetime.date | None = None) -> None:
    """Recompute one practitioner's qualified days per listing and verified training hours."""
    practitioners_requalify(practitioner_ids=[practitioner.pk], today=today)


def practitioners_requalify(*, practitioner_ids: Iterable[int], today: datetime.date | None = None) -> int:
    """Recompute qualification for many practitioners at once; returns how many listings changed
    (their qualified days, or their practitioner's verified training hours).

    One statement per chunk of practitioners (credentials.requalification):
    it reads their verified credentials, their listings (with the location's
    state, which is the truth even while a moved location's listings are
    being updated) and the rules, and writes only the rows that changed.
    """
    today = today or clock.today()
    ids = sorted(set(practitioner_ids))
    changed = 0
    for start in range(0, len(ids), REQUALIFY_CHUNK):
        changed += requalification.requalify_ids(ids[start : start + REQUALIFY_CHUNK], today)
    return changed


def practitioners_requalify_between(*, first: int, last: int, today: datetime.date | None = None) -> tuple[int, int]:
    """Recompute qualification for every practitioner with `first` <= id <= `last`, in one
    statement (for bulk loads, which know their ids as a range); returns (listings changed,
    practitioners in the range)."""
    return requalification.requalify_id_range(first, last, today or clock.today())


def qualification_repair(*, today: datetime.date | None = None, progress=None) -> int:
    """Recompute every practitioner's qualification; returns how many listings disagreed.

    The nightly safety net behind the explicit requalification of every
    write: whatever wrote a listing's stored window wrongly (a raw SQL
    update, a restore from backup, a bug), the next night puts it right and
    counts it. One transaction per range of REQUALIFY_CHUNK practitioner ids
    (no list of a million ids to send), so the repair never holds the whole
    table, and `progress(n)` is told the practitioners of each range.
    """
    today = today or clock.today()
    bounds = Practitioner.objects.aggregate(first=Min("id"), last=Max("id"))
    if bounds["first"] is None:
        return 0
    repaired = 0
    for first in range(bounds["first"], bounds["last"] + 1, REQUALIFY_CHUNK):
        with transaction.atomic():
            changed, practitioners = requalification.requalify_id_range(first, first + REQUALIFY_CHUNK - 1, today)
        repaired += changed
        if progress is not None:
            progress(practitioners)
    return repaired


def state_requalify(*, state: str, today: datetime.date | None = None) -> int:
    """Requalify every practitioner listed at a location in `state` (after its rule changed)."""
    ids = Listing.objects.filter(location__state=state).values_list("practitioner_id", flat=True).distinct()
    return practitioners_requalify(practitioner_ids=list(ids), today=today)


def practitioners_with_credentials(practitioner_ids: Iterable[int]) -> list[int]:
    """Those of the practitioners who have any credential row at all.

    A practitioner with none is qualified nowhere, which is what a new
    listing already says (no qualified days), so requalifying them is skipped.
    """
    has_credentials = Credential.objects.filter(practitioner_id=OuterRef("pk"))
    return list(
        Practitioner.objects.filter(id__in=list(practitioner_ids))
        .filter(Exists(has_credentials))
        .values_list("id", flat=True)
    )


def listings_requalify(*, practitioner_ids: Iterable[int]) -> int:
    """The receiver of directory.hooks.listings_changed: requalify these practitioners' listings
    (a new listing, a location in another state, another profession); returns listings changed."""
    ids = practitioners_with_credentials(practitioner_ids)
    return practitioners_requalify(practitioner_ids=ids) if ids else 0
