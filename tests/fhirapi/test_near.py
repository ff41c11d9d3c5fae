"""`near` on Location and `location.near` on PractitionerRole: nearest first by the distance on
the WGS84 spheroid, each entry's distance in the location-distance extension in the unit
asked for, checked against an independent geodesic (tests/geo.py); every bad `near` a 400."""

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

from directory.models import Listing
from fhirapi import resources
from tests.factories import ClinicFactory, LocationFactory, PractitionerFactory, point_at
from tests.geo import SEATTLE, geodesic_km, offset

pytestmark = pytest.mark.django_db

KM_IN = {"km": 1.0, "m": 0.001, "[mi_i]": 1.609344, "[mi_us]": 1.609347218694}


def distances(body, unit):
    out = []
    for entry in body.get("entry", []):
        (extension,) = entry["search"]["extension"]
        assert extension["url"] == resources.DISTANCE_EXTENSION
        value = extension["valueDistance"]
        assert (value["system"], value["code"], value["unit"]) == (resources.UCUM, unit, unit)
        out.append((int(entry["resource"]["id"]), value["value"]))
    return out


def qualified_at(location) -> Listing:
    """A new practitioner listed, and qualified, at the location."""
    return Listing.objects.create(
        practitioner=PractitionerFactory(),
        location=location,
        point=location.point,
        state=location.state,
        qualified_from="2020-01-01",
        qualified_until="2030-01-01",
    )


@pytest.fixture
def ring(db):
    """Locations at known distances and bearings from Seattle's centroid, one practitioner each,
    plus one far away; a qualified listing at each."""
    clinic = ClinicFactory()
    made = []
    # Far apart in longitude and latitude, so a sphere and the spheroid would order some differently.
    for metres, bearing in ((30_000, 0), (29_950, 90), (5_000, 180), (12_000, 270), (45_000, 45), (800, 135)):
        lat, lon = offset(SEATTLE, metres, bearing)
        location = LocationFactory(clinic=clinic, postal_code="98101", state="WA", point=point_at(lat, lon))
        made.append((location, qualified_at(location)))
    far = LocationFactory(clinic=clinic, postal_code="10001", state="NY", point=point_at(40.75, -73.99))
    return made, far


def expected(locations, origin, radius_km):
    rows = [(loc.pk, geodesic_km(origin, (loc.point.y, loc.point.x))) for loc in locations]
    return sorted((row for row in rows if row[1] <= radius_km), key=lambda row: row[1])


@pytest.mark.parametrize(("radius", "unit"), [(40, "km"), (40000, "m"), (25, "[mi_i]"), (25, "[mi_us]")])
def test_locations_come_nearest_first_with_their_spheroid_distance(ring, fhir, radius, unit):
    made, far = ring
    status, body, _ = fhir("/fhir/Location", data={"near": f"{SEATTLE[0]}|{SEATTLE[1]}|{radius}|{unit}"})
    assert status == 200
    Bundle.model_validate(body)
    got = distances(body, unit)
    want = expected([loc for loc, _ in made] + [far], SEATTLE, radius * KM_IN[unit])
    assert [pk for pk, _ in got] == [pk for pk, _ in want]
    for (_, value), (_, km) in zip(got, want):
        assert value * KM_IN[unit] == pytest.approx(km, abs=0.001)  # to the metre


def test_paging_through_a_near_search_keeps_the_order(ring, fhir):
    made, far = ring
    url = f"/fhir/Location?near={SEATTLE[0]}|{SEATTLE[1]}|50|km&_count=2"
    seen = []
    while url:
        body = fhir(url)[1]
        seen.extend(distances(body, "km"))
        url = next((link["url"] for link in body["link"] if link["relation"] == "next"), None)
    want = expected([loc for loc, _ in made], SEATTLE, 50)
    assert [pk for pk, _ in seen] == [pk for pk, _ in want]


def test_without_a_distance_the_default_radius_applies(ring, fhir, settings):
    made, far = ring
    body = fhir("/fhir/Location", data={"near": f"{SEATTLE[0]}|{SEATTLE[1]}"})[1]
    want = expected([loc for loc, _ in made], SEATTLE, settings.SEARCH_DEFAULT_RADIUS_KM)
    assert [pk for pk, _ in distances(body, "km")] == [pk for pk, _ in want]
    assert 0 < len(want) < len(made)  # 45 km is beyond the default 40 km


def test_practitioner_roles_near_a_point(ring, fhir):
    made, far = ring
    status, body, _ = fhir(
        "/fhir/PractitionerRole",
        data={"location.near": f"{SEATTLE[0]}|{SEATTLE[1]}|20|[mi_i]", "_include": "PractitionerRole:location"},
    )
    assert status == 200
    Bundle.model_validate(body)
    got = distances({"entry": [e for e in body["entry"] if e["search"]["mode"] == "match"]}, "[mi_i]")
    by_location = {loc.pk: listing.pk for loc, listing in made}
    want = expected([loc for loc, _ in made], SEATTLE, 20 * 1.609344)
    assert [pk for pk, _ in got] == [by_location[pk] for pk, _ in want]
    for (_, miles), (_, km) in zip(got, want):
        assert miles * 1.609344 == pytest.approx(km, abs=0.001)
    included = {e["resource"]["id"] for e in body["entry"] if e["search"]["mode"] == "include"}
    assert included == {str(pk) for pk, _ in want}


def test_paging_roles_one_at_a_time_keeps_distance_then_id_order_through_ties(ring, fhir):
    """Pages of one: each page is narrowed to the rows within reach of its own size, so
    colleagues at one location (equal distances) must still come in id order, none lost."""
    made, far = ring
    location = made[2][0]  # 5 km south
    for _ in range(3):
        qualified_at(location)
    url = f"/fhir/PractitionerRole?location.near={SEATTLE[0]}|{SEATTLE[1]}|50|km&_count=1"
    seen = []
    while url:
        body = fhir(url)[1]
        seen.extend(distances(body, "km"))
        url = next((link["url"] for link in body["link"] if link["relation"] == "next"), None)
    want = sorted(
        (
            (listing.pk, geodesic_km(SEATTLE, (listing.point.y, listing.point.x)))
            for listing in Listing.objects.filter(location__in=[loc for loc, _ in made])
        ),
        key=lambda row: (round(row[1], 6), row[0]),
    )
    assert [pk for pk, _ in seen] == [pk for pk, _ in want]
    assert len(seen) == 9


@pytest.mark.parametrize(
    "value",
    [
        "47.6",
        "47.6|",
        "|-122.3",
        "north|-122.3",
        "47.6|west",
        "91|-122.3",
        "47.6|-181",
        "47.6|-122.3|10|mi",
        "47.6|-122.3|10|miles",
        "47.6|-122.3|10|KM",
        "47.6|-122.3|-5|km",
        "47.6|-122.3|0|km",
        "47.6|-122.3|501|km",
        "47.6|-122.3|far|km",
        "47.6|-122.3||km",
        "nan|-122.3",
        "47.6|inf",
        "47.6|-122.3|10|km|extra",
        "",
    ],
)
@pytest.mark.parametrize(("path", "name"), [("/fhir/Location", "near"), ("/fhir/PractitionerRole", "location.near")])
def test_every_bad_near_is_a_400_operation_outcome(db, fhir, path, name, value):
    status, body, _ = fhir(path, data={name: value})
    assert status == 400, body
    OperationOutcome.model_validate(body)
    assert body["issue"][0]["expression"] == [name]
    assert body["issue"][0]["diagnostics"].startswith(f"{name}: ")
