"""Benchmark a clinic's roster import on PostGIS: N rows, each a new practitioner with a license.

    DATABASE_URL=postgis://... python bench/roster.py [--rows 1000]

Creates a clinic with three locations in Seattle (the database's other rows
are left alone), generates a roster of N new practitioners in the real
column layout, then times a dry run, the real import and the same file again
(all unchanged), printing seconds, rows a second and the SQL statements each
issued. The clinic and what it imported are deleted at the end.
"""

from __future__ import annotations

import argparse
import datetime
import time

import benchenv  # noqa: F401  (sets up Django; must come before any Django import)
from django.db import connection, transaction  # noqa: E402

from directory import services as directory_services  # noqa: E402
from directory.models import Practitioner  # noqa: E402
from portal import roster  # noqa: E402

HEADER = "name,email,profession,npi,location,specialties,techniques,languages,license_state,license_number,license_issued,license_expiry"


def roster_bytes(rows: int, tag: str) -> bytes:
    lines = [HEADER]
    for n in range(rows):
        lines.append(
            f"Bench Person {tag}-{n},bench.{tag}.{n}@example.org,PT,,Downtown;Ballard,neck-pain,,en,"
            f"WA,PTB{tag}{n:06d},2016-05-01,2028-05-01"
        )
    return ("\n".join(lines) + "\n").encode()


def timed(label: str, run) -> float:
    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        began = time.perf_counter()
        report = run()
        seconds = time.perf_counter() - began
    counts = {action: report.count(action) for action in ("created", "updated", "unchanged", "rejected")}
    rows = len(report.rows)
    print(
        f"{label:<22} {seconds:8.2f} s  {rows / seconds:8.0f} rows/s  {statements:>8} statements  "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    args = parser.parse_args()
    tag = f"{int(time.time()) % 100000}"
    with transaction.atomic():
        clinic = directory_services.clinic_create(name=f"Bench Roster Clinic {tag}")
        for name, address in (("Downtown", "1200 3rd Ave"), ("Ballard", "5400 Ballard Ave NW"), ("", "900 Pike St")):
            directory_services.location_create(
                clinic=clinic, name=name, address=address, city="Seattle", state="WA", postal_code="98101"
            )
    content = roster_bytes(args.rows, tag)
    today = datetime.date(2026, 3, 1)
    print(f"Roster of {args.rows:,} rows ({len(content) / 1024:.0f} KB), each a new practitioner with a WA license")
    try:
        parsed = roster.read_roster(content, max_rows=args.rows)
        timed("dry run", lambda: roster.roster_import(clinic=clinic, roster=parsed, dry_run=True, today=today))
        first = timed("import", lambda: roster.roster_import(clinic=clinic, roster=parsed, dry_run=False, today=today))
        timed("same file again", lambda: roster.roster_import(clinic=clinic, roster=parsed, dry_run=False, today=today))
        print(f"At this rate 10,000 rows would take about {first * 10_000 / args.rows:.0f} s to import.")
    finally:
        Practitioner.objects.filter(email__startswith=f"bench.{tag}.").delete()
        clinic.delete()


if __name__ == "__main__":
    main()
