"""Search results have one declaration (directory.results): the published schema and the
JSON written on the fast path both come from it."""

import pytest
import yaml
from django.contrib.gis.geos import Point
from rest_framework import serializers

from directory import results
from directory.models import Listing, Location, Practitioner, Profession
from tests.factories import ClinicFactory, ListingFactory, LocationFactory, PractitionerFactory, point_at
from tests.geo import SEATTLE

pytestmark = pytest.mark.django_db

TYPES = {"integer": int, "string": str, "number": (int, float), "boolean": bool, "array": list, "object": dict}


def published_schema(api) -> dict:
    response = api.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    if "allOf" in node and len(node["allOf"]) == 1:
        node = {**resolve(schema, node["allOf"][0]), **{k: v for k, v in node.items() if k != "allOf"}}
    return node


def assert_conforms(schema: dict, node: dict, value, where: str = "result") -> None:
    """`value` has exactly the schema's properties, each of the declared type, all the way down."""
    node = resolve(schema, node)
    if value is None:
        assert node.get("nullable"), f"{where} is null but not nullable"
        return
    options = node.get("oneOf") or node.get("anyOf")
    if options:
        for option in options:
            try:
                assert_conforms(schema, option, value, where)
                return
            except AssertionError:
                continue
        raise AssertionError(f"{where}: {value!r} matches none of its schema's options")
    if "enum" in node:
        assert value in node["enum"], f"{where}: {value!r} is not one of {node['enum']}"
    if "type" not in node:
        return
    assert isinstance(value, TYPES[node["type"]]), f"{where}: {value!r} is not {node['type']}"
    if node["type"] == "object" and "properties" in node:
        assert set(value) == set(node["properties"]), where
        for key, item in value.items():
            assert_conforms(schema, node["properties"][key], item, f"{where}.{key}")
    if node["type"] == "array":
        for n, item in enumerate(value):
            assert_conforms(schema, node["items"], item, f"{where}[{n}]")


def result_schema(schema: dict, path: str) -> dict:
    page = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    return resolve(schema, page)["properties"]["results"]["items"]


def test_a_practitioner_result_is_exactly_what_the_schema_publishes(api, specialty, technique, language):
    practitioner = PractitionerFactory(
        specialties=[specialty("tmj")], techniques=[technique("deep-dry-needling")], languages=[language("es")]
    )
    location = LocationFactory(point=point_at(*SEATTLE))

    ListingFactory(practitioner=practitioner, location=location)
    schema = published_schema(api)

    for params in ({"near": f"{SEATTLE[0]},{SEATTLE[1]}"}, {}):
        [row] = api.get("/api/v1/practitioners/", params).json()["results"]
        assert_conforms(schema, result_schema(schema, "/api/v1/practitioners/"), row)
    assert row["distance_km"] is None  # without a place


def test_a_clinic_result_is_exactly_what_the_schema_publishes(api):
    LocationFactory(clinic=ClinicFactory(website="https://harbor.example"), point=point_at(*SEATTLE))
    schema = published_schema(api)
    [row] = api.get("/api/v1/clinics/", {"near": f"{SEATTLE[0]},{SEATTLE[1]}"}).json()["results"]
    assert_conforms(schema, result_schema(schema, "/api/v1/clinics/"), row)


def test_the_serializers_are_made_from_the_declaration():
    """A field added to the declaration is both declared (the schema) and written (the JSON)."""
    declaration = {
        **results.CLINIC,
        "motto": results.Out(serializers.CharField(read_only=True), lambda clinic, context: "Needles, gently."),
    }
    serializer_class = results.result_serializer("MottoClinic", declaration)
    clinic = ClinicFactory.build(id=7, name="Harbor", slug="harbor")

    assert list(serializer_class().fields) == ["id", "name", "slug", "motto"]
    assert serializer_class(clinic).data == {"id": 7, "name": "Harbor", "slug": "harbor", "motto": "Needles, gently."}
    assert list(results.PractitionerResultSerializer().fields) == list(results.PRACTITIONER_RESULT)
    assert list(results.ClinicResultSerializer().fields) == list(results.CLINIC_RESULT)


def test_lon_lat_reads_the_databases_text_as_geos_reads_the_point():
    for lon, lat in [(-122.3305, 47.6114), (-73.99670000000001, 40.7484), (0.1 + 0.2, -(1 / 3)), (179.999999, -89.5)]:
        point = Point(lon, lat, srid=4326)
        parsed, raw = Location(point=point), Location()
        raw.__dict__["point"] = point.hexewkb.decode()  # as a kept search statement's row leaves it
        assert results.lon_lat(raw) == results.lon_lat(parsed) == (point.x, point.y)
        assert raw.point == point  # and GeoDjango still parses it when it is read
    other = Location()
    other.__dict__["point"] = Point(1.5, 2.5, srid=3857).hexewkb.decode()
    assert results.lon_lat(other) == (1.5, 2.5)  # not the search's SRID: read through GEOS


@pytest.mark.parametrize("profession", [*Profession.values, ""])
def test_profession_name_is_what_the_model_displays(profession):
    listing = Listing(practitioner=Practitioner(profession=profession))
    assert results.profession_name(listing) == listing.practitioner.get_profession_display()
