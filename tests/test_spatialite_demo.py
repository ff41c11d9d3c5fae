"""The embedded demo's settings (SpatiaLite) answer the same search as PostGIS.

The suite itself runs on PostGIS, so this runs Django in a child process
with the demo's DATABASE_URL: migrate a fresh SpatiaLite file, list three
practitioners, and search through the API.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.geo import SEATTLE, geodesic_km, offset

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import json, sys
from django.test import Client
from directory.models import Clinic, Listing, Location, Practitioner, Specialty
from django.contrib.gis.geos import Point

spots = json.loads(sys.argv[1])
clinic = Clinic.objects.create(name="Harbor Physical Therapy")
for n, (lat, lon) in enumerate(spots):
    location = Location.objects.create(
        clinic=clinic, address=f"{n} Pike St", city="Seattle", state="WA", postal_code="98101",
        point=Point(lon, lat, srid=4326),
    )
    practitioner = Practitioner.objects.create(name=f"Practitioner {n}", profession="PT")
    practitioner.specialties.add(Specialty.objects.get(slug="neck-pain"))
    Listing.objects.create(
        practitioner=practitioner, location=location, qualified_from="2000-01-01", qualified_until="2099-12-31"
    )

client = Client()
out = {}
for key, query in {
    "zip": {"zip": "98101", "radius_km": 10, "specialty": "neck-pain"},
    "city": {"city": "Seattle,WA", "radius_km": 10},
    "q": {"q": "Practitioner 1"},
    "bad": {"zip": "00000"},
}.items():
    response = client.get("/api/v1/practitioners/", query)
    out[key] = {"status": response.status_code, "body": response.json()}
out["healthz"] = client.get("/healthz").json()
print("RESULT " + json.dumps(out))
"""


def run(args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def demo_search(tmp_path_factory):
    database = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"spatialite:///{database}",
        "DJANGO_DEBUG": "true",
        "DJANGO_SECRET_KEY": "spatialite-test",
    }
    migrated = run(["migrate", "--noinput"], env)
    assert migrated.returncode == 0, migrated.stderr

    spots = [offset(SEATTLE, metres, bearing) for metres, bearing in [(6_000, 0), (1_500, 90), (12_000, 200)]]
    result = run(["shell", "-c", SCRIPT.replace("sys.argv[1]", repr(json.dumps(spots)))], env)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT "))
    return spots, json.loads(line[len("RESULT ") :])


def test_search_by_zip_on_spatialite_is_nearest_first_with_geodesic_distances(demo_search):
    spots, out = demo_search
    assert out["zip"]["status"] == 200
    rows = out["zip"]["body"]["results"]
    assert [row["name"] for row in rows] == ["Practitioner 1", "Practitioner 0"]  # the third is 12 km away
    for row in rows:
        expected = geodesic_km(SEATTLE, spots[int(row["name"].split()[1])])
        assert row["distance_km"] == pytest.approx(expected, rel=0.005)


def test_city_name_search_and_errors_on_spatialite(demo_search):
    _, out = demo_search
    assert out["city"]["status"] == 200
    assert {row["name"] for row in out["city"]["body"]["results"]} == {"Practitioner 0", "Practitioner 1"}
    assert out["q"]["status"] == 200
    assert [row["name"] for row in out["q"]["body"]["results"]] == ["Practitioner 1"]
    assert out["bad"]["status"] == 400
    assert "zip" in out["bad"]["body"]["errors"]
    assert out["healthz"] == {"status": "ok", "database": "sqlite"}
