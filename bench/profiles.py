"""Time the public profile (GET /api/v1/practitioners/{slug}/) on an already loaded database.

    DATABASE_URL=postgis://... python bench/profiles.py [--profiles 400] [--seed 1]

Draws `--profiles` practitioners at random (deterministic for a seed), warms up on a
tenth of them, then requests each once through django.test.Client and prints
p50/p95/p99 in milliseconds and the queries one profile takes. Without the public
cache (benchenv), so each request does the work.
"""

from __future__ import annotations

import argparse
import gc
import random
import time

import benchenv  # noqa: F401  (sets up Django; must come before any Django import)
from django.db import connection  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from search import percentiles  # noqa: E402  (bench/search.py: p50, p95, p99)

from directory.models import Practitioner  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    last = Practitioner.objects.aggregate(last=Max("id"))["last"] or 0
    ids = {rng.randint(1, last) for _ in range(args.profiles * 2)}
    slugs = list(Practitioner.objects.filter(pk__in=ids).values_list("slug", flat=True)[: args.profiles])
    if not slugs:
        raise SystemExit("No practitioners: load some first (seed_demo).")
    client = Client()
    for slug in slugs[: max(1, len(slugs) // 10)]:
        client.get(f"/api/v1/practitioners/{slug}/")
    with CaptureQueriesContext(connection) as queries:
        if client.get(f"/api/v1/practitioners/{slugs[0]}/").status_code != 200:
            raise SystemExit(f"{slugs[0]}: not found")
    # Read now: every request clears the connection's query log (request_started).
    query_count = len(queries.captured_queries)
    gc.collect()
    times = []
    for slug in slugs:
        began = time.perf_counter()
        response = client.get(f"/api/v1/practitioners/{slug}/")
        times.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{slug}: {response.status_code}")
    print(f"Dataset: {Practitioner.objects.count():,} practitioners; {len(slugs)} profiles, one request each")
    p50, p95, p99 = percentiles(times)
    print(f"profile  p50 {p50:.2f} ms  p95 {p95:.2f} ms  p99 {p99:.2f} ms  queries {query_count}")


if __name__ == "__main__":
    main()
