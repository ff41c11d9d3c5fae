"""Time the name search (`q`) through the API on an already loaded database.

    DATABASE_URL=postgis://... python bench/names.py [--queries 100] [--explain]

For each shape (a surname, the same misspelt, a clinic word, a very common
surname; with and without a place) it prints p50/p95/p99 over `--queries` requests through
django.test.Client after a warm-up, the rows returned, and with `--explain`
the EXPLAIN (ANALYZE, BUFFERS) of the page's search query. `--mix` instead times each of
the load mix's 200 surnames once (bench/load.py's, one in ten misspelt), without a place
and with one of the mix's ZIP codes: the mean, median and slowest.
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import statistics
import time

import benchenv  # noqa: F401  (sets up Django, without the public cache; must come before any Django import)
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from directory import geocoding  # noqa: E402
from directory.models import Listing, Practitioner  # noqa: E402

SHAPES = [
    {"q": "Nguyen"},
    {"q": "nguyn"},
    {"q": "Nguyen", "zip": "77002"},
    {"q": "nguyn", "zip": "77002"},
    {"q": "Okafor", "zip": "10001"},
    {"q": "physical", "zip": "98101"},
    {"q": "Zhang"},
    # A common surname (one listing in a hundred), as the load mix's surnames often are.
    {"q": "Johnson"},
    {"q": "Johnson", "zip": "10001"},
]


IDS = re.compile(r"'[{][0-9,]*[}]'")


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=100, help="timed requests per shape (default 100)")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--explain", action="store_true", help="print the search query's plan for each shape")
    parser.add_argument(
        "--mix",
        action="store_true",
        help="instead, the load mix's 200 surnames (bench/load.py), each once after a warm-up, "
        "without a place and with one of the mix's ZIP codes",
    )
    args = parser.parse_args()

    geocoding.warm_up()
    gc.freeze()
    client = Client()
    if args.mix:
        return mix(client)
    print(f"Dataset: {Practitioner.objects.count():,} practitioners, {Listing.objects.count():,} listings")
    print(f"{'request':<45} {'rows':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for params in SHAPES:
        for _ in range(args.warmup):
            client.get("/api/v1/practitioners/", params)
        samples = []
        for _ in range(args.queries):
            began = time.perf_counter()
            response = client.get("/api/v1/practitioners/", params)
            samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.content
        rows = len(response.json()["results"])
        label = "?" + "&".join(f"{k}={v}" for k, v in params.items())
        print(
            f"{label:<45} {rows:>5} {statistics.median(samples):>8.1f} "
            f"{percentile(samples, 95):>8.1f} {percentile(samples, 99):>8.1f}"
        )
        if args.explain:
            explain(client, params)


def mix(client):
    """Each of the load mix's surnames (one in ten misspelt) once, after a warm-up request of
    its own: the mean and median, and the slowest, without a place and with a ZIP code."""
    import load  # noqa: PLC0415  (bench/load.py: its pools draw from the database)

    rng = random.Random(1)
    pools = load.pools(rng)
    for label, params in [
        ("without a place", [{"q": name} for name in pools.surnames]),
        ("with a ZIP code", [{"q": name, "zip": rng.choice(pools.zips)} for name in pools.surnames]),
    ]:
        timed = []
        for query in params:
            client.get("/api/v1/practitioners/", query)
            began = time.perf_counter()
            client.get("/api/v1/practitioners/", query)
            timed.append(((time.perf_counter() - began) * 1000, query))
        times = [ms for ms, _ in timed]
        slowest = ", ".join(f"{query['q']} {ms:.0f}" for ms, query in sorted(timed, key=lambda t: -t[0])[:8])
        print(
            f"{label}: {len(times)} surnames, mean {statistics.mean(times):.1f} ms, median {statistics.median(times):.1f} ms"
        )
        print(f"  slowest (ms): {slowest}")


def explain(client, params):
    """EXPLAIN (ANALYZE, BUFFERS) of the request's searches, each under the planner settings
    the API set for it (for that one statement: in its own transaction, or in the pipeline
    of that statement; see directory.selectors and core.db)."""
    with CaptureQueriesContext(connection) as captured:
        client.get("/api/v1/practitioners/", params)
    searches, settings = [], []
    for query in captured.captured_queries:
        sql = query["sql"]
        if sql in ("BEGIN", "COMMIT") or sql.startswith(("ROLLBACK", "RELEASE", "SAVEPOINT")):
            settings = []
        elif sql.startswith("SET LOCAL") or "set_config(" in sql:
            settings.append(sql)
        elif (
            sql.startswith("SELECT")
            and (settings or "ORDER BY" in sql)
            and "directory_listing" in sql.split("WHERE")[0]
        ):
            searches.append((list(settings), sql))
            settings = []
    for settings, sql in searches:
        with transaction.atomic(), connection.cursor() as cursor:
            for setting in settings:
                cursor.execute(setting)
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            # The ids in the plan are elided: thousands of them for a common surname.
            print("\n".join("    " + IDS.sub("'{...}'", row[0]) for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
