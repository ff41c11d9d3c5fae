"""Benchmark `seed_demo --flush` (with credentials, the default): wall seconds per stage.

    DATABASE_URL=postgis://... python bench/seed.py [--practitioners 1000000] [--seed 1]
        [--today 2026-12-04] [--without-requalify] [--statements N]

DESTROYS the directory data and credentials in that database (seed_demo
--flush). Prints seed_demo's own report: row counts, then seconds per stage
(clinics ... credentials, analyze, "requalify and indexes", vacuum,
screening), this process's CPU seconds and those of its PostgreSQL backend
(read from /proc: the database must run on this machine; the index builds
and the requalification after the load run in connections of their own, two
at a time by default (`--index-builders`), and their CPU is not counted).
On a shared machine, where the wall time mostly says how
busy the other processes were, the two CPU figures are the steadier
measure: on two idle cores the wall time lies between the larger of them
(Python and PostgreSQL fully overlapped) and their sum.

--statements N prints the N slowest statements the seed ran, timed around
Django's cursor, and the builds and the requalification after the load,
each timed whole in its own thread ("[builder]", "[requalify]", "[compact]").

--without-requalify replaces credentials.services.practitioners_requalify_between by
a no-op for the run, to time everything else on its own: the requalification
is its own piece of work (bench/README.md, "Requalification writes"), and the
two figures add up to a full seed. The listings then keep their stand-in
qualified days: do not use such a database for anything else.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import time
from unittest import mock

import benchenv  # sets up Django; must come before any Django import
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from scan import StatementTimer  # noqa: E402

from portal.demo import credentials as demo_credentials  # noqa: E402
from portal.demo import sinks  # noqa: E402


def timed_build(timer: StatementTimer):
    """sinks._build, timed into `timer`: the builds after the load run in threads of their own,
    each with its own connection, which the wrapper on this thread's connection does not see."""
    build = sinks._build

    def timed(statement):
        began = time.perf_counter()
        build(statement)
        timer.timings.append((time.perf_counter() - began, f"[builder] {statement.sql}"))

    return timed


def timed_requalify(timer: StatementTimer):
    """seed_demo's requalification of one part (a range of ids), timed into `timer`: after the
    load, the parts run at the same time in threads of their own."""
    requalify = demo_credentials.requalify_seeded

    def timed(ids, **kwargs):
        began = time.perf_counter()
        requalify(ids, **kwargs)
        timer.timings.append((time.perf_counter() - began, f"[requalify] {len(ids):,} practitioners"))

    return timed


def timed_compact(timer: StatementTimer):
    """CopySink.compact, timed into `timer` (after the load, in a thread of its own)."""
    compact = sinks.CopySink.compact

    def timed(self, tables):
        began = time.perf_counter()
        compact(self, tables)
        timer.timings.append((time.perf_counter() - began, f"[compact] {', '.join(tables)}"))

    return timed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practitioners", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=datetime.date.fromisoformat, default=datetime.date(2026, 12, 4))
    parser.add_argument("--without-requalify", action="store_true")
    parser.add_argument("--index-builders", type=int, default=2, help="seed_demo --index-builders (default 2)")
    parser.add_argument(
        "--statements", type=int, default=0, help="print the N slowest statements (index builds, constraints...)"
    )
    args = parser.parse_args()

    options = {
        "practitioners": args.practitioners,
        "seed": args.seed,
        "today": args.today,
        "flush": True,
        "index_builders": args.index_builders,
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    timer = StatementTimer()
    began_wall, began_cpu, began_db = time.perf_counter(), time.process_time(), benchenv.cpu_seconds(backend)
    with contextlib.ExitStack() as stack:
        if args.statements:
            stack.enter_context(connection.execute_wrapper(timer))
            stack.enter_context(timer.commits())
            stack.enter_context(mock.patch("portal.demo.sinks._build", timed_build(timer)))
            stack.enter_context(mock.patch("portal.demo.credentials.requalify_seeded", timed_requalify(timer)))
            stack.enter_context(mock.patch("portal.demo.sinks.CopySink.compact", timed_compact(timer)))
        if args.without_requalify:
            stack.enter_context(mock.patch("credentials.services.practitioners_requalify_between", return_value=(0, 0)))
        call_command("seed_demo", **options)
    wall, cpu = time.perf_counter() - began_wall, time.process_time() - began_cpu
    db = benchenv.cpu_seconds(backend) - began_db
    requalify = "without requalification" if args.without_requalify else "with requalification"
    print(
        f"{args.practitioners:,} practitioners, seed {args.seed}, {requalify}: {wall:.1f} s wall; "
        f"CPU {cpu:.1f} s Python, {db:.1f} s PostgreSQL; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"PostgreSQL: {benchenv.server_memory()}.")
    if args.statements:
        print(f"The {args.statements} slowest statements:")
        for seconds, sql in sorted(timer.timings, reverse=True)[: args.statements]:
            print(f"    {seconds:6.2f} s  {sql[:150]}")


if __name__ == "__main__":
    main()
