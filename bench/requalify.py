"""Benchmark requalification: every practitioner's qualified windows and training hours.

    DATABASE_URL=postgis://... python bench/requalify.py [--today 2026-12-04] [--seed-chunk 2000]
        [--steps unchanged,scratch,chunks] [--explain]

On an existing directory with credentials (seed_demo's), WRITING to it: times

1. the nightly repair (`qualification_repair`) when nothing is to change;
2. the same repair after every listing's window is emptied and every
   practitioner's hours zeroed (requalifying everyone from scratch);
3. with windows and hours emptied again, `practitioners_requalify` over
   every practitioner in chunks of `--seed-chunk` ids, as seed_demo's
   credentials stage calls it;

and after 2 and 3 counts the listings and practitioners whose values differ
from those the database held before the bench (what seed_demo computed):
0 unless the rule's answer changed. `--explain` prints EXPLAIN (ANALYZE,
BUFFERS) of one requalification statement of the new path (rolled back).
"""

from __future__ import annotations

import argparse
import datetime
import time

import benchenv  # noqa: F401  (sets up Django; must come before any Django import)
from django.db import connection, transaction  # noqa: E402
from tqdm import tqdm  # noqa: E402

from credentials import services  # noqa: E402
from directory.models import Practitioner  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--today", type=datetime.date.fromisoformat, default=datetime.date(2026, 12, 4))
    parser.add_argument("--seed-chunk", type=int, default=2000)
    parser.add_argument(
        "--steps",
        default="unchanged,scratch,chunks",
        help="which of the three to run, comma-separated (the old path at 1M takes minutes each)",
    )
    parser.add_argument("--explain", action="store_true")
    return parser.parse_args()


def execute(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall() if cursor.description else []


def snapshot() -> None:
    execute("DROP TABLE IF EXISTS bench_requalify_listing, bench_requalify_practitioner")
    execute(
        "CREATE UNLOGGED TABLE bench_requalify_listing AS "
        "SELECT id, qualified_from, qualified_until FROM directory_listing"
    )
    execute(
        "CREATE UNLOGGED TABLE bench_requalify_practitioner AS "
        "SELECT id, verified_training_hours FROM directory_practitioner"
    )


def differences() -> tuple[int, int]:
    [(listings,)] = execute(
        "SELECT count(*) FROM directory_listing l JOIN bench_requalify_listing b USING (id) "
        "WHERE (l.qualified_from, l.qualified_until) IS DISTINCT FROM (b.qualified_from, b.qualified_until)"
    )
    [(practitioners,)] = execute(
        "SELECT count(*) FROM directory_practitioner p JOIN bench_requalify_practitioner b USING (id) "
        "WHERE p.verified_training_hours <> b.verified_training_hours"
    )
    return listings, practitioners


def empty_everything() -> None:
    execute(
        "UPDATE directory_listing SET qualified_from = NULL, qualified_until = NULL WHERE qualified_until IS NOT NULL"
    )
    execute("UPDATE directory_practitioner SET verified_training_hours = 0 WHERE verified_training_hours <> 0")
    execute("VACUUM ANALYZE directory_listing")
    execute("VACUUM ANALYZE directory_practitioner")


def timed(label: str, run) -> None:
    began = time.perf_counter()
    changed = run()
    seconds = time.perf_counter() - began
    print(f"{label}: {seconds:.2f} s, {changed:,} listing(s) changed", flush=True)


def repair(today: datetime.date, total: int):
    def run():
        with tqdm(total=total, unit=" practitioners", leave=False) as bar:
            return services.qualification_repair(today=today, progress=bar.update)

    return run


def in_seed_chunks(today: datetime.date, ids: list[int], size: int):
    def run():
        changed = 0
        for start in tqdm(range(0, len(ids), size), unit=" chunks", leave=False):
            changed += services.practitioners_requalify(practitioner_ids=ids[start : start + size], today=today)
        return changed

    return run


def explain(today: datetime.date) -> None:
    from credentials import requalification

    [(first,)] = execute("SELECT min(id) FROM directory_practitioner")
    last = first + services.REQUALIFY_CHUNK - 1
    with transaction.atomic():
        plan = requalification.explain_id_range(first, last, today)
        transaction.set_rollback(True)
    print(f"EXPLAIN (ANALYZE, BUFFERS) of practitioners {first}..{last}:")
    print(plan)


def main() -> None:
    args = parse_args()
    ids = list(Practitioner.objects.order_by("id").values_list("id", flat=True))
    [(listings, credentials)] = execute(
        "SELECT (SELECT count(*) FROM directory_listing), (SELECT count(*) FROM credentials_credential)"
    )
    print(
        f"{len(ids):,} practitioners, {listings:,} listings, {credentials:,} credentials; today {args.today}",
        flush=True,
    )
    if args.explain:
        explain(args.today)
        return
    steps = args.steps.split(",")
    snapshot()
    if "unchanged" in steps:
        timed("repair, nothing to change", repair(args.today, len(ids)))
        print("  differing from before (listings, practitioners): {}, {}".format(*differences()))
    if "scratch" in steps:
        empty_everything()
        timed("repair, everyone from scratch", repair(args.today, len(ids)))
        print("  differing from before (listings, practitioners): {}, {}".format(*differences()))
    if "chunks" in steps:
        empty_everything()
        timed(
            f"practitioners_requalify in chunks of {args.seed_chunk:,} ids, from scratch",
            in_seed_chunks(args.today, ids, args.seed_chunk),
        )
        print("  differing from before (listings, practitioners): {}, {}".format(*differences()))
    execute("DROP TABLE bench_requalify_listing, bench_requalify_practitioner")


if __name__ == "__main__":
    main()
