"""Realistic credentials for the demo directory, in bulk.

`demo_credentials` gives most practitioners a verified license in each
state where they are listed and verified training hours, leaves some
credentials pending (so the admin queue has work), some licenses expired
and some certifications due for review, then requalifies everyone in one
pass. Decisions are written as Verification rows, as an admin would have.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from credentials import services
from credentials.models import Action, Credential, Kind, Method, Status, TrainingProvider, Verification
from directory.models import Listing, Practitioner, Profession, Technique
from directory.states import USState

from .sinks import copy_instances

BOARDS = {
    Profession.PT: "Board of Physical Therapy",
    Profession.DC: "Board of Chiropractic Examiners",
    Profession.MD: "Medical Board",
    Profession.DO: "Board of Osteopathic Medicine",
    Profession.LAC: "Acupuncture Board",
    Profession.ATC: "Board of Athletic Training",
    Profession.NP: "Board of Nursing",
    Profession.PA: "Physician Assistant Board",
}
PROVIDERS = [
    "Northwest Needling Institute",
    "Summit Manual Therapy Seminars",
    "Coastal Myofascial Education",
    "Great Lakes Dry Needling Courses",
    "Desert Orthopedic Seminars",
]
COURSES = [
    ("Dry Needling Level 1: Lower Quarter", (24, 27, 30)),
    ("Dry Needling Level 2: Upper Quarter", (24, 27, 30)),
    ("Dry Needling Level 3: Spine and Pelvis", (20, 24)),
    ("Electrical Dry Needling", (12, 16)),
    ("Comprehensive Dry Needling Certificate Course", (50, 54, 80)),
]
CERTIFICATIONS = [
    ("Certified Dry Needling Practitioner", "Academy of Dry Needling Practitioners"),
    ("Certified Myofascial Trigger Point Therapist", "Myofascial Trigger Point Certification Board"),
]
DEMO_VERIFIER = "demo-verifier"
# The demo's providers the admins recognise: all but the last, so the verification
# queue shows both a recognised provider and one to look into.
RECOGNISED_PROVIDERS = PROVIDERS[:-1] + [issuer for _, issuer in CERTIFICATIONS]
# Pending credentials were submitted over the last weeks (in hours back, by id), so the
# verification queue has old and new items and some over its service level.
PENDING_SPREAD_HOURS = 24 * 21


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def _demo_verifier():
    user, created = get_user_model().objects.get_or_create(
        username=DEMO_VERIFIER, defaults={"is_staff": True, "email": "verifier@localhost"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def demo_credentials(
    practitioners: Iterable[Practitioner],
    *,
    rng: random.Random,
    today: datetime.date,
    verifier=None,
) -> dict[str, int]:
    """Create credentials (and their decisions) for `practitioners`, then requalify them.

    Returns counts by status, plus "qualified_listings". About 85% end up
    qualified wherever their state's rule allows; the rest have a pending,
    expired or missing license, or too few hours for a demanding state.
    """
    practitioners = list(practitioners)
    ids = [p.pk for p in practitioners]
    states = defaultdict(set)
    for practitioner_id, state in Listing.objects.filter(practitioner_id__in=ids).values_list(
        "practitioner_id", "location__state"
    ):
        states[practitioner_id].add(state)
    verifier = verifier or _demo_verifier()
    techniques = list(Technique.objects.order_by("slug"))
    now = timezone.now()

    rows: list[tuple[Credential, int | None]] = []  # (credential, days since verified or None)

    def add(credential: Credential, status: str, *, verified_days_ago: int | None = None):
        credential.status = status
        if status == Status.VERIFIED:
            verified_on = max(credential.issued_on, today - _days(verified_days_ago or 0))
            credential.verified_at = now - _days((today - verified_on).days)
            credential.method = rng.choice([Method.PRIMARY_SOURCE, Method.PRIMARY_SOURCE, Method.DOCUMENT_REVIEW])
            credential.next_review_due = credential.review_due_after_verification(verified_on)
        rows.append((credential, verified_days_ago))

    for practitioner in practitioners:
        luck = rng.random()
        for state in sorted(states[practitioner.pk]):
            issued = today - _days(rng.randint(400, 15 * 365))
            license_ = Credential(
                practitioner=practitioner,
                kind=Kind.LICENSE,
                issuer=f"{USState(state).label} {BOARDS.get(practitioner.profession, 'Licensing Board')}",
                jurisdiction=state,
                license_number=f"{practitioner.profession.upper()}{rng.randint(10000, 999999)}",
                profession=practitioner.profession,
                issued_on=issued,
            )
            if luck < 0.05:  # lapsed: verified once, expired since
                license_.expires_on = today - _days(rng.randint(1, 90))
                add(license_, Status.VERIFIED, verified_days_ago=rng.randint(400, 700))
            elif luck < 0.12:  # just submitted, waiting for an admin
                license_.expires_on = today + _days(rng.randint(60, 730))
                add(license_, Status.PENDING)
            else:
                license_.expires_on = today + _days(rng.randint(1, 730))
                add(license_, Status.VERIFIED, verified_days_ago=rng.randint(0, 700))

        # Most took a comprehensive course (enough hours almost anywhere);
        # a few have only an introductory one, below most states' minimum.
        courses = [COURSES[-1] if luck < 0.92 else COURSES[0]]
        courses += rng.sample(COURSES[1:-1], rng.choice([0, 1, 1, 2]))
        for course, hours in courses:
            training = Credential(
                practitioner=practitioner,
                kind=Kind.TRAINING,
                name=course,
                issuer=rng.choice(PROVIDERS),
                hours=rng.choice(hours),
                technique=rng.choice(techniques) if techniques else None,
                issued_on=today - _days(rng.randint(30, 3000)),
            )
            if rng.random() < 0.9:
                add(training, Status.VERIFIED, verified_days_ago=rng.randint(0, 900))
            else:
                add(training, Status.PENDING)

        if rng.random() < 0.3:
            name, issuer = rng.choice(CERTIFICATIONS)
            issued = today - _days(rng.randint(60, 2500))
            certification = Credential(
                practitioner=practitioner, kind=Kind.CERTIFICATION, name=name, issuer=issuer, issued_on=issued
            )
            # Some were verified more than three years ago: due for review.
            add(certification, Status.VERIFIED, verified_days_ago=rng.randint(0, (today - issued).days))

    created = [credential for credential, _ in rows]
    copy_instances(created)
    # Pending ones were submitted over the last weeks (deterministically, by id).
    for credential in created:
        if credential.status == Status.PENDING:
            credential.created_at = now - datetime.timedelta(hours=(credential.pk * 7919) % PENDING_SPREAD_HOURS)
    with connection.cursor() as cursor:
        pending = [credential for credential in created if credential.status == Status.PENDING]
        cursor.execute(
            "UPDATE credentials_credential AS c SET created_at = v.at FROM unnest(%s::bigint[], %s::timestamptz[]) "
            "AS v(id, at) WHERE c.id = v.id",
            [[credential.pk for credential in pending], [credential.created_at for credential in pending]],
        )
    copy_instances(
        [
            Verification(
                credential=credential,
                action=Action.VERIFY,
                method=credential.method,
                reason="Demo data.",
                decided_by=verifier,
                decided_at=credential.verified_at,
                status_before=Status.PENDING,
                status_after=Status.VERIFIED,
            )
            for credential in created
            if credential.status == Status.VERIFIED
        ]
    )
    services.practitioners_requalify(practitioner_ids=ids, today=today)

    counts = defaultdict(int)
    for credential in created:
        counts[credential.status] += 1
    counts["qualified_listings"] = Listing.objects.filter(practitioner_id__in=ids).qualified_on(today).count()
    return dict(counts)


def demo_training_providers(*, today: datetime.date) -> int:
    """Record the demo's recognised course providers and certifying bodies; returns how many."""
    for name in RECOGNISED_PROVIDERS:
        TrainingProvider.objects.get_or_create(
            name=name,
            defaults={
                "certifies": "Dry needling courses and certification (demo)",
                "source": "Demo data",
                "added_on": today,
            },
        )
    return len(RECOGNISED_PROVIDERS)
