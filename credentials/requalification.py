"""Requalification in one SQL statement: the rule of credentials.qualification, set-based.

credentials.qualification decides one listing at a time in Python, trying
candidate days; the services used to feed it per chunk of 1,000
practitioners, 0.14 s a chunk: 2.5 minutes a night for a million
practitioners, and most of the time of seeding them. The qualified days of
a listing are an intersection of sets of days, which PostgreSQL computes
for every listing of many practitioners in one statement as
datemultiranges (a union of disjoint date ranges, `*` the intersection):

1. the state permits the profession (else no day);
2. the union of the validity ranges [issued_on, expires_on] of the verified
   licenses of the profession issued by the state;
3. the days on which the verified training valid that day adds up to the
   state's minimum hours: a running sum of +hours on each issue day and
   -hours the day after each expiry, kept where it reaches the minimum
   (every day when the minimum is 0);
4. where the state asks for years licensed, the days from the anniversary
   of the earliest verified license of the profession (any state, expired
   or not, as the rule takes it) on, 29 February falling on 1 March;
5. no day for a practitioner with a standing exclusion-list match (asked of
   credentials.selectors, as everywhere else, and passed as an array).

The stored window is the first range of that set that ends on or after
today, its start clipped to today, and QUALIFIED_INDEFINITELY as the end
of a range that never ends (or ends after it). The Python rule stays the
reference (the shortfalls and the tests use it); tests/credentials/
test_requalification.py checks this against it on random credentials.

The same statement writes what changed (the listings' windows, the
practitioners' verified training hours, each with `updated_at`, which the
FHIR sync reads, and the listings' copies of those hours) and counts the
listings that changed.
"""

from __future__ import annotations

import datetime

from django.db import connection
from django.utils import timezone

from core.db import planner_setting

from . import qualification, selectors
from .models import platform_default_min_training_hours

