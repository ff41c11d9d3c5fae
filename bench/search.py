"""Benchmark the nearest-20 practitioner search on PostGIS: API, raw SQL, bare KNN, naive GeoDjango.

    DATABASE_URL=postgis://... python bench/search.py [--n 100000] [--queries 200] [--seed 1] [--reuse]

Loads N demo practitioners with seed_demo (DESTROYING the directory data in
that database, unless --reuse finds exactly N there), then searches from
many ZIP centroids in big metros (deterministic for a seed) with two
filters, and prints latency percentiles, ratios, the dataset size and the
EXPLAIN (ANALYZE, BUFFERS) of the query the API runs. The bare KNN query
(the 20 nearest listings, no filter, no grouping) is the floor the search's
own SQL is measured against. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import benchenv  # sets up Django; must come before any Django import
from django.contrib.gis.db.models.functions import Distance  # noqa: E402
from django.contrib.gis.geos import Point  # noqa: E402
from django.contrib.gis.measure import D  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test import Client  # noqa: E402

from core import clock
from directory import selectors  # noqa: E402
from directory.filters import PractitionerSearchFilter  # noqa: E402
from directory.models import Listing, Practitioner  # noqa: E402
from portal import demo  # noqa: E402

FILTERS = {"specialty": "low-back-pain", "technique": "deep-dry-needling"}
LIMIT = 20
RADIUS_KM = 40  # the API's default radius, used by the naive query too
BENCH_ORIGIN = Point(-122.3305, 47.6114, srid=4326)  # any origin: only the shape of the query matters for its plan


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="practitioners to load (default 100000)")
    parser.add_argument("--queries", type=int, default=200, help="timed searches per way (default 200)")
    parser.add_argument(
        "--naive-queries", type=int, default=None, help="timed naive searches (default queries/10, at least 5)"
    )
    parser.add_argument("--warmup", type=int, default=20, help="untimed searches before timing each way (default 20)")
    parser.add_argument("--seed", type=int, default=1, help="seed for the data and the origins (default 1)")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data if the database already holds N practitioners"
    )
    parser.add_argument(
        "--no-gc-freeze",
        action="store_true",
        help="leave the setup's objects (ZIP tables, ...) to the cyclic GC, whose full collections then pause ~200 ms",
    )
    return parser.parse_args()


def require_postgis():
    if connection.vendor != "postgresql":
        sys.exit(f"bench/search.py needs PostGIS (DATABASE_URL=postgis://...); this is {connection.vendor}.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
        row = cursor.fetchone()
    if not row:
        sys.exit("The database has no postgis extension.")
    return row[0]


def load(n: int, seed: int, reuse: bool) -> float | None:
    """Seed n practitioners unless --reuse and they are there; returns the seconds it took (None if reused)."""
    if reuse and Practitioner.objects.count() == n:
        print(f"Reusing the {n:,} practitioners already in the database.")
        return None
    began = time.perf_counter()
    call_command("seed_demo", practitioners=n, seed=seed, flush=True, batch_size=20_000, credentials=False)
    return time.perf_counter() - began


def origins(count: int, seed: int) -> list[Point]:
    """ZIP centroids in big metros (the dense part of the data), the same for the same seed."""
    table = demo.zip_table()
    rng = random.Random(f"bench-origins/{seed}")
    points = []
    while len(points) < count:
        _, _, zips, cum_weights = rng.choices(table.metros, cum_weights=table.metro_cum_weights)[0]
        z = rng.choices(zips, cum_weights=cum_weights)[0]
        points.append(Point(z.lon, z.lat, srid=4326))
    return points


def api_params(point: Point) -> dict[str, str]:
    return {"near": f"{point.y:.6f},{point.x:.6f}", **FILTERS, "limit": str(LIMIT)}


def api_queryset(point: Point):
    """The queryset the API view evaluates for one page: the same FilterSet on the same base queryset."""
    data = QueryDict(mutable=True)
    data.update(api_params(point))
    filterset = PractitionerSearchFilter(data=data, queryset=selectors.listing_search_base(), request=None)
    if not filterset.is_valid():
        raise SystemExit(f"Bad bench parameters: {filterset.errors}")
    return filterset.qs[: LIMIT + 1]  # the paginator fetches one extra row to know there is a next page


def api_search(client: Client):
    def run(point: Point):
        response = client.get("/api/v1/practitioners/?" + urlencode(api_params(point)), HTTP_ACCEPT="application/json")
        assert response.status_code == 200, (response.status_code, response.content[:300])
        return [(row["id"], row["distance_km"]) for row in response.json()["results"]]

    return run


def search_plan():
    """The planner settings the API runs its search under (see selectors.nearest_first_plan)."""
    return selectors.nearest_first_plan(SEARCH_SHAPE)


def raw_search(compiled: tuple[str, tuple]):
    """Only the database's part: execute the API's SQL (compiled beforehand) and fetch the rows,
    under the API's planner settings (decided once, from the query's shape, outside the timing)."""
    sql, params = compiled
    with search_plan(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


SEARCH_SHAPE = None  # the API's queryset for one origin: its shape decides the planner settings

BARE_KNN_SQL = f"SELECT id FROM {Listing._meta.db_table} ORDER BY point <-> ST_GeogFromText(%s) LIMIT {LIMIT}"  # noqa: S608


def bare_knn(point: Point):
    """The floor: the 20 nearest listings by the GiST index, no filter, no grouping, no join."""
    with connection.cursor() as cursor:
        cursor.execute(BARE_KNN_SQL, [point.ewkt])
        return cursor.fetchall()


def compiled_sql(point: Point):
    return api_queryset(point).query.sql_with_params()


def naive_search(point: Point):
    """What a first GeoDjango attempt looks like: distance_lte + Distance() order, dedupe in Python."""
    today = clock.today()
    rows = (
        Listing.objects.filter(
            point__distance_lte=(point, D(km=RADIUS_KM)),
            qualified_from__lte=today,
            qualified_until__gte=today,
            practitioner__specialties__slug=FILTERS["specialty"],
            practitioner__techniques__slug=FILTERS["technique"],
        )
        .select_related("practitioner", "location__clinic")
        .annotate(d=Distance("point", point))
        .order_by("d")[:200]
    )
    seen, page = set(), []
    for row in rows:
        if row.practitioner_id not in seen:
            seen.add(row.practitioner_id)
            page.append((row.practitioner_id, round(row.d.m / 1000, 3)))
            if len(page) == LIMIT:
                break
    return page


def percentiles(samples_ms: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


CPU_MS: dict[str, float] = {}  # way -> mean CPU ms of this process per timed call


def timed(run, inputs: list, warmup: int) -> tuple[list[float], list]:
    for item in inputs[:warmup]:
        run(item)
    samples, results = [], []
    cpu_began = None
    for n, item in enumerate(inputs):
        if n == warmup:
            cpu_began = time.process_time()
        began = time.perf_counter_ns()
        results.append(run(item))
        samples.append((time.perf_counter_ns() - began) / 1e6)
    if cpu_began is not None:
        CPU_MS[getattr(run, "__name__", "")] = (time.process_time() - cpu_began) / (len(inputs) - warmup) * 1000
    return samples, results


def explain(point: Point) -> str:
    sql, params = compiled_sql(point)
    with search_plan(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def server_side(sql: str, params, plan) -> tuple[float, int]:
    """The server's own figures for one statement: execution time (ms) and pages touched (shared hit + read)."""
    with plan, connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
        (document,) = cursor.fetchone()
    root = (document if isinstance(document, list) else json.loads(document))[0]
    node = root["Plan"]
    return root["Execution Time"], node.get("Shared Hit Blocks", 0) + node.get("Shared Read Blocks", 0)


