"""Reads of the credentials app: who sees which credentials, the queue, the history,
and the public part of a practitioner's credentials for the profile."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.permissions import is_admin
from directory.models import ClinicMembership, Listing, Practitioner
from directory.states import USState

from . import qualification
from .models import Action, Credential, ExclusionMatch, Kind, StateRule, Status, Verification, default_rule

PUBLIC_CREDENTIALS_ATTR = "public_credentials_prefetched"


def is_clinic_member(user) -> bool:
    return bool(user and user.is_authenticated and ClinicMembership.objects.filter(user=user).exists())


def _listed_at_users_clinics(user) -> Exists:
    """A practitioner (OuterRef) with a listing at a location of a clinic the user belongs to."""
    return Exists(
        Listing.objects.filter(practitioner_id=OuterRef("practitioner_id"), location__clinic__memberships__user=user)
    )


def practitioners_managed_by(user) -> QuerySet[Practitioner]:
    """Practitioners a user may submit credentials for: all for admins, their clinics' for members."""
    if is_admin(user):
        return Practitioner.objects.all()
    if not (user and user.is_authenticated):
        return Practitioner.objects.none()
    listed = Listing.objects.filter(practitioner_id=OuterRef("pk"), location__clinic__memberships__user=user)
    return Practitioner.objects.filter(Exists(listed))


def credentials_visible_to(user) -> QuerySet[Credential]:
    """Credentials a user may see: all for admins; for clinic members, their clinics' practitioners'."""
    queryset = Credential.objects.select_related("practitioner", "technique")
    if is_admin(user):
        return queryset
    if not (user and user.is_authenticated):
        return queryset.none()
    return queryset.filter(_listed_at_users_clinics(user))


