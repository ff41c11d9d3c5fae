"""Benchmark the nightly expiry scan on PostGIS: ~5M credentials over ~1M practitioners.

    DATABASE_URL=postgis://... python bench/scan.py [--practitioners 1000000] [--credentials 5000000]
        [--day 2026-03-01] [--reuse [--new-credentials]] [--statements]

Loads the practitioners with seed_demo (DESTROYING the directory data in
that database, unless --reuse finds exactly that many there), replaces all
credentials with a generated mix written by one INSERT ... SELECT (kinds,
statuses and dates spread so every threshold has thousands of crossings on
the bench day), then times the scan for the day (a first, cold run), the
same day again (nothing new), and the next day (a normal night), printing
seconds, the statements each issued, and what each found. Sending the
digests is the workers' job, one email per clinic, and is not timed here.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import sys
import time

import benchenv  # sets up Django; must come before any Django import
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from credentials.expiry import scan  # noqa: E402
from credentials.expiry.models import ClinicDigest, ExpiryNotification, ScanRun  # noqa: E402
from credentials.models import Credential  # noqa: E402
from directory.models import Practitioner  # noqa: E402

STATES = ("WA", "CA", "TX", "FL", "NY", "IL", "CO", "AZ", "GA", "MD", "OR", "DE")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practitioners", type=int, default=1_000_000)
    parser.add_argument("--credentials", type=int, default=5_000_000)
    parser.add_argument("--day", type=datetime.date.fromisoformat, default=datetime.date(2026, 3, 1))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep practitioners and credentials already there")
    parser.add_argument(
        "--statements",
        action="store_true",
        help="print each scan's statements with their seconds (and the COMMIT's), slowest first",
    )
    parser.add_argument(
        "--new-credentials",
        action="store_true",
        help="with --reuse: keep the practitioners, write the credentials again",
    )
    return parser.parse_args()


def load_practitioners(n: int, seed: int, reuse: bool) -> None:
    if reuse and Practitioner.objects.count() == n:
        print(f"Reusing the {n:,} practitioners already in the database.")
        return
    began = time.perf_counter()
    call_command("seed_demo", practitioners=n, seed=seed, flush=True, batch_size=20_000, credentials=False)
    print(f"Seeded {n:,} practitioners in {time.perf_counter() - began:.0f} s.")


def generate_credentials(n: int, day: datetime.date) -> None:
    """n credentials in one statement, five per practitioner as a practitioner holds them:
    two licenses (in two states; for one practitioner in 20 the second is in the same
    state, a renewal), a certification, and two training records (Level 1 and Level 2);
    status 85% verified / 8% pending / 4% rejected / 3% revoked, expiry spread evenly
    from a year before the day to three years after (half the training records never
    expire). Row g goes to the (g-1) mod P-th practitioner, as its ((g-1) div P)-th
    credential: deciding the kind by g alone would give each practitioner (P a multiple
    of 4) five credentials of one kind. They are written as of a month before the scans
    (created, updated and verified then), as a directory's credentials were: the scan
    after another looks again at the credentials written since the previous one."""
    with connection.cursor() as cursor:
        for model in (ClinicDigest, ExpiryNotification, ScanRun):
            cursor.execute(f"TRUNCATE {model._meta.db_table} CASCADE")
        cursor.execute(f"TRUNCATE {Credential._meta.db_table} CASCADE")
        cursor.execute("SELECT min(id), count(*) FROM directory_practitioner")
        first_id, count = cursor.fetchone()
        began = time.perf_counter()
        cursor.execute(
            f"""
            INSERT INTO {Credential._meta.db_table} (
                practitioner_id, kind, name, issuer, jurisdiction, license_number, profession, hours,
                issued_on, expires_on, document, status, verified_at, method, next_review_due,
                created_at, updated_at)
            SELECT
                %(first)s + (g - 1) %% %(count)s,
                k.kind,
                CASE k.kind WHEN 'license' THEN '' WHEN 'certification' THEN 'Certified Dry Needling Practitioner'
                     ELSE 'Dry Needling Level ' || (k.nth - 2) END,
                CASE k.kind WHEN 'license' THEN 'State board' ELSE 'Needling Institute' END,
                CASE k.kind WHEN 'license' THEN (%(states)s::text[])[1 + k.state %% %(nstates)s] ELSE '' END,
                CASE k.kind WHEN 'license' THEN 'PT' || g ELSE '' END,
                CASE k.kind WHEN 'license' THEN 'PT' ELSE '' END,
                CASE k.kind WHEN 'training' THEN 27 + g %% 100 END,
                e.expires - 730 - (g %% 2000),
                CASE WHEN k.kind = 'training' AND g %% 2 = 0 THEN NULL ELSE e.expires END,
                '',
                s.status,
                CASE s.status WHEN 'verified' THEN now() - interval '30 days' END,
                CASE s.status WHEN 'verified' THEN 'primary_source' ELSE '' END,
                CASE WHEN s.status = 'verified' AND k.kind = 'license' THEN e.expires END,
                now() - interval '30 days', now() - interval '30 days'
            FROM generate_series(1, %(n)s) AS g
            CROSS JOIN LATERAL (SELECT (g - 1) %% %(count)s AS p, ((g - 1) / %(count)s) %% 5 AS nth) r
            CROSS JOIN LATERAL (
                SELECT r.nth,
                       CASE WHEN r.nth < 2 THEN 'license' WHEN r.nth = 2 THEN 'certification' ELSE 'training' END AS kind,
                       -- the second license's state: another one, or the same for a renewal
                       r.p + CASE WHEN r.nth = 1 AND r.p %% 20 <> 0 THEN 1 + r.p %% (%(nstates)s - 1) ELSE 0 END AS state
            ) k
            CROSS JOIN LATERAL (SELECT %(day)s::date - 365 + ((g::bigint * 7919) %% 1461)::int AS expires) e
            CROSS JOIN LATERAL (SELECT CASE WHEN (g * 31) %% 100 < 85 THEN 'verified'
                                            WHEN (g * 31) %% 100 < 93 THEN 'pending'
                                            WHEN (g * 31) %% 100 < 97 THEN 'rejected' ELSE 'revoked' END AS status) s
            """,
            {"first": first_id, "count": count, "n": n, "day": day, "states": list(STATES), "nstates": len(STATES)},
        )
        print(f"Generated {n:,} credentials over {count:,} practitioners in {time.perf_counter() - began:.0f} s.")
    # A month-old table has been through autovacuum: hint bits set, pages all-visible (the
    # scans' index-only counts need that). Freshly written, the first scan's reads set
    # the hint bits of millions of rows, and wrote the pages back, as part of its time.
    # And through checkpoints: otherwise the checkpointer writes the load's gigabytes
    # while the scans run.
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {Credential._meta.db_table}")
        cursor.execute("CHECKPOINT")
    print(f"Vacuumed and checkpointed them in {time.perf_counter() - began:.0f} s.")


class StatementTimer:
    """Seconds per statement (connection.execute_wrapper) and for the COMMIT, where
    PostgreSQL runs the deferred constraint checks of every row written."""

    def __init__(self):
        self.timings: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.timings.append((time.perf_counter() - began, " ".join(sql.split())))

    @contextlib.contextmanager
    def commits(self):
        commit = connection._commit

        def timed_commit():
            began = time.perf_counter()
            try:
                return commit()
            finally:
                self.timings.append((time.perf_counter() - began, "COMMIT"))

        connection._commit = timed_commit
        try:
            yield
        finally:
            del connection._commit

    def print(self, total: float) -> None:
        for seconds, sql in sorted(self.timings, reverse=True):
            if seconds >= 0.005:
                print(f"    {seconds:6.2f} s  {sql[:150]}")
        print(f"    {total - sum(s for s, _ in self.timings):6.2f} s  (Python, the rest)")


def timed_scan(day: datetime.date, label: str, statements: bool = False) -> dict:
    timer = StatementTimer()
    with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(timer), timer.commits():
        began = time.perf_counter()
        run = scan.credentials_scan(today=day)
        seconds = time.perf_counter() - began
    print(
        f"{label:<28} {seconds:6.2f} s  {len(queries):3d} statements  "
        f"{run.notifications:>8,} notifications  {run.digests:>7,} digests  "
        f"{run.review_due:>8,} review due  {run.practitioners_requalified:>6,} requalified"
    )
    if statements:
        timer.print(seconds)
    return {"seconds": seconds, "queries": len(queries)}


def main():
    args = parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/scan.py needs PostGIS (DATABASE_URL=postgis://...).")
    load_practitioners(args.practitioners, args.seed, args.reuse)
    if args.new_credentials or not (args.reuse and Credential.objects.count() == args.credentials):
        generate_credentials(args.credentials, args.day)
    else:
        print(f"Reusing the {args.credentials:,} credentials already in the database.")
        with connection.cursor() as cursor:
            for model in (ClinicDigest, ExpiryNotification, ScanRun):
                cursor.execute(f"TRUNCATE {model._meta.db_table} CASCADE")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM directory_clinic")
        clinics = cursor.fetchone()[0]
    print(
        f"Data: {Practitioner.objects.count():,} practitioners, {Credential.objects.count():,} credentials, "
        f"{clinics:,} clinics; scan day {args.day}."
    )
    print(f"PostgreSQL: {benchenv.server_memory()}.")
    timed_scan(args.day, "first scan (cold)", args.statements)
    timed_scan(args.day, "same day again", args.statements)
    timed_scan(args.day + datetime.timedelta(days=1), "next day", args.statements)
    timed_scan(args.day + datetime.timedelta(days=365), "a year ahead", args.statements)


if __name__ == "__main__":
    main()