# Formatted with the scope (which practitioners) as a condition on each table's
# practitioner id column, so that each table is read by its index for a small
# chunk of ids (without it, the plans that suit a whole range scanned whole tables
# for each of seed_demo's chunks of 2,000); the values go as parameters.
_REQUALIFY = """
WITH
practitioner AS MATERIALIZED (
    SELECT id, profession, verified_training_hours
    FROM directory_practitioner
    WHERE {practitioner_in_scope}
),
their_credential AS MATERIALIZED (
    -- Found by practitioner first, and only then filtered by status, in two steps: right
    -- after credentials are written in bulk (seed_demo), statistics that still say
    -- "few are verified" or "the table is small" led the planner to the status index,
    -- or to a sequential scan, reading the whole table for each chunk of practitioners.
    {their_credentials}
),
verified AS MATERIALIZED (
    SELECT practitioner_id AS pid, kind, issued_on, expires_on, jurisdiction, profession,
           coalesce(hours, 0) AS hours,
           -- Never valid when it expires before it is issued.
           expires_on IS NULL OR expires_on >= issued_on AS ever_valid
    FROM their_credential
    WHERE status = 'verified'
),
listing AS MATERIALIZED (
    SELECT l.id, l.practitioner_id AS pid, loc.state, p.profession, l.qualified_from, l.qualified_until,
           rule.id IS NULL OR (rule.dry_needling_permitted AND rule.permitted_professions ? p.profession)
               AS permits,
           coalesce(rule.min_training_hours, %(default_min_hours)s) AS min_hours,
           nullif(rule.min_years_licensed, 0) AS min_years
    FROM directory_listing l
    JOIN practitioner p ON p.id = l.practitioner_id
    JOIN directory_location loc ON loc.id = l.location_id
    LEFT JOIN credentials_staterule rule ON rule.state = loc.state
    WHERE {listing_in_scope}
),
licensed AS (
    SELECT pid, jurisdiction, profession, range_agg(daterange(issued_on, expires_on, '[]')) AS days
    FROM verified
    WHERE kind = 'license' AND ever_valid
    GROUP BY pid, jurisdiction, profession
),
first_license AS (
    SELECT pid, profession, min(issued_on) AS issued_on
    FROM verified
    WHERE kind = 'license'
    GROUP BY pid, profession
),
hours_change AS (
    SELECT pid, issued_on AS day, hours AS delta FROM verified WHERE kind = 'training' AND ever_valid
    UNION ALL
    SELECT pid, expires_on + 1, -hours FROM verified WHERE kind = 'training' AND expires_on >= issued_on
),
hours_step AS (
    -- From `day` until the next change (exclusive), `hours` of training are valid.
    SELECT pid, day, lead(day) OVER w AS next_day, sum(sum(delta)) OVER w AS hours
    FROM hours_change
    GROUP BY pid, day
    WINDOW w AS (PARTITION BY pid ORDER BY day)
),
trained AS (
    SELECT m.pid, m.min_hours, range_agg(daterange(s.day, s.next_day)) AS days
    FROM (SELECT DISTINCT pid, min_hours FROM listing WHERE min_hours > 0) m
    JOIN hours_step s ON s.pid = m.pid AND s.hours >= m.min_hours
    GROUP BY m.pid, m.min_hours
),
excluded AS (
    SELECT DISTINCT unnest(%(excluded)s::bigint[]) AS pid
),
qualified AS (
    SELECT l.id, l.pid, l.qualified_from, l.qualified_until,
           CASE WHEN l.permits AND x.pid IS NULL THEN
               licensed.days
               * CASE WHEN l.min_hours <= 0 THEN '{{(,)}}'::datemultirange
                      ELSE coalesce(trained.days, '{{}}'::datemultirange) END
               * CASE WHEN l.min_years IS NULL THEN '{{(,)}}'::datemultirange
                      ELSE datemultirange(daterange(
                          (first_license.issued_on + make_interval(years => l.min_years))::date
                          -- PostgreSQL puts 29 February on the 28th in other years; the rule, on 1 March.
                          + CASE WHEN to_char(first_license.issued_on, 'MM-DD') = '02-29'
                                  AND to_char(first_license.issued_on + make_interval(years => l.min_years), 'DD')
                                      = '28'
                                 THEN 1 ELSE 0 END,
                          NULL)) END
           END AS days
    FROM listing l
    LEFT JOIN excluded x ON x.pid = l.pid
    LEFT JOIN licensed ON licensed.pid = l.pid AND licensed.jurisdiction = l.state
                          AND licensed.profession = l.profession
    LEFT JOIN trained ON trained.pid = l.pid AND trained.min_hours = l.min_hours
    LEFT JOIN first_license ON first_license.pid = l.pid AND first_license.profession = l.profession
),
window_ AS (
    SELECT q.id, q.pid, q.qualified_from, q.qualified_until,
           CASE WHEN run IS NOT NULL THEN greatest(lower(run), %(today)s::date) END AS new_from,
           CASE WHEN run IS NULL THEN NULL
                WHEN upper_inf(run) OR upper(run) > %(indefinitely)s::date THEN %(indefinitely)s::date
                ELSE upper(run) - 1 END AS new_until
    FROM qualified q
    LEFT JOIN LATERAL (
        SELECT run FROM unnest(q.days) AS run
        WHERE upper_inf(run) OR upper(run) > %(today)s::date
        ORDER BY lower(run)
        LIMIT 1
    ) first_run ON true
),
training_today AS (
    SELECT p.id, p.verified_training_hours AS stored, coalesce(sum(v.hours), 0) AS hours
    FROM practitioner p
    LEFT JOIN verified v ON v.pid = p.id AND v.kind = 'training'
                            AND v.issued_on <= %(today)s AND (v.expires_on IS NULL OR v.expires_on >= %(today)s)
    GROUP BY p.id, p.verified_training_hours
),
listing_update AS (
    -- The window, and the listing's copy of its practitioner's hours (the search's
    -- min_training_hours filter, directory.models.Listing) in the same write; only a
    -- new window is a change the FHIR sync sees (`updated_at`), as for the other copies.
    UPDATE directory_listing t
    SET qualified_from = w.new_from, qualified_until = w.new_until, verified_training_hours = h.hours,
        updated_at = CASE WHEN (w.new_from, w.new_until) IS DISTINCT FROM (w.qualified_from, w.qualified_until)
                          THEN %(now)s ELSE t.updated_at END
    FROM window_ w
    JOIN training_today h ON h.id = w.pid
    WHERE t.id = w.id AND {listing_row_in_scope}
          AND ((w.new_from, w.new_until) IS DISTINCT FROM (w.qualified_from, w.qualified_until)
               OR t.verified_training_hours <> h.hours)
    RETURNING t.id
),
practitioner_update AS (
    UPDATE directory_practitioner t
    SET verified_training_hours = h.hours, updated_at = %(now)s
    FROM training_today h
    WHERE t.id = h.id AND {practitioner_row_in_scope} AND h.hours <> h.stored
    RETURNING t.id
)
SELECT
    -- A union and a join, never "IN (listing_update) OR IN (...)": PostgreSQL hashes an
    -- IN list only if its estimate fits in work_mem, and an over-estimated list was read
    -- again for every listing (a first chunk of 250,000 seeded practitioners ran for
    -- minutes instead of seconds).
    (SELECT count(*) FROM (
        SELECT id FROM listing_update
        UNION
        SELECT w.id FROM window_ w JOIN practitioner_update u ON u.id = w.pid
    ) changed),
    (SELECT count(*) FROM practitioner)
"""


