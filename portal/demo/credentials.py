"""Realistic credentials for the demo directory, in bulk.

Most practitioners get a verified license in each state where they are
listed and verified training hours; some credentials are left pending (so
the admin queue has work, submitted over the last three weeks), some
licenses have lapsed and some certifications are due for review.
Decisions are written as Verification rows, as an admin would have, by
the demo verifier. `seed_credentials` is seed_demo's stage for a whole
seeded directory (requalified by seed_demo after the load);
`demo_credentials` does the same for given practitioners and requalifies
them.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from credentials import services
from credentials.models import (
    CERTIFICATION_REVIEW_YEARS,
    Action,
    Credential,
    Kind,
    Method,
    Status,
    TrainingProvider,
    Verification,
    add_years_not_after,
)
from directory.models import Listing, Practitioner, Profession, Technique
from directory.states import USState

from .sinks import CopySink, Sink

if TYPE_CHECKING:
    from .stages import SeedContext

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


# Credential columns in the order `credential_rows` yields them.
CREDENTIAL_COLUMNS = (
    "id",
    "practitioner_id",
    "kind",
    "name",
    "issuer",
    "jurisdiction",
    "license_number",
    "profession",
    "hours",
    "technique_id",
    "issued_on",
    "expires_on",
    "document",
    "status",
    "verified_at",
    "method",
    "next_review_due",
    "created_at",
    "updated_at",
)


def credential_rows(
    people: Iterable[tuple[int, str, Iterable[str]]],
    *,
    rng: random.Random,
    today: datetime.date,
    now: datetime.datetime,
    first_id: int,
    technique_ids: Sequence[int],
    counts: dict[str, int],
) -> Iterator[tuple]:
    """Credential rows (CREDENTIAL_COLUMNS) for each (practitioner id, profession, listed states),
    with ids from `first_id` on; adds to `counts` by status.

    Plain tuples for COPY rather than model instances: the former stage built
    a Credential per row and prepared each field for the database, 62.8 s of
    Python CPU for 100,000 practitioners without requalification against
    7.9 s now for the whole seed (bench/README.md, `bench/seed.py`). The rules a
    Credential applies on its own are applied here the same way: a verified
    license is reviewed at its expiry, a certification three years after its
    verification (`review_due_after_verification`), training never.
    """
    day = datetime.timedelta(days=1)
    hour = datetime.timedelta(hours=1)
    randint, random_, choice, sample = rng.randint, rng.random, rng.choice, rng.sample
    methods = [Method.PRIMARY_SOURCE.value, Method.PRIMARY_SOURCE.value, Method.DOCUMENT_REVIEW.value]
    license_, training_, certification_ = Kind.LICENSE.value, Kind.TRAINING.value, Kind.CERTIFICATION.value
    verified, pending = Status.VERIFIED.value, Status.PENDING.value
    issuers: dict[tuple[str, str], str] = {}
    next_id = first_id
    n_verified = n_pending = 0

    def decided(issued: datetime.date, days_ago: int) -> tuple[datetime.date, datetime.datetime, str]:
        verified_on = max(issued, today - days_ago * day)
        return verified_on, now - (today - verified_on).days * day, choice(methods)

    def submitted(credential_id: int) -> datetime.datetime:
        # Pending ones were submitted over the last weeks (deterministically, by id).
        return now - ((credential_id * 7919) % PENDING_SPREAD_HOURS) * hour

    for practitioner_id, profession, states in people:
        luck = random_()
        for state in sorted(states):
            issuer = issuers.get((state, profession))
            if issuer is None:
                issuer = issuers[state, profession] = (
                    f"{USState(state).label} {BOARDS.get(profession, 'Licensing Board')}"
                )
            issued = today - randint(400, 15 * 365) * day
            number = f"{profession.upper()}{randint(10000, 999999)}"
            if luck < 0.05:  # lapsed: verified once, expired since
                expires = today - randint(1, 90) * day
                _, at, method = decided(issued, randint(400, 700))
            elif luck < 0.12:  # just submitted, waiting for an admin
                expires = today + randint(60, 730) * day
                at, method = None, ""
            else:
                expires = today + randint(1, 730) * day
                _, at, method = decided(issued, randint(0, 700))
            if at is not None:
                status, review, created = verified, expires, now
                n_verified += 1
            else:
                status, review, created = pending, None, submitted(next_id)
                n_pending += 1
            yield (
                next_id, practitioner_id, license_, "", issuer, state, number, profession, None, None,
                issued, expires, "", status, at, method, review, created, now,
            )  # fmt: skip
            next_id += 1

        # Most took a comprehensive course (enough hours almost anywhere);
        # a few have only an introductory one, below most states' minimum.
        courses = [COURSES[-1] if luck < 0.92 else COURSES[0]]
        courses += sample(COURSES[1:-1], choice([0, 1, 1, 2]))
        for course, hours in courses:
            issuer = choice(PROVIDERS)
            hours = choice(hours)
            technique = choice(technique_ids) if technique_ids else None
            issued = today - randint(30, 3000) * day
            if random_() < 0.9:
                _, at, method = decided(issued, randint(0, 900))
                status, created = verified, now
                n_verified += 1
            else:
                status, at, method, created = pending, None, "", submitted(next_id)
                n_pending += 1
            yield (
                next_id, practitioner_id, training_, course, issuer, "", "", "", hours, technique,
                issued, None, "", status, at, method, None, created, now,
            )  # fmt: skip
            next_id += 1

        if random_() < 0.3:
            name, issuer = choice(CERTIFICATIONS)
            issued = today - randint(60, 2500) * day
            # Some were verified more than three years ago: due for review.
            verified_on, at, method = decided(issued, randint(0, (today - issued).days))
            review = add_years_not_after(verified_on, CERTIFICATION_REVIEW_YEARS)
            yield (
                next_id, practitioner_id, certification_, name, issuer, "", "", "", None, None,
                issued, None, "", verified, at, method, review, now, now,
            )  # fmt: skip
            next_id += 1
            n_verified += 1
    counts[verified] = counts.get(verified, 0) + n_verified
    counts[pending] = counts.get(pending, 0) + n_pending


def verifications_insert(*, first_credential_id: int, last_credential_id: int, verifier_id: int) -> int:
    """The admin's decision behind every verified credential of an id range, as one INSERT ... SELECT
    (ids in credential order, so the same seed gives the same rows); returns how many."""
    table = Verification._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {Credential._meta.db_table} WHERE status = %s AND id BETWEEN %s AND %s",
            [Status.VERIFIED, first_credential_id, last_credential_id],
        )
        (count,) = cursor.fetchone()
    if not count:
        return 0
    first_id = CopySink().reserve_ids(Verification, count)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, credential_id, action, method, reason, decided_by_id, decided_at, "
            "status_before, status_after) "
            "SELECT %s + row_number() OVER (ORDER BY id) - 1, id, %s, method, %s, %s, verified_at, %s, %s "
            f"FROM {Credential._meta.db_table} WHERE status = %s AND id BETWEEN %s AND %s",
            [
                first_id,
                Action.VERIFY,
                "Demo data.",
                verifier_id,
                Status.PENDING,
                Status.VERIFIED,
                Status.VERIFIED,
                first_credential_id,
                last_credential_id,
            ],
        )
    return count


def credentials_load(
    people: Iterable[tuple[int, str, Iterable[str]]],
    *,
    rng: random.Random,
    today: datetime.date,
    now: datetime.datetime,
    sink: Sink,
    verifier=None,
) -> dict[str, int]:
    """Write the credentials of `people` (practitioner id, profession, listed states) and the
    decisions on the verified ones; returns counts by status, and of "decisions"."""
    verifier = verifier or _demo_verifier()
    technique_ids = list(Technique.objects.order_by("slug").values_list("id", flat=True))
    counts: dict[str, int] = {}
    # The block ends where the rows do (how many is drawn as they are made).
    first_id = sink.reserve_ids(Credential, 1)
    rows = credential_rows(
        people, rng=rng, today=today, now=now, first_id=first_id, technique_ids=technique_ids, counts=counts
    )
    written = sink.write(Credential, CREDENTIAL_COLUMNS, rows)
    if written:
        sink.ids_end(Credential, first_id + written - 1)
    counts["decisions"] = verifications_insert(
        first_credential_id=first_id, last_credential_id=first_id + written - 1, verifier_id=verifier.pk
    )
    return counts


def credential_tables() -> list[str]:
    """The tables `seed_credentials` writes."""
    return [Credential._meta.db_table, Verification._meta.db_table]


def seed_credentials(ctx: SeedContext) -> dict[str, int]:
    """Stage 6 (seed_demo's default): licenses in every state where each practitioner is listed,
    training and certifications, from what the earlier stages planned (no query per practitioner).

    The listings keep the stand-in qualified days until seed_demo requalifies
    everyone from these credentials (`settle_requalify`).
    """
    first_id = ctx.practitioner_first_id
    professions = ctx.professions

    def people() -> Iterator[tuple[int, str, set[str]]]:
        for index, locations in enumerate(ctx.listed_at):
            yield first_id + index, professions[index], {location.state for location in locations}

    with ctx.bar("credentials", ctx.practitioners) as bar:
        counts = credentials_load(
            ctx.counted(people(), bar), rng=ctx.rng("credentials"), today=ctx.today, now=ctx.now, sink=ctx.sink
        )
    for name, count in counts.items():
        ctx.result.counts[f"credentials {name}"] = count
    return counts


# Practitioners per requalification statement while seeding: without their indexes, each
# statement reads the whole credential, listing and practitioner tables once.
SETTLE_CHUNK = 250_000


def settle_requalify(ctx: SeedContext) -> None:
    """Requalify every seeded practitioner from the credentials just loaded, inside the load
    (seed_demo --index-builders 1; with more, `requalify_parts` run beside each other once
    the load has committed): the listings' qualified days and the practitioners' verified
    training hours (and the listings' copies of them), then compact the listings."""
    with ctx.bar("requalify", len(ctx.result.practitioner_ids)) as bar:
        requalify_seeded(ctx.result.practitioner_ids, today=ctx.today, bar=bar)
    compact_requalified(ctx.sink)


def compact_requalified(sink: Sink) -> None:
    """Compact the listings once requalified: nearly every one got new qualified days, so
    only those versions are kept for the index builds (CopySink.compact)."""
    sink.compact([Listing._meta.db_table])


def requalify_seeded(ids: range, *, today: datetime.date, bar=None) -> None:
    """Requalify the practitioners `ids` in ranges of SETTLE_CHUNK, in the caller's
    transaction."""
    for first in range(ids.start, ids.stop, SETTLE_CHUNK):
        last = min(first + SETTLE_CHUNK, ids.stop) - 1
        _, practitioners = services.practitioners_requalify_between(first=first, last=last, today=today)
        if bar is not None:
            bar.update(practitioners)


def requalify_parts(ids: range, parts: int, *, today: datetime.date) -> list[Callable[[], None]]:
    """`requalify_seeded` for `ids` cut into `parts` ranges of consecutive ids, one step each,
    for steps that run at the same time in connections of their own (seed_demo, beside
    each other once the load has committed: one statement uses one core)."""
    size = max(1, -(-len(ids) // parts))
    return [partial(requalify_seeded, ids[start : start + size], today=today) for start in range(0, len(ids), size)]


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
    people = [(p.pk, p.profession, states[p.pk]) for p in practitioners]
    counts = credentials_load(people, rng=rng, today=today, now=timezone.now(), sink=CopySink(), verifier=verifier)
    counts.pop("decisions", None)
    services.practitioners_requalify(practitioner_ids=ids, today=today)
    counts["qualified_listings"] = Listing.objects.filter(practitioner_id__in=ids).qualified_on(today).count()
    return counts


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
