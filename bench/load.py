"""Served throughput: the production server command under a mix of patient searches.

    DATABASE_URL=postgis://... python bench/load.py [--seconds 30] [--workers 4] [--connections 16]
        [--per-shape SECONDS] [--statements N]

Starts gunicorn as the Dockerfile does (config/gunicorn.py, production settings, the
cache and the rate limits' counters on Redis, access log off so the disk is not
measured) on the given database, then drives it with wrk (Debian's package, installed
here when missing) for a fixed time with a mix of 2,000 requests (SHAPES: ZIP, city and lat/lon
searches, filters, a second page, profiles, and `q` with and without a place) over 400
places drawn from the listings, 400 profiles and 200 surnames. wrk runs on the same two
cores, as any load generator here would. Prints requests a second, p50/p95/p99 latency, the
CPU milliseconds a request of the server, PostgreSQL, wrk and the machine's other processes
(steadier than the wall time on a shared machine),
errors (connection errors, timeouts, non-2xx), how many answers came from the public
cache (core.public_cache; `--cache-seconds 0` measures without it), the goals, and with
--per-shape each shape driven alone, to show which one holds the workers; with --statements N,
the N statements PostgreSQL spent most time on during the run (pg_stat_statements, which the
server must preload: `shared_preload_libraries = 'pg_stat_statements'`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import benchenv  # sets up Django; must come before any Django import
import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from directory.models import Language, Listing, Practitioner, Specialty, Technique  # noqa: E402
from portal.demo.data import NAME_ORIGINS  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# Distinct places in the mix: ZIP codes and cities drawn from where the listings are (so
# busy metros come up more often, as patients do), points scattered around them.
PLACE_POOL = 2000
PROFILE_POOL = 5000
# Client addresses the requests come from: at 400 requests a second, 24 a minute each, far
# below the anonymous rate limit (120 a minute), as patients' browsers are.
CLIENTS = 1000
NAME_POOL = 200

LUA = """
local paths = %(paths)s
local counter = 0
hits = 0
local threads = {}
id = 0
setup = function(thread)
  -- wrk's two threads take turns through the list (one the odd requests, one the even).
  thread:set("id", #threads)
  table.insert(threads, thread)
end
request = function()
  counter = counter + 1
  -- Patients come from many addresses (%(clients)d here), each far below the rate limit.
  local client = ((counter * 2 + id) * 7919) %% %(clients)d
  local address = string.format("10.%%d.%%d.%%d", math.floor(client / 65536), math.floor(client / 256) %% 256, client %% 256)
  return wrk.format("GET", paths[((counter * 2 + id) %% #paths) + 1], {["X-Forwarded-For"] = address})
end
response = function(status, headers, body)
  if headers["X-Cache"] == "hit" then hits = hits + 1 end
end
done = function(summary, latency, requests)
  local errors = summary.errors
  local all_hits = 0
  for _, thread in ipairs(threads) do all_hits = all_hits + thread:get("hits") end
  io.write(string.format(
    '{"requests": %%d, "seconds": %%f, "p50": %%f, "p95": %%f, "p99": %%f, "max": %%f, '
    .. '"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d, "hits": %%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout, all_hits))
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def reset_statements() -> None:
    """Start pg_stat_statements' counts afresh (creating the extension if missing)."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        cursor.execute("SELECT pg_stat_statements_reset()")


def top_statements(count: int) -> list[tuple[int, float, float, str, float]]:
    """The `count` statements of this database with the most execution time since the reset:
    (calls, total ms, mean ms, its first 200 characters without the select list and joins, every
    statement's total ms)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT calls, total_exec_time, mean_exec_time,"
            # The select list and the joins left out: the conditions tell the searches apart. (A
            # regular expression is as greedy as its first quantifier: hence `\S+?`.)
            " left(regexp_replace(regexp_replace(regexp_replace(query, '\\s+', ' ', 'g'),"
            " '^SELECT .*? FROM ', 'SELECT ... FROM '), '^SELECT \\.\\.\\. FROM (\\S+?) .*? WHERE ', 'FROM \\1 ... WHERE '),"
            " 200),"
            " sum(total_exec_time) OVER () FROM pg_stat_statements"
            " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " ORDER BY total_exec_time DESC LIMIT %s",
            [count],
        )
        return cursor.fetchall()


def children_cpu_seconds() -> float:
    """CPU seconds of this process's ended children (each run of wrk)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk (Debian package)...", file=sys.stderr)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk")


@dataclass(frozen=True)
class Pools:
    """What the requests are made of, drawn once from the database."""

    zips: list[str]
    cities: list[str]
    points: list[tuple[float, float]]
    slugs: list[str]
    surnames: list[str]
    specialties: list[str]
    techniques: list[str]
    languages: list[str]


def pools(rng: random.Random) -> Pools:
    """Places from a random sample of listings (weighted by where practitioners are), the
    demo's surnames (a tenth of them misspelt by one dropped letter), the vocabularies."""
    places = list(
        Listing.objects.order_by("?").values_list(
            "location__postal_code", "location__city", "location__state", "point"
        )[:PLACE_POOL]
    )
    surnames = sorted({name for origin in NAME_ORIGINS.values() for name in origin[3]})
    picked = rng.sample(surnames, min(NAME_POOL, len(surnames)))
    picked = [name[:2] + name[3:] if rng.random() < 0.1 and len(name) > 4 else name for name in picked]
    return Pools(
        zips=[zip_code for zip_code, _, _, _ in places],
        cities=[f"{city},{state}" for _, city, state, _ in places],
        points=[(point.y, point.x) for _, _, _, point in places],
        slugs=list(Practitioner.objects.order_by("?").values_list("slug", flat=True)[:PROFILE_POOL]),
        surnames=picked,
        specialties=list(Specialty.objects.values_list("slug", flat=True)),
        techniques=list(Technique.objects.values_list("slug", flat=True)),
        languages=list(Language.objects.exclude(code="en").values_list("code", flat=True)),
    )


def _near(rng: random.Random, p: Pools) -> str:
    lat, lon = rng.choice(p.points)
    return f"{lat + rng.uniform(-0.05, 0.05):.4f},{lon + rng.uniform(-0.05, 0.05):.4f}"


SEARCH = "/api/v1/practitioners/"
# (name, share of the mix, request): the patient's searches and profile views.
SHAPES: list[tuple[str, float, Callable[[random.Random, Pools], str]]] = [
    ("zip", 0.30, lambda r, p: f"{SEARCH}?zip={r.choice(p.zips)}"),
    ("city", 0.12, lambda r, p: f"{SEARCH}?city={quote(r.choice(p.cities))}"),
    ("lat/lon, 25 km", 0.10, lambda r, p: f"{SEARCH}?near={_near(r, p)}&radius_km=25"),
    (
        "zip + specialty + technique",
        0.15,
        lambda r, p: (
            f"{SEARCH}?zip={r.choice(p.zips)}&specialty={r.choice(p.specialties)}&technique={r.choice(p.techniques)}"
        ),
    ),
    (
        "zip + language + accepting",
        0.05,
        lambda r, p: f"{SEARCH}?zip={r.choice(p.zips)}&language={r.choice(p.languages)}&accepting_new_patients=true",
    ),
    ("zip, second page", 0.08, lambda r, p: f"{SEARCH}?zip={r.choice(p.zips)}&offset=20"),
    ("profile", 0.12, lambda r, p: f"{SEARCH}{r.choice(p.slugs)}/"),
    ("q + zip", 0.05, lambda r, p: f"{SEARCH}?zip={r.choice(p.zips)}&q={quote(r.choice(p.surnames))}"),
    ("q, no place", 0.03, lambda r, p: f"{SEARCH}?q={quote(r.choice(p.surnames))}"),
]


def request_mix(rng: random.Random, p: Pools, count: int) -> list[str]:
    """`count` requests in a fixed order, each shape about its share of them. Make it as long
    as the run, so that a request answered from the cache is one asked before (a popular place,
    a popular profile), never the mix starting over."""
    names = [name for name, _, _ in SHAPES]
    makers = {name: make for name, _, make in SHAPES}
    chosen = rng.choices(names, weights=[share for _, share, _ in SHAPES], k=count)
    return [makers[name](rng, p) for name in chosen]


def shape_requests(rng: random.Random, p: Pools, name: str, count: int) -> list[str]:
    make = next(make for shape, _, make in SHAPES if shape == name)
    return [make(rng, p) for _ in range(count)]


def empty_cache(url: str) -> None:
    """Empty the server's cache database (the bench's own Redis database, 13 by default)."""
    redis.Redis.from_url(url).flushdb()


def server_env(port: int, workers: int, *, cache_url: str, cache_seconds: int) -> dict[str, str]:
    database = settings.DATABASES["default"]
    return {
        **os.environ,
        "DATABASE_URL": f"postgis://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "CACHE_URL": cache_url,
        "CACHE_KEY_PREFIX": f"bench-{port}",
        # The production rate limit, counted per client address as behind one proxy: wrk
        # sends each request from one of CLIENTS addresses in X-Forwarded-For.
        "TRUSTED_PROXY_COUNT": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "DJANGO_DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "PUBLIC_CACHE_SECONDS": str(cache_seconds),
    }


def wait_until_up(base: str) -> None:
    for _ in range(300):
        try:
            # A fixed http:// address of our own server.
            if urllib.request.urlopen(f"{base}/healthz", timeout=5).status == 200:  # noqa: S310
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


def drive(wrk: str, base: str, paths: list[str], *, seconds: int, connections: int, work: Path) -> dict:
    """Run wrk for `seconds` over `paths` in turn; returns its summary (ms, counts)."""
    script = work / "mix.lua"
    script.write_text(LUA % {"paths": "{" + ", ".join(json.dumps(path) for path in paths) + "}", "clients": CLIENTS})
    run = subprocess.run(
        [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = run.stdout.strip().splitlines()
    if not lines or not lines[-1].startswith("{"):
        raise SystemExit(f"wrk printed no summary:\n{run.stdout}\n{run.stderr}")
    result = json.loads(lines[-1])
    result["errors"] = sum(result[kind] for kind in ("connect", "read", "write", "status", "timeout"))
    result["rate"] = result["requests"] / result["seconds"]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument(
        "--per-shape", type=int, default=0, metavar="SECONDS", help="also drive each shape alone for this long"
    )
    parser.add_argument(
        "--cache-seconds",
        type=int,
        default=60,
        help="PUBLIC_CACHE_SECONDS for the server (default 60, as in production; 0: no kept answers)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--statements",
        type=int,
        default=0,
        metavar="N",
        help="also print the N statements PostgreSQL spent most time on during the run "
        "(needs pg_stat_statements in shared_preload_libraries; the extension is created if missing)",
    )
    args = parser.parse_args()

    wrk = ensure_wrk()
    rng = random.Random(args.seed)
    p = pools(rng)
    # Enough distinct requests for the run at 1,000 a second: the mix never starts over.
    length = max(args.seconds, args.per_shape) * 1000
    warm_up, mix = request_mix(rng, p, 5000), request_mix(rng, p, length)
    port = free_port()
    cache_url = os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/13")
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as work:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "--access-logfile", "/dev/null"]
            + ["config.wsgi:application"],
            cwd=ROOT,
            env=server_env(port, args.workers, cache_url=cache_url, cache_seconds=args.cache_seconds),
        )
        try:
            wait_until_up(base)
            # Warm every worker (vocabularies, ZIP table, prepared statements) on other requests,
            # then start each measured run with nothing kept in the cache.
            drive(wrk, base, warm_up, seconds=5, connections=args.connections, work=Path(work))
            empty_cache(cache_url)
            if args.statements:
                reset_statements()
            cpu_before, wrk_before = benchenv.cpu_by_program(server.pid), children_cpu_seconds()
            result = drive(wrk, base, mix, seconds=args.seconds, connections=args.connections, work=Path(work))
            cpu = benchenv.cpu_spent(cpu_before, benchenv.cpu_by_program(server.pid))
            cpu["wrk"] = children_cpu_seconds() - wrk_before
            statements = top_statements(args.statements) if args.statements else []
            shapes = []
            for name, _, _ in SHAPES if args.per_shape else []:
                empty_cache(cache_url)
                paths = shape_requests(rng, p, name, length)
                shapes.append(
                    (
                        name,
                        drive(wrk, base, paths, seconds=args.per_shape, connections=args.connections, work=Path(work)),
                    )
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(
        f"Dataset: {Practitioner.objects.count():,} practitioners; gunicorn {args.workers} workers, "
        f"wrk 2 threads x {args.connections} connections, {args.seconds} s, {len(mix)} requests in the mix "
        f"({len(set(mix))} distinct)"
    )
    print(
        f"throughput {result['rate']:8.1f} requests/s   ({result['requests']:,} requests, "
        f"{result['hits'] / max(result['requests'], 1):.0%} answered from the cache)"
    )
    print(
        f"latency ms p50 {result['p50']:.1f}   p95 {result['p95']:.1f}   p99 {result['p99']:.1f}   "
        f"max {result['max']:.1f}"
    )
    per_request = {program: seconds * 1000 / max(result["requests"], 1) for program, seconds in cpu.items()}
    print(
        "CPU ms a request "
        + ", ".join(f"{program} {ms:.2f}" for program, ms in per_request.items())
        + f"; total {sum(per_request.values()):.2f} (at 400/s on two cores: 5.00)"
    )
    print(
        f"errors {result['errors']} (connect {result['connect']}, read {result['read']}, write {result['write']}, "
        f"non-2xx/3xx {result['status']}, timeout {result['timeout']})"
    )
    if statements:
        total = statements[0][4]
        print(f"\nStatements, by PostgreSQL's time during the run ({total / 1000:.1f} s in all):")
        print(f"{'calls':>7} {'total s':>8} {'mean ms':>8}  statement")
        for calls, spent, mean, text, _ in statements:
            print(f"{calls:>7} {spent / 1000:>8.2f} {mean:>8.2f}  {text}")
    if shapes:
        print(f"\nEach shape alone, {args.per_shape} s:")
        print(f"{'shape':<30} {'share':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'cached':>7}")
        shares = {name: share for name, share, _ in SHAPES}
        for name, alone in shapes:
            print(
                f"{name:<30} {shares[name]:>6.0%} {alone['rate']:>8.1f} {alone['p50']:>8.1f} {alone['p99']:>8.1f} "
                f"{alone['errors']:>7} {alone['hits'] / max(alone['requests'], 1):>7.0%}"
            )
    goals = [
        ("throughput >= 400/s", result["rate"] >= 400),
        ("p99 <= 50 ms", result["p99"] <= 50),
        ("0 errors", result["errors"] == 0),
    ]
    print("Goals: " + "; ".join(f"{name}: {'met' if ok else 'missed'}" for name, ok in goals))


if __name__ == "__main__":
    main()