def verification_queue(*, today: datetime.date) -> QuerySet[Credential]:
    """Pending credentials (oldest submission first), then verified ones due for review (most overdue first).

    Each row carries `queue_rank` (0 pending, 1 review due), the ordering key; the API
    shows it as `queue_status` (QueueItemSerializer).
    """
    return (
        Credential.objects.needing_decision(today)
        .select_related("practitioner", "technique")
        .annotate(
            queue_rank=Case(When(status=Status.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("queue_rank", "next_review_due", "created_at", "id")
    )


def workspace_queue(*, today: datetime.date) -> QuerySet[Credential]:
    """The verification queue (same order) with `submitted_at` on each item: when it was
    submitted, or last resubmitted by its clinic. A pending item waits from then; a
    review-due one from its `next_review_due` (see waiting_day)."""
    last_resubmit = (
        Verification.objects.filter(credential_id=OuterRef("pk"), action=Action.RESUBMIT)
        .order_by("-decided_at")
        .values("decided_at")[:1]
    )
    return verification_queue(today=today).annotate(submitted_at=Coalesce(Subquery(last_resubmit), F("created_at")))


def waiting_day(item: Credential) -> datetime.date:
    """The day a queue item (from workspace_queue) started waiting for a decision."""
    if item.status == Status.PENDING:
        return timezone.localdate(item.submitted_at)
    return item.next_review_due


def waiting_before(queryset: QuerySet[Credential], day: datetime.date) -> QuerySet[Credential]:
    """Queue items (from workspace_queue) that started waiting before `day` (in TIME_ZONE)."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return queryset.filter(
        Q(status=Status.PENDING, submitted_at__lt=start) | Q(status=Status.VERIFIED, next_review_due__lt=day)
    )


def credentials_in_state(queryset: QuerySet[Credential], state: str) -> QuerySet[Credential]:
    """Licenses issued by `state`, and any credential of a practitioner listed there."""
    listed_there = Listing.objects.filter(practitioner_id=OuterRef("practitioner_id"), location__state=state)
    return queryset.filter(Q(jurisdiction=state) | Q(Exists(listed_there)))


def credential_history(credential: Credential) -> QuerySet[Verification]:
    return Verification.objects.filter(credential=credential).select_related("decided_by").order_by("decided_at", "id")


def public_credentials_prefetch() -> Prefetch:
    """For the profile: the practitioner's verified credentials (expiry is checked against today later)."""
    return Prefetch(
        "credentials",
        queryset=Credential.objects.verified().select_related("technique").order_by("kind", "-issued_on", "id"),
        to_attr=PUBLIC_CREDENTIALS_ATTR,
    )


def public_credentials_on(*, today: datetime.date) -> QuerySet[Credential]:
    """Every credential a patient may see on `today`, as public_credentials() decides for one
    practitioner: verified, and not expired on `today` (for reads of many practitioners at once)."""
    return Credential.objects.verified().exclude(expires_on__lt=today)


def public_credentials(practitioner: Practitioner, *, today: datetime.date) -> list[Credential]:
    """The credentials a patient may see: verified, and not expired on `today`."""
    credentials = getattr(practitioner, PUBLIC_CREDENTIALS_ATTR, None)
    if credentials is None:
        credentials = list(public_credentials_prefetch().queryset.filter(practitioner=practitioner))
    return [c for c in credentials if c.status == Status.VERIFIED and not c.is_expired(today)]


def state_rules() -> QuerySet[StateRule]:
    return StateRule.objects.order_by("state")


def renewals(prefix: str = "") -> QuerySet[Credential]:
    """Later credentials of the same practitioner, kind, state and name as the outer one
    (at `prefix`, e.g. "credential__"), expiring later or never: its renewals, of any status."""
    return Credential.objects.filter(
        practitioner_id=OuterRef(f"{prefix}practitioner_id"),
        kind=OuterRef(f"{prefix}kind"),
        jurisdiction=OuterRef(f"{prefix}jurisdiction"),
        name=OuterRef(f"{prefix}name"),
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gt=OuterRef(f"{prefix}expires_on")))


def clinic_credentials(clinic) -> QuerySet[Credential]:
    """Credentials of the practitioners listed at the clinic's locations (what its pages show)."""
    at_clinic = Listing.objects.filter(practitioner_id=OuterRef("practitioner_id"), location__clinic=clinic)
    return Credential.objects.filter(Exists(at_clinic)).select_related("practitioner", "technique", "submitted_by")


def expiring_credentials(*, clinic) -> QuerySet[Credential]:
    """The clinic's practitioners' credentials that expire, soonest first: what the clinic
    must renew (filters.ExpiringCredentialFilter sets the window).

    Pending and verified ones only (a rejected or revoked one counts for
    nothing anyway). One that has been renewed (a later credential of the
    same kind, state and name, verified and expiring later or never) is left
    out; one whose renewal is pending carries `renewal_pending`.
    """
    later = renewals()
    at_clinic = Listing.objects.filter(practitioner_id=OuterRef("practitioner_id"), location__clinic=clinic)
    return (
        Credential.objects.filter(Exists(at_clinic))
        .filter(status__in=[Status.PENDING, Status.VERIFIED], expires_on__isnull=False)
        .exclude(Exists(later.filter(status=Status.VERIFIED)))
        .annotate(renewal_pending=Exists(later.filter(status=Status.PENDING)))
        .select_related("practitioner", "technique")
        .order_by("expires_on", "practitioner__name", "id")
    )


@dataclass(frozen=True)
class QualificationBasis:
    """Why a practitioner is (or is not) listed as qualified at a location: the state's rule,
    the license that satisfies it, and the hours counted. Public facts only (no number)."""

    state: str
    qualified: bool
    qualified_until: datetime.date | None
    rule: dict
    license: dict | None
    verified_training_hours: int


def qualification_basis(
    practitioner: Practitioner, listings: Iterable[Listing], *, today: datetime.date
) -> dict[int, QualificationBasis]:
    """{listing id: QualificationBasis} for the practitioner's listings, on `today`.

    The rule is the state's row (or the platform default, said so); the license is the
    verified one valid today in that state for the practitioner's own profession, latest
    expiry first, as qualification counts it. `qualified_until` is the last qualified day,
    or None when not qualified today or qualified with no end in sight.
    """
    listings = list(listings)
    rows = {rule.state: rule for rule in StateRule.objects.filter(state__in={listing.state for listing in listings})}
    licenses = sorted(
        (
            credential
            for credential in public_credentials(practitioner, today=today)
            if credential.kind == Kind.LICENSE and credential.profession == practitioner.profession
        ),
        key=lambda credential: credential.expires_on or qualification.QUALIFIED_INDEFINITELY,
        reverse=True,
    )
    basis = {}
    for listing in listings:
        row = rows.get(listing.state)
        if row is None:
            rule = {
                "dry_needling_permitted": True,
                "professions_permitted": None,
                "min_training_hours": default_rule().min_training_hours,
                "min_years_licensed": None,
                "source": "Platform default: no rule for this state on record",
                "checked_on": None,
            }
        else:
            rule = {
                "dry_needling_permitted": row.dry_needling_permitted,
                "professions_permitted": list(row.permitted_professions or []),
                "min_training_hours": row.effective_min_training_hours,
                "min_years_licensed": row.min_years_licensed,
                "source": row.source,
                "checked_on": row.checked_on,
            }
        license_ = next((credential for credential in licenses if credential.jurisdiction == listing.state), None)
        qualified = listing.is_qualified(today)
        until = listing.qualified_until if qualified else None
        basis[listing.pk] = QualificationBasis(
            state=listing.state,
            qualified=qualified,
            qualified_until=None if until == qualification.QUALIFIED_INDEFINITELY else until,
            rule=rule,
            license=None
            if license_ is None
            else {
                "jurisdiction": license_.jurisdiction,
                "profession": license_.profession,
                "expires_on": license_.expires_on,
            },
            verified_training_hours=practitioner.verified_training_hours,
        )
    return basis


def _pending_now(credential: Credential, today: datetime.date) -> bool:
    """A pending credential that would count today once verified (issued, not expired)."""
    return credential.status == Status.PENDING and credential.issued_on <= today and not credential.is_expired(today)


def qualification_gaps(
    practitioner: Practitioner, listings: Iterable[Listing], *, today: datetime.date
) -> dict[int, list[str]]:
    """{listing id: what is missing there, in plain words}: empty where the practitioner is
    qualified today. Worked out by qualification.shortfalls (the rule itself) from every
    credential the practitioner has, with what is pending verification said beside it
    ("needs 50 verified training hours, has 24 verified + 30 pending")."""
    return qualification_gaps_many({practitioner: list(listings)}, today=today)


def qualification_gaps_many(
    listings_of: dict[Practitioner, list[Listing]], *, today: datetime.date
) -> dict[int, list[str]]:
    """qualification_gaps for several practitioners (a page of a list) in two queries."""
    credentials_of = defaultdict(list)
    for credential in Credential.objects.filter(practitioner__in=list(listings_of)):
        credentials_of[credential.practitioner_id].append(credential)
    states = {listing.state for listings in listings_of.values() for listing in listings}
    rows = {rule.state: rule for rule in StateRule.objects.filter(state__in=states)}
    excluded = excluded_practitioner_ids(practitioner.pk for practitioner in listings_of)
    gaps = {}
    for practitioner, listings in listings_of.items():
        found = _gaps(practitioner, listings, credentials_of[practitioner.pk], rows, today, excluded)
        gaps.update({listing_id: [line for _, line in lines] for listing_id, lines in found.items()})
    return gaps


# What the rule and its wording read of a credential.
RULE_FIELDS = ("practitioner_id", "kind", "status", "issued_on", "expires_on", "jurisdiction", "profession", "hours")


def qualification_shortfall_counts(*, clinic, today: datetime.date) -> dict[str, int]:
    """How many of the clinic's listings not qualified today miss each thing
    (qualification.NO_LICENSE, TRAINING_HOURS, ...): the dashboard's "why"."""
    unqualified = (
        Listing.objects.filter(location__clinic=clinic)
        .exclude(pk__in=Listing.objects.filter(location__clinic=clinic).qualified_on(today).values("pk"))
        .select_related("practitioner")
        # Not the point (a GEOS object each) nor anything else the rule does not read.
        .only("state", "qualified_from", "qualified_until", "practitioner__profession")
    )
    listings_of = defaultdict(list)
    for listing in unqualified:
        listings_of[listing.practitioner].append(listing)
    credentials_of = defaultdict(list)
    for credential in Credential.objects.filter(practitioner__in=list(listings_of)).only(*RULE_FIELDS):
        credentials_of[credential.practitioner_id].append(credential)
    states = {listing.state for listings in listings_of.values() for listing in listings}
    rows = {rule.state: rule for rule in StateRule.objects.filter(state__in=states)}
    excluded = excluded_practitioner_ids(practitioner.pk for practitioner in listings_of)
    counts = defaultdict(int)
    for practitioner, listings in listings_of.items():
        for lines in _gaps(practitioner, listings, credentials_of[practitioner.pk], rows, today, excluded).values():
            for what in dict.fromkeys(what for what, _ in lines):
                counts[what] += 1
    return dict(counts)


# Not a shortfall of the rule's own: a standing exclusion-list match (see ExclusionMatch.standing).
EXCLUSION_HOLD = "exclusion_hold"
EXCLUSION_HOLD_TEXT = (
    "On hold: the directory's admins are reviewing a possible match on the federal exclusion list "
    "(OIG LEIE); until they clear it, this therapist is not listed as qualified anywhere."
)


def excluded_practitioner_ids(practitioner_ids: Iterable[int]) -> set[int]:
    """Those of the practitioners with a standing exclusion-list match."""
    return set(
        ExclusionMatch.objects.standing()
        .filter(practitioner_id__in=list(practitioner_ids))
        .values_list("practitioner_id", flat=True)
    )


def excluded_practitioner_ids_between(first: int, last: int) -> set[int]:
    """Those of the practitioners with `first` <= id <= `last` with a standing exclusion-list match
    (the nightly repair walks the table by ranges of ids, without a list of them)."""
    return set(
        ExclusionMatch.objects.standing()
        .filter(practitioner_id__gte=first, practitioner_id__lte=last)
        .values_list("practitioner_id", flat=True)
    )


def _gaps(practitioner, listings, credentials, rows, today, excluded=frozenset()) -> dict[int, list[tuple[str, str]]]:
    verified_facts = [credential.as_facts() for credential in credentials if credential.status == Status.VERIFIED]
    pending = [credential for credential in credentials if _pending_now(credential, today)]
    pending_hours = sum(credential.hours or 0 for credential in pending if credential.kind == Kind.TRAINING)
    profession = practitioner.profession
    gaps = {}
    for listing in listings:
        state = listing.state
        state_name = USState(state).label
        row = rows.get(state)
        rule = row.as_rule() if row is not None else default_rule()
        pending_license = any(
            credential.kind == Kind.LICENSE and credential.jurisdiction == state and credential.profession == profession
            for credential in pending
        )
        waiting = " (one is pending verification)" if pending_license else ""
        lines = [(EXCLUSION_HOLD, EXCLUSION_HOLD_TEXT)] if practitioner.pk in excluded else []
        for shortfall in qualification.shortfalls(verified_facts, rule, profession, state, today):
            if shortfall.what == qualification.NOT_PERMITTED:
                lines.append((shortfall.what, f"{state_name} does not allow dry needling."))
            elif shortfall.what == qualification.PROFESSION_NOT_PERMITTED:
                allowed = ", ".join(sorted(rule.professions or ()))
                lines.append((shortfall.what, f"{state_name} allows only {allowed} to dry-needle, not {profession}."))
            elif shortfall.what == qualification.NO_LICENSE:
                lines.append((shortfall.what, f"Needs a verified {profession} license from {state_name}{waiting}."))
            elif shortfall.what == qualification.LICENSE_EXPIRED:
                lines.append(
                    (shortfall.what, f"{state_name} license expired {shortfall.expired_on.isoformat()}{waiting}.")
                )
            elif shortfall.what == qualification.TRAINING_HOURS:
                extra = f" + {pending_hours} pending" if pending_hours else ""
                lines.append(
                    (
                        shortfall.what,
                        f"Needs {shortfall.needed} verified training hours, has {shortfall.has} verified{extra}.",
                    )
                )
            elif shortfall.what == qualification.YEARS_LICENSED:
                lines.append(
                    (
                        shortfall.what,
                        f"{state_name} requires {shortfall.needed} year{'s' if shortfall.needed != 1 else ''} licensed: "
                        f"licensed since {shortfall.licensed_since.isoformat()}, "
                        f"qualifies on {shortfall.qualifies_on.isoformat()}.",
                    )
                )
        gaps[listing.pk] = lines
    return gaps