def server_side_table(points: list[Point]) -> None:
    """Execution time and pages touched as the server counts them, for the search and the bare KNN.

    Pages touched do not depend on what else the machine is doing, unlike
    the client's timings on a shared machine, so they show the work a query
    does (the search against its floor) even when the timings are noisy.
    """
    search = [server_side(*compiled_sql(point), search_plan()) for point in points]
    bare = [server_side(BARE_KNN_SQL, [point.ewkt], contextlib.nullcontext()) for point in points]
    print()
    print(
        f"{'server side (EXPLAIN ANALYZE)':<34}{'exec p50 ms':>12}{'exec p99 ms':>12}{'pages p50':>10}{'pages p99':>10}"
    )
    for label, rows in (("search SQL", search), ("bare KNN", bare)):
        times, pages = percentiles([ms for ms, _ in rows]), percentiles([float(n) for _, n in rows])
        print(f"{label:<34}{times[0]:>12.2f}{times[2]:>12.2f}{pages[0]:>10.0f}{pages[2]:>10.0f}")


def point_index_names() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef ILIKE %s",
            [Listing._meta.db_table, "%USING gist (point)%"],
        )
        return [row[0] for row in cursor.fetchall()]


def code_version() -> str:
    """The commit the search code comes from, and whether the search files differ from it."""
    import subprocess

    def git(*args):
        return subprocess.run(["git", "-C", str(benchenv.ROOT), *args], capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "directory")
    return commit + (" + uncommitted changes in directory/" if dirty else "")


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model})"


