"""Benchmark the clinic workspace's busiest pages on PostGIS for a clinic of N therapists.

    DATABASE_URL=postgis://... python bench/clinic_pages.py [--therapists 500]

Creates a clinic with three Seattle locations beside whatever the database
holds, adds N therapists with a pending WA license each (through the roster
import), signs in its owner with Django's test client and times each page
(median of 5 requests after one warm-up), printing milliseconds and SQL
statements a request. The clinic, its therapists and the user are deleted
at the end.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import time

import benchenv  # noqa: F401  (sets up Django; must come before any Django import)
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from directory import services as directory_services  # noqa: E402
from directory.models import ClinicMembership, Practitioner  # noqa: E402
from portal import roster  # noqa: E402

HEADER = "name,email,profession,location,license_state,license_number,license_issued,license_expiry"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--therapists", type=int, default=500)
    args = parser.parse_args()
    # Pages link static files; the benchmark does not run collectstatic.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    tag = f"{int(time.time()) % 100000}"
    clinic = directory_services.clinic_create(name=f"Bench Pages Clinic {tag}")
    for name, address in (("Downtown", "1200 3rd Ave"), ("Ballard", "5400 Ballard Ave NW"), ("Pike", "900 Pike St")):
        directory_services.location_create(clinic=clinic, name=name, address=address, state="WA", postal_code="98101")
    lines = [HEADER] + [
        f"Bench Pages {tag}-{n},pages.{tag}.{n}@example.org,PT,Downtown;Ballard,WA,PGB{tag}{n:06d},2016-05-01,"
        f"{(datetime.date(2026, 3, 1) + datetime.timedelta(days=n % 120)).isoformat()}"
        for n in range(args.therapists)
    ]
    today = datetime.date(2026, 3, 1)
    parsed = roster.read_roster(("\n".join(lines) + "\n").encode(), max_rows=args.therapists)
    roster.roster_import(clinic=clinic, roster=parsed, dry_run=False, today=today)
    user = get_user_model().objects.create_user(username=f"bench-pages-{tag}")
    ClinicMembership.objects.create(clinic=clinic, user=user, role=ClinicMembership.Role.OWNER)
    client = Client()
    client.force_login(user)
    first = Practitioner.objects.filter(email=f"pages.{tag}.0@example.org").get()
    pages = {
        "dashboard": reverse("clinic:dashboard", args=[clinic.pk]),
        "therapists": reverse("clinic:therapists", args=[clinic.pk]),
        "therapists, not qualified": reverse("clinic:therapists", args=[clinic.pk]) + "?filter=not-qualified",
        "therapist": reverse("clinic:therapist", args=[clinic.pk, first.pk]),
        "credentials": reverse("clinic:credentials", args=[clinic.pk]),
        "expiring": reverse("clinic:expiring", args=[clinic.pk]),
    }
    print(f"A clinic of {args.therapists:,} therapists (two locations each, a pending WA license each)")
    try:
        for label, url in pages.items():
            client.get(url)
            times, statements = [], 0
            for _ in range(5):
                counted = 0

                def count(execute, sql, params, many, context):
                    nonlocal counted
                    counted += 1
                    return execute(sql, params, many, context)

                with connection.execute_wrapper(count):
                    began = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200, (url, response.status_code)
                statements = counted
            print(f"{label:<28} {statistics.median(times):8.1f} ms  {statements:>5} statements")
    finally:
        Practitioner.objects.filter(email__startswith=f"pages.{tag}.").delete()
        clinic.delete()
        user.delete()


if __name__ == "__main__":
    main()