_CREDENTIAL_COLUMNS = (
    "c.practitioner_id, c.status, c.kind, c.issued_on, c.expires_on, c.jurisdiction, c.profession, c.hours"
)

# A list of ids: the credentials of each by the practitioner index, whatever the
# statistics say (OFFSET 0 keeps the planner from flattening the lateral subquery
# into a join, which it then made by sorting the whole table).
_CREDENTIALS_OF_IDS = f"""SELECT {_CREDENTIAL_COLUMNS}
    FROM unnest(%(ids)s::bigint[]) AS scope(id)
    CROSS JOIN LATERAL (SELECT * FROM credentials_credential c WHERE c.practitioner_id = scope.id OFFSET 0) c"""

# A range of ids: an index or bitmap scan of the range, or for a range as large as
# the table, the sequential scan the planner then rightly prefers.
_CREDENTIALS_BETWEEN = f"""SELECT {_CREDENTIAL_COLUMNS}
    FROM credentials_credential c
    WHERE c.practitioner_id BETWEEN %(first)s AND %(last)s"""


def _statement(scope: str, their_credentials: str, params: dict, excluded, today: datetime.date) -> tuple[str, dict]:
    """The statement for the practitioners whose id satisfies `scope` ("{id} ..."),
    whose credentials `their_credentials` selects."""
    sql = _REQUALIFY.format(
        practitioner_in_scope=scope.format(id="id"),
        their_credentials=their_credentials,
        listing_in_scope=scope.format(id="l.practitioner_id"),
        listing_row_in_scope=scope.format(id="t.practitioner_id"),
        practitioner_row_in_scope=scope.format(id="t.id"),
    )
    return sql, {
        **params,
        "excluded": sorted(excluded),
        "today": today,
        "now": timezone.now(),
        "indefinitely": qualification.QUALIFIED_INDEFINITELY,
        "default_min_hours": platform_default_min_training_hours(),
    }


def _run(sql: str, params: dict) -> tuple[int, int]:
    """Run the statement with a plan made for its values.

    The connection prepares a statement on its second run (DB_PREPARE_THRESHOLD),
    and after five runs PostgreSQL may switch to a generic plan, made without
    knowing how many ids the array holds: chunks of seed_demo's 2,000 then took
    10-15 s instead of 0.3-0.8 s. So custom plans are forced for this statement only.
    """
    with planner_setting("plan_cache_mode", "force_custom_plan"), connection.cursor() as cursor:
        cursor.execute(sql, params)
        changed, practitioners = cursor.fetchone()
    return changed, practitioners


def _id_range(first: int, last: int, today: datetime.date) -> tuple[str, dict]:
    return _statement(
        "{id} BETWEEN %(first)s AND %(last)s",
        _CREDENTIALS_BETWEEN,
        {"first": first, "last": last},
        selectors.excluded_practitioner_ids_between(first, last),
        today,
    )


def requalify_ids(ids: list[int], today: datetime.date) -> int:
    """Requalify these practitioners' listings and training hours; returns the listings changed."""
    if not ids:
        return 0
    ids = list(ids)
    changed, _ = _run(
        *_statement(
            "{id} = ANY(%(ids)s::bigint[])",
            _CREDENTIALS_OF_IDS,
            {"ids": ids},
            selectors.excluded_practitioner_ids(ids),
            today,
        )
    )
    return changed


def requalify_id_range(first: int, last: int, today: datetime.date) -> tuple[int, int]:
    """Requalify every practitioner with `first` <= id <= `last` (no list of ids to send);
    returns (listings changed, practitioners in the range)."""
    return _run(*_id_range(first, last, today))


def explain_id_range(first: int, last: int, today: datetime.date) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of `requalify_id_range`: it runs, and writes (roll it back)."""
    sql, params = _id_range(first, last, today)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())
