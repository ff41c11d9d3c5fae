"""Profile the Python of the nearest-20 practitioner search (the API request of bench/search.py).

    DATABASE_URL=postgis://... python bench/search_profile.py [--queries 300] [--top 40] [--query 'zip=10001&...']
    DATABASE_URL=postgis://... python bench/search_profile.py --compare-fresh [--blocks 12]

Runs the request of bench/search.py (or the one given by --query) from the
same metro origins through django.test.Client under cProfile after a warm-up,
and prints the functions with the most cumulative and own time, and the share
of a request spent in the main stages (the FilterSet and queryset, compiling
the SQL, executing it, building model instances, the page's JSON). Read-only.

--compare-fresh instead times the CPU of this process per request (no
profiler), in alternating blocks of 100 requests: from the statement kept for
the request's shape (core.prepared), and compiled afresh every time. CPU time
moves much less than wall time with a shared machine's load, and alternating
blocks in one process see the same load.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import time
from urllib.parse import urlencode

import benchenv  # noqa: F401  # sets up Django; must come before any Django import
import search  # noqa: E402
from django.test import Client  # noqa: E402

from core import prepared  # noqa: E402

STAGES = {
    "FilterSet (+ queryset when built)": ("filter_queryset", "core/filters.py"),
    "  building the queryset": ("filter_queryset", "directory/filters.py"),
    "compile SQL": ("as_sql", "django/db/models/sql/compiler.py"),
    "execute (cursor)": ("execute", "django/db/backends/utils.py"),
    "model instances": ("from_db", "django/db/models/base.py"),
    "page JSON": ("to_representation", "rest_framework/serializers.py"),
    "render JSON": ("render", "rest_framework/renderers.py"),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--query", default=None, help="a fixed query string instead of the bench's near=... searches")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--compare-fresh", action="store_true", help="CPU a request, kept statement against fresh")
    parser.add_argument("--blocks", type=int, default=12, help="with --compare-fresh: blocks of 100 requests")
    args = parser.parse_args()
    if args.compare_fresh:
        args.queries = args.blocks * 100

    if args.query:
        urls = ["/api/v1/practitioners/?" + args.query] * (args.queries + 20)
    else:
        urls = [
            "/api/v1/practitioners/?" + urlencode(search.api_params(point))
            for point in search.origins(args.queries + 20, args.seed)
        ]
    client = Client()

    def run(url):
        response = client.get(url, HTTP_ACCEPT="application/json")
        assert response.status_code == 200, (response.status_code, response.content[:300])

    for url in urls[:20]:
        run(url)
    gc.collect()
    gc.freeze()
    if args.compare_fresh:
        compare_fresh(client, urls[20:])
        return
    profile = cProfile.Profile()
    began = time.perf_counter()
    profile.enable()
    for url in urls[20:]:
        run(url)
    profile.disable()
    wall = (time.perf_counter() - began) / args.queries * 1000
    stats = pstats.Stats(profile)
    total = stats.total_tt / args.queries * 1000
    print(f"{args.queries} requests; {wall:.2f} ms a request under the profiler ({total:.2f} ms of profiled time)")
    print()
    print("stage (cumulative, a stage may include another)   ms/request   share")
    for label, (name, path) in STAGES.items():
        cumulative = sum(
            ct
            for (file, _, func), (_, _, _, ct, callers) in stats.stats.items()
            if func == name
            and file.endswith(path)
            # the outermost call only (filter_queryset calls its parent's)
            and not any(caller[2] == name and caller[0].endswith(path) for caller in callers)
        )
        print(f"{label:<50}{cumulative / args.queries * 1000:>10.2f}{cumulative / stats.total_tt:>8.0%}")
    print()
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)


def compare_fresh(client: Client, urls: list[str]) -> None:
    kept = prepared.fetch

    def fresh(key, build, inputs, *, using="default", run_plain, run_kept):
        return run_plain(build(inputs))

    cpu = {"kept statement": [], "compiled afresh": []}
    try:
        for block in range(len(urls) // 100):
            mode = "kept statement" if block % 2 == 0 else "compiled afresh"
            prepared.fetch = kept if block % 2 == 0 else fresh
            began = time.process_time()
            for n, url in enumerate(urls[block * 100 : (block + 1) * 100]):
                # one client address per request: the rate limit counts per address
                response = client.get(
                    url, HTTP_ACCEPT="application/json", REMOTE_ADDR=f"10.{block}.{n // 250}.{n % 250}"
                )
                assert response.status_code == 200, (response.status_code, response.content[:300])
            cpu[mode].append((time.process_time() - began) / 100 * 1000)
    finally:
        prepared.fetch = kept
    for mode, blocks in cpu.items():
        print(
            f"{mode:<16} CPU ms a request: median {statistics.median(blocks):.2f} "
            f"(blocks of 100: {' '.join(f'{ms:.2f}' for ms in blocks)})"
        )


if __name__ == "__main__":
    main()