def main():
    args = parse_args()
    postgis = require_postgis()
    naive_count = args.naive_queries or max(5, args.queries // 10)

    seconds = load(args.n, args.seed, args.reuse)
    practitioners, listings = Practitioner.objects.count(), Listing.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (server,) = cursor.fetchone()

    global SEARCH_SHAPE
    SEARCH_SHAPE = api_queryset(BENCH_ORIGIN)
    points = origins(args.queries + args.warmup, args.seed)
    warm, timed_points = points[: args.warmup], points[args.warmup :]

    # A tuned server freezes what it loaded at start-up (gunicorn --preload
    # plus gc.freeze()); without it, each full collection walks the ~400k
    # objects of the ZIP tables and Django and stalls a request ~200 ms.
    if not args.no_gc_freeze:
        gc.collect()
        gc.freeze()
    client = Client()
    api_ms, api_pages = timed(api_search(client), warm + timed_points, args.warmup)
    api_ms, api_pages = api_ms[args.warmup :], api_pages[args.warmup :]
    compiled = [compiled_sql(point) for point in warm + timed_points]
    raw_ms, raw_rows = timed(raw_search, compiled, args.warmup)
    raw_ms = raw_ms[args.warmup :]
    bare_ms, _ = timed(bare_knn, warm + timed_points, args.warmup)
    bare_ms = bare_ms[args.warmup :]
    naive_points = timed_points[:naive_count]
    naive_ms, naive_pages = timed(naive_search, warm[:2] + naive_points, 2)
    naive_ms, naive_pages = naive_ms[2:], naive_pages[2:]

    # Practitioners at one location tie; pages agree when they hold the same distances.
    same = sum(
        sorted(round(km, 2) for _, km in a) == sorted(round(km, 2) for _, km in b)
        for a, b in zip(api_pages, naive_pages)
    )
    mean_results = statistics.mean(len(page) for page in api_pages)

    print()
    print(f"Machine: {machine()}; PostgreSQL {server} ({benchenv.server_memory()}), PostGIS {postgis}")
    print(f"Code: {code_version()}; gc.freeze() after setup: {'no' if args.no_gc_freeze else 'yes'}")
    print(f"Dataset: {practitioners:,} practitioners, {listings:,} listings (seed {args.seed})")
    if seconds is not None:
        print(f"Seeded in {seconds:.1f} s")
    print(
        f"Search: nearest {LIMIT} within {RADIUS_KM} km, "
        + " & ".join(f"{k}={v}" for k, v in FILTERS.items())
        + f", qualified only; from {len(timed_points)} metro ZIP centroids; {mean_results:.1f} results on average"
    )
    print()
    print(f"{'way':<34}{'queries':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    table = (
        ("API end to end (django.test.Client)", api_ms),
        ("raw SQL (the API's KNN query)", raw_ms),
        ("bare KNN (listing, no filter)", bare_ms),
        ("naive GeoDjango (distance_lte)", naive_ms),
    )
    stats = {}
    for label, samples in table:
        stats[label] = percentiles(samples) if len(samples) > 1 else (samples[0],) * 3
        p50, p95, p99 = stats[label]
        print(f"{label:<34}{len(samples):>8}{p50:>10.2f}{p95:>10.2f}{p99:>10.2f}")
    api, raw, bare, naive = (stats[label] for label, _ in table)
    print()
    print(f"API / raw SQL:  p50 {api[0] / raw[0]:.1f}x, p99 {api[2] / raw[2]:.1f}x")
    print(f"raw SQL / bare KNN:  p50 {raw[0] / bare[0]:.1f}x, p99 {raw[2] / bare[2]:.1f}x")
    print(f"naive / API:    p50 {naive[0] / api[0]:.0f}x, p99 {naive[2] / api[2]:.0f}x")
    print(f"naive and API pages agree (same distances, ties aside) for {same} of {len(naive_pages)} origins")
    # CPU time of this process moves far less with the machine's load than the timings:
    # for the API it is the request's Python (and the test client's), for the raw SQL the driver's.
    print(
        f"CPU of this process per call, mean: API {CPU_MS.get('run', 0):.2f} ms, "
        f"raw SQL {CPU_MS.get('raw_search', 0):.2f} ms, bare KNN {CPU_MS.get('bare_knn', 0):.2f} ms"
    )

    goals = (
        ("API p50 <= 5 ms", api[0] <= 5),
        ("API p99 <= 25 ms", api[2] <= 25),
        ("raw SQL <= 2x bare KNN (p50)", raw[0] <= 2 * bare[0]),
        ("naive >= 100x slower than API (p50)", naive[0] >= 100 * api[0]),
    )
    print("Goals: " + "; ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in goals))
    server_side_table(timed_points)

    # The plan for the densest origin we have: Manhattan.
    manhattan = Point(-73.9967, 40.7484, srid=4326)
    plan = explain(manhattan)
    print()
    print("EXPLAIN (ANALYZE, BUFFERS) of the API's search query from ZIP 10001 (New York):")
    print(plan)
    indexes = point_index_names()
    used = [name for name in indexes if f"Index Scan using {name}" in plan]
    knn = "Order By: (point <->" in plan
    print()
    if used:
        print(
            f"GiST index on listing.point used: YES ({', '.join(used)}; KNN ordering in the index scan: {'yes' if knn else 'no'})"
        )
    else:
        print(f"GiST index on listing.point used: NO (indexes on listing.point: {', '.join(indexes) or 'none'})")


if __name__ == "__main__":
    main()
