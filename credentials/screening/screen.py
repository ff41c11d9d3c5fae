"""Exclusion screening: practitioners found on the OIG exclusion list (the LEIE).

Run after every LEIE import and monthly (Celery beat, `credentials.tasks.screen_exclusions`),
or by hand with `manage.py screen_exclusions`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction

from core import clock
from credentials import services
from credentials.models import Credential, Kind
from directory.models import Listing, Practitioner

from .models import Exclusion, ExclusionMatch, MatchBasis, MatchStatus


@dataclass
class ScreenResult:
    created: int = 0
    by_npi: int = 0
    by_name_state: int = 0
    candidates: int = 0  # pairs found, new or not
    practitioner_ids: list[int] = field(default_factory=list)  # those with a new match
    listings_changed: int = 0


def exclusion_summary(row: dict) -> str:
    """What the exclusion said, kept on the match even if the row later leaves the list."""
    name = ", ".join(
        part for part in (row["last_name"], " ".join(p for p in (row["first_name"], row["middle_name"]) if p)) if part
    )
    if row["business_name"]:
        name = f"{name} ({row['business_name']})" if name else row["business_name"]
    parts = [name or "(no name)"]
    if row["general"] or row["specialty"]:
        parts.append(" ".join(p for p in (row["general"], row["specialty"]) if p))
    parts.append(f"excluded {row['excluded_on']:%Y-%m-%d} under {row['exclusion_type'] or 'an unknown authority'}")
    if row["npi"]:
        parts.append(f"NPI {row['npi']}")
    if row["city"] or row["state"]:
        parts.append(", ".join(p for p in (row["city"], row["state"]) if p))
    return "; ".join(parts)[:400]


def _candidates_sql() -> str:
    q = connection.ops.quote_name
    practitioner = q(Practitioner._meta.db_table)
    exclusion = q(Exclusion._meta.db_table)
    listing = q(Listing._meta.db_table)
    credential = q(Credential._meta.db_table)
    # The names compared: lower case, without accents, the practitioner's first and last words.
    return f"""
    WITH chosen AS (
        SELECT id, npi, name FROM {practitioner} WHERE (%(ids)s::bigint[] IS NULL OR id = ANY(%(ids)s::bigint[]))
    ), live AS (
        SELECT * FROM {exclusion} WHERE reinstated_on IS NULL OR reinstated_on > %(today)s
    ), by_npi AS (
        SELECT p.id AS practitioner_id, e.id AS exclusion_id, '{MatchBasis.NPI.value}' AS basis
        FROM chosen p JOIN live e ON e.npi = p.npi
        WHERE p.npi <> '' AND e.npi <> ''
    ), names AS (
        SELECT id,
               lower(unaccent(split_part(btrim(name), ' ', 1))) AS first,
               lower(unaccent(regexp_replace(btrim(name), '^.*\\s', ''))) AS last
        FROM chosen
    ), by_name AS (
        -- The states are asked of the few practitioners whose names match, by their
        -- indexes: the set of every practitioner's states (1.1M listings and 3.3M
        -- licenses at 1M practitioners) made the whole screening 16-30 s of seed_demo.
        SELECT n.id AS practitioner_id, e.id AS exclusion_id, '{MatchBasis.NAME_STATE.value}' AS basis
        FROM live e
        JOIN names n ON n.first = lower(unaccent(btrim(e.first_name))) AND n.last = lower(unaccent(btrim(e.last_name)))
        WHERE e.npi = '' AND e.first_name <> '' AND e.last_name <> ''
          AND (EXISTS (SELECT FROM {listing} l WHERE l.practitioner_id = n.id AND l.state = e.state)
               OR EXISTS (SELECT FROM {credential} c
                          WHERE c.practitioner_id = n.id AND c.kind = '{Kind.LICENSE.value}'
                                AND c.jurisdiction <> '' AND c.jurisdiction = e.state))
    ), found AS (
        SELECT * FROM by_npi UNION SELECT * FROM by_name
    )
    SELECT f.practitioner_id, f.basis, e.id, e.last_name, e.first_name, e.middle_name, e.business_name,
           e.general, e.specialty, e.npi, e.city, e.state, e.exclusion_type, e.excluded_on
    FROM found f JOIN live e ON e.id = f.exclusion_id
    ORDER BY f.practitioner_id, e.id
    """


def exclusions_screen(
    *,
    today: datetime.date | None = None,
    practitioner_ids: Iterable[int] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScreenResult:
    """Find practitioners on the exclusion list and record a match for each new
    (practitioner, exclusion) pair, then requalify those practitioners (a standing match
    keeps them from being listed as qualified).

    A practitioner matches an exclusion
    - by NPI: both have one and they are the same;
    - by name and state, for an exclusion without an NPI: the first and last words of the
      practitioner's name are the exclusion's first and last names (ignoring case and
      accents) and the exclusion's state is one where the practitioner is listed or holds a
      license (in any status). The LEIE also matches on date of birth, but practitioners
      have no date of birth in this product, so name and state is the fallback; an admin
      confirms or dismisses each such match.

    Exclusions reinstated on or before `today` match nobody. A pair already matched keeps
    its match whatever its status, so a dismissed match is never re-opened; nor is a new
    match made when the practitioner already has a dismissed one with the same summary
    (the same exclusion, re-listed with, say, a new address). Idempotent.
    """
    today = today or clock.today()
    ids = None if practitioner_ids is None else sorted(set(practitioner_ids))
    result = ScreenResult()
    say = progress or (lambda message: None)
    with transaction.atomic():
        say("finding matches by NPI and by name and state")
        with connection.cursor() as cursor:
            cursor.execute(_candidates_sql(), {"ids": ids, "today": today})
            columns = [c.name for c in cursor.description]
            rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        result.candidates = len(rows)
        dismissed = set(
            ExclusionMatch.objects.filter(
                practitioner_id__in={r["practitioner_id"] for r in rows}, status=MatchStatus.DISMISSED
            ).values_list("practitioner_id", "summary")
        )
        existing = set(
            ExclusionMatch.objects.filter(
                practitioner_id__in={r["practitioner_id"] for r in rows}, exclusion_id__in={r["id"] for r in rows}
            ).values_list("practitioner_id", "exclusion_id")
        )
        new = []
        for row in rows:
            summary = exclusion_summary(row)
            pair = (row["practitioner_id"], row["id"])
            if pair in existing or (row["practitioner_id"], summary) in dismissed:
                continue
            existing.add(pair)
            new.append(
                ExclusionMatch(
                    practitioner_id=row["practitioner_id"], exclusion_id=row["id"], summary=summary, basis=row["basis"]
                )
            )
        say(f"recording {len(new)} new match(es)")
        # ignore_conflicts: a screening running at the same time may have recorded the same pair.
        ExclusionMatch.objects.bulk_create(new, ignore_conflicts=True)
        result.created = len(new)
        result.by_npi = sum(m.basis == MatchBasis.NPI for m in new)
        result.by_name_state = result.created - result.by_npi
        result.practitioner_ids = sorted({m.practitioner_id for m in new})
        if result.practitioner_ids:
            say(f"requalifying {len(result.practitioner_ids)} practitioner(s)")
            result.listings_changed = services.practitioners_requalify(
                practitioner_ids=result.practitioner_ids, today=today
            )
    return result
