"""The API's JSON (core.renderers, written by orjson) is the bytes DRF's own renderer writes."""

import datetime
import decimal
import uuid
import zoneinfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.exceptions import ErrorDetail
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from core.renderers import JSONRenderer
from tests.factories import ListingFactory, PractitionerFactory

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")

ANSWERS = [
    {"count": 2, "next": None, "results": [{"name": "Dana Nguyễn", "distance_km": 1.2345678901234567}]},
    ReturnDict({"q": [ErrorDetail("Enter a ZIP code.", code="invalid")]}, serializer=None),
    ReturnList([{"on": datetime.date(2026, 2, 28)}], serializer=None),
    {
        "utc": datetime.datetime(2026, 12, 4, 23, 54, 6, 123456, tzinfo=datetime.UTC),
        "new_york": datetime.datetime(2026, 7, 1, 9, 30, tzinfo=NEW_YORK),
        "naive": datetime.datetime(2026, 7, 1, 9, 30),
        "time": datetime.time(9, 30, 15),
        "interval": datetime.timedelta(days=1, seconds=5),
    },
    {"hours": decimal.Decimal("12.50"), "id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    {"lazy": gettext_lazy("This field is required."), "ids": {3, 1}, "pair": (1, "a"), 7: "seven"},
    {"line": "one\u2028two\u2029three", "quote": 'say "hi" \\ bye', "control": "tab\tnew\nline"},
    {"small": 1e-7, "large": 1e16, "negative": -0.0, "big": 2**63 - 1, "bigger": 2**70},
    [],
    "plain",
]


@pytest.mark.parametrize("answer", ANSWERS)
def test_it_writes_what_drfs_renderer_writes(answer):
    assert JSONRenderer().render(answer) == renderers.JSONRenderer().render(answer)


def test_indented_output_is_drfs():
    answer = {"results": [{"name": "Dana"}]}
    written = JSONRenderer().render(answer, "application/json; indent=4")
    assert written == renderers.JSONRenderer().render(answer, "application/json; indent=4")
    assert b'\n    "results"' in written


def test_nothing_is_written_for_none():
    assert JSONRenderer().render(None) == b""


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/practitioners/?zip=98101",
        "/api/v1/practitioners/?zip=98101&format=geojson",
        "/api/v1/practitioners/{slug}/",
        "/api/v1/practitioners/?zip=nowhere",
    ],
)
def test_the_api_answers_with_it(client, path):
    listing = ListingFactory(practitioner=PractitionerFactory(name="Dana Nguyễn"))  # at 98101, qualified
    response = client.get(path.format(slug=listing.practitioner.slug))
    assert response.status_code == (400 if "nowhere" in path else 200)
    assert isinstance(response.accepted_renderer, JSONRenderer)
    assert response.content == renderers.JSONRenderer().render(response.data)
    if response.status_code == 200:
        assert "Dana Nguyễn".encode() in response.content
