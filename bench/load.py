"""Served throughput: the production server command under a mix of patient searches.

    DATABASE_URL=postgis://... python bench/load.py [--seconds 30] [--workers 4] [--connections 16]

Starts gunicorn as the Dockerfile does (config/gunicorn.py, production settings, the
cache and the rate limits' counters on Redis, access log off so the disk is not
measured) on the given database, then drives it with wrk (Debian's package, installed
here when missing) for a fixed time with a mix of requests: ZIP, city and lat/lon
searches, filters, a second page, profiles, and `q` with and without a place. wrk runs
on the same two cores, as any load generator here would. Prints requests a second,
p50/p95/p99 latency, errors (connection errors, timeouts, non-2xx), and the goals.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import benchenv  # noqa: F401  (sets up Django; must come before any Django import)
from django.conf import settings  # noqa: E402

from directory.models import Practitioner  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
METRO_ZIPS = ["10001", "77002", "60601", "90012", "98101", "33130", "30303", "80202", "85004", "19103"]
CITIES = ["Seattle,WA", "Houston,TX", "Chicago,IL", "Denver,CO", "Phoenix,AZ"]
POINTS = ["47.61,-122.33", "40.75,-73.99", "29.76,-95.37", "41.88,-87.63"]

LUA = """
local paths = %(paths)s
local counter = 0
local failures = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
response = function(status, headers, body)
  if status >= 400 then failures = failures + 1 end
end
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %%d, "seconds": %%f, "p50": %%f, "p95": %%f, "p99": %%f, "max": %%f, '
    .. '"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk (Debian package)...", file=sys.stderr)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk")


def request_mix(rng: random.Random) -> list[str]:
    """About a thousand requests in a fixed order: mostly place searches, some with filters,
    second pages, profiles and name searches."""
    slugs = list(Practitioner.objects.order_by("?").values_list("slug", flat=True)[:200])
    mix = []
    for _ in range(1000):
        roll = rng.random()
        if roll < 0.30:
            mix.append(f"/api/v1/practitioners/?zip={rng.choice(METRO_ZIPS)}")
        elif roll < 0.42:
            mix.append(f"/api/v1/practitioners/?city={rng.choice(CITIES)}")
        elif roll < 0.52:
            mix.append(f"/api/v1/practitioners/?near={rng.choice(POINTS)}&radius_km=25")
        elif roll < 0.67:
            mix.append(
                f"/api/v1/practitioners/?zip={rng.choice(METRO_ZIPS)}&specialty=low-back-pain"
                "&technique=deep-dry-needling"
            )
        elif roll < 0.72:
            mix.append(f"/api/v1/practitioners/?zip={rng.choice(METRO_ZIPS)}&language=es&accepting_new_patients=true")
        elif roll < 0.80:
            mix.append(f"/api/v1/practitioners/?zip={rng.choice(METRO_ZIPS)}&offset=20")
        elif roll < 0.92:
            mix.append(f"/api/v1/practitioners/{rng.choice(slugs)}/")
        elif roll < 0.97:
            mix.append(f"/api/v1/practitioners/?zip={rng.choice(METRO_ZIPS)}&q=Nguyen")
        else:
            mix.append("/api/v1/practitioners/?q=Nguyen")
    return mix


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    wrk = ensure_wrk()
    database = settings.DATABASES["default"]
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgis://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "CACHE_URL": os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/13"),
        "CACHE_KEY_PREFIX": f"bench-{port}",
        "THROTTLE_ANON": "100000000/minute",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(args.workers),
        "DJANGO_DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    mix = request_mix(random.Random(args.seed))
    with tempfile.TemporaryDirectory() as work:
        script = Path(work) / "mix.lua"
        script.write_text(LUA % {"paths": "{" + ", ".join(json.dumps(path) for path in mix) + "}"})
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "--access-logfile", "/dev/null"]
            + ["config.wsgi:application"],
            cwd=ROOT,
            env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    # A fixed http:// address of our own server.
                    if urllib.request.urlopen(f"{base}/healthz", timeout=5).status == 200:  # noqa: S310
                        break
                except OSError:
                    time.sleep(0.1)
            else:
                raise SystemExit("gunicorn did not start")
            # Warm every worker's caches (vocabularies, ZIP table, prepared statements).
            subprocess.run([wrk, "-t2", f"-c{args.connections}", "-d5s", "-s", str(script), base], capture_output=True)
            run = subprocess.run(
                [wrk, "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "5s", "-s", str(script), base],
                capture_output=True,
                text=True,
                check=True,
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    errors = result["connect"] + result["read"] + result["write"] + result["status"] + result["timeout"]
    rate = result["requests"] / result["seconds"]
    print(
        f"Dataset: {Practitioner.objects.count():,} practitioners; gunicorn {args.workers} workers, "
        f"wrk 2 threads x {args.connections} connections, {args.seconds} s, {len(mix)} requests in the mix"
    )
    print(f"throughput {rate:8.1f} requests/s   ({result['requests']:,} requests)")
    print(
        f"latency ms p50 {result['p50']:.1f}   p95 {result['p95']:.1f}   p99 {result['p99']:.1f}   "
        f"max {result['max']:.1f}"
    )
    print(
        f"errors {errors} (connect {result['connect']}, read {result['read']}, write {result['write']}, "
        f"non-2xx/3xx {result['status']}, timeout {result['timeout']})"
    )
    goals = [("throughput >= 400/s", rate >= 400), ("p99 <= 50 ms", result["p99"] <= 50), ("0 errors", errors == 0)]
    print("Goals: " + "; ".join(f"{name}: {'met' if ok else 'missed'}" for name, ok in goals))


if __name__ == "__main__":
    main()
