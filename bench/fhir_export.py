"""Benchmark the FHIR bulk export ($export) on PostGIS: time and peak memory for every resource type.

    DATABASE_URL=postgis://... python bench/fhir_export.py [--n 100000] [--reuse] [--no-credentials]
        [--tracemalloc] [--searches-only]

Loads the practitioners with seed_demo (DESTROYING the directory data in that database,
unless --reuse finds exactly that many there), then runs one export job of every type
in this process, exactly as the Celery task does (fhirapi.export.export_run), writing
the NDJSON files to a temporary directory. It prints, per type, the resources written,
seconds and file size, then the total, and the peak memory: the process's peak resident
set (ru_maxrss) before and after the export, and with --tracemalloc the peak of Python
allocations during it (tracemalloc slows Python down about twice, so the times of that
run are not the figures). With --searches-only it times a few FHIR searches instead
(through django.test.Client, end to end: p50 and p95 of 20 requests each, after 3), on
--day (the clock's today; default the seed's): among them a night's sync (`_lastUpdated`
after the day before), which finds what changed with that day's date (listings whose
qualified days begin or end, verified credentials that expire) and what was written
since. A --day later than the seeding makes that sync's changes the date's alone.
"""

from __future__ import annotations

import argparse
import datetime
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path
from unittest import mock

import benchenv  # noqa: F401  (sets up Django; must come before any Django import)
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from directory.models import Listing, Practitioner  # noqa: E402
from fhirapi import export  # noqa: E402
from fhirapi.models import ExportJob  # noqa: E402
from fhirapi.search import SEARCHES  # noqa: E402

DAY = datetime.date(2026, 3, 2)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="practitioners (default 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep the practitioners already there if as many")
    parser.add_argument("--no-credentials", action="store_true", help="seed without credentials (faster for 1M)")
    parser.add_argument("--tracemalloc", action="store_true", help="also measure the peak of Python allocations")
    parser.add_argument("--searches-only", action="store_true", help="time some FHIR searches, no export")
    parser.add_argument(
        "--day", type=datetime.date.fromisoformat, default=DAY, help="with --searches-only: the clock's today"
    )
    return parser.parse_args()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def main() -> None:
    args = parse_args()
    if not (args.reuse and Practitioner.objects.count() == args.n):
        began = time.perf_counter()
        call_command(
            "seed_demo",
            practitioners=args.n,
            seed=args.seed,
            flush=True,
            batch_size=20_000,
            credentials=not args.no_credentials,
            today=DAY,
            verbosity=0,
        )
        print(f"Seeded {args.n:,} practitioners in {time.perf_counter() - began:.0f} s.")
    print(
        f"Dataset: {Practitioner.objects.count():,} practitioners, {Listing.objects.count():,} listings (seed {args.seed})"
    )
    if args.searches_only:
        time_searches(args.day)
        return

    with tempfile.TemporaryDirectory() as root, mock.patch("core.clock.today", return_value=DAY):
        settings.FHIR_EXPORT_ROOT = root
        job = ExportJob.objects.create(types=list(SEARCHES), request_url="bench")
        timings = {}
        real_write = export.write_type

        def timed(job, resource_type, context):
            began = time.perf_counter()
            count = real_write(job, resource_type, context)
            timings[resource_type] = (count, time.perf_counter() - began)
            return count

        rss_before = rss_mb()
        if args.tracemalloc:
            tracemalloc.start()
        began = time.perf_counter()
        with mock.patch.object(export, "write_type", timed):
            job = export.export_run(job_id=str(job.pk))
        total = time.perf_counter() - began
        traced_peak = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else None
        rss_after = rss_mb()
        assert job.status == ExportJob.Status.DONE, job.error

        print(f"{'type':20} {'resources':>12} {'seconds':>9} {'per s':>9} {'MB':>8}")
        for resource_type, (count, seconds) in timings.items():
            size = Path(export.file_path(job, resource_type)).stat().st_size / 2**20
            print(f"{resource_type:20} {count:12,} {seconds:9.1f} {count / seconds:9,.0f} {size:8.1f}")
        print(f"{'all':20} {sum(c for c, _ in timings.values()):12,} {total:9.1f}")
        print(f"Peak resident memory: {rss_before:.0f} MB before the export, {rss_after:.0f} MB after (ru_maxrss)")
        if traced_peak is not None:
            print(f"Peak of Python allocations during the export (tracemalloc): {traced_peak:.1f} MB")
        ExportJob.objects.filter(pk=job.pk).delete()


SEARCHES_TIMED = (
    "/fhir/Practitioner?_count=100",
    "/fhir/Practitioner?name=gar&_count=20",
    "/fhir/PractitionerRole?_count=20&_include=PractitionerRole:practitioner",
    "/fhir/PractitionerRole?location.near=40.7506|-73.9972|10|km&_count=20",
    "/fhir/PractitionerRole?location.near=40.7506|-73.9972&specialty=low-back-pain&_count=20",
    "/fhir/Location?near=47.6114|-122.3305|25|[mi_i]&_count=20",
    "/fhir/Location?address-state=WA&address-postalcode=981&_count=50",
    "/fhir/Practitioner?_lastUpdated=gt2099-01-01",
    "/fhir/PractitionerRole?_lastUpdated=gt2099-01-01",
    # A night's sync on the day: what changed with that day's date, or was written after
    # the day before; then a month's, first page.
    "/fhir/Practitioner?_lastUpdated=gt{yesterday}&_count=100",
    "/fhir/PractitionerRole?_lastUpdated=gt{yesterday}&_count=100",
    "/fhir/Practitioner?_lastUpdated=gt{month_ago}&_count=100",
)


def time_searches(day: datetime.date) -> None:
    from django.test import Client

    client = Client()
    days = {"yesterday": day - datetime.timedelta(days=1), "month_ago": day - datetime.timedelta(days=30)}
    print(f"{'search':90} {'p50 ms':>8} {'p95 ms':>8} {'entries':>8}")
    with mock.patch("core.clock.today", return_value=day):
        for url in (template.format(**days) for template in SEARCHES_TIMED):
            for _ in range(3):
                client.get(url)
            samples = []
            for _ in range(20):
                began = time.perf_counter()
                response = client.get(url)
                samples.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200, response.content[:300]
            samples.sort()
            entries = response.content.count(b'"search":{"mode":"match"')
            print(f"{url:90} {samples[9]:8.1f} {samples[18]:8.1f} {entries:8}")


if __name__ == "__main__":
    main()
