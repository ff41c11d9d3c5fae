"""Every malformed search is a 400 that names the offending parameter, never a 500."""

import pytest

from directory.models import Listing
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"near": "91,0"}, "near"),
        ({"near": "0,181"}, "near"),
        ({"near": "abc"}, "near"),
        ({"near": "1"}, "near"),
        ({"near": "1,2,3"}, "near"),
        ({"near": "nan,0"}, "near"),
        ({"near": "inf,0"}, "near"),
        ({"radius_km": "-1", "zip": "98101"}, "radius_km"),
        ({"radius_km": "0", "zip": "98101"}, "radius_km"),
        ({"radius_km": "nan", "zip": "98101"}, "radius_km"),
        ({"radius_km": "inf", "zip": "98101"}, "radius_km"),
        ({"radius_km": "1e12", "zip": "98101"}, "radius_km"),
        ({"radius_km": "500.1", "zip": "98101"}, "radius_km"),
        ({"radius_mi": "311", "zip": "98101"}, "radius_mi"),
        ({"radius_mi": "ten", "zip": "98101"}, "radius_mi"),
        ({"radius_km": "5", "radius_mi": "5", "zip": "98101"}, "radius_km"),
        ({"limit": "0"}, "limit"),
        ({"limit": "100000"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"zip": "ABCDE"}, "zip"),
        ({"zip": "00000"}, "zip"),
        ({"zip": "9810"}, "zip"),
        ({"city": "Seattle"}, "city"),
        ({"city": "Atlantis,WA"}, "city"),
        ({"city": "Seattle,Washington"}, "city"),
        ({"near": "47.6,-122.3", "zip": "98101"}, "near"),
        ({"near": "47.6,-122.3", "zip": "98101"}, "zip"),
        ({"city": "Seattle,WA", "zip": "98101"}, "city"),
        ({"specialty": "back-ache"}, "specialty"),
        ({"specialty": "low-back-pain,nonsense"}, "specialty"),
        ({"technique": "acupuncture"}, "technique"),
        ({"profession": "RN"}, "profession"),
        ({"language": "klingon"}, "language"),
        ({"accepting_new_patients": "maybe"}, "accepting_new_patients"),
        ({"include_unqualified": "sure"}, "include_unqualified"),
        ({"min_training_hours": "-5"}, "min_training_hours"),
        ({"min_training_hours": "nan"}, "min_training_hours"),
        ({"min_training_hours": "5.5"}, "min_training_hours"),
        ({"speciality": "neck-pain"}, "speciality"),
        ({"q": "x" * 101}, "q"),
        # A '%' the client typed is quoted in the message, not taken for a format.
        ({"city": "%"}, "city"),
        ({"city": "100%,WA"}, "city"),
        ({"zip": "%"}, "zip"),
        ({"specialty": "50%"}, "specialty"),
        ({"%s%s": "1"}, "%s%s"),
    ],
)
def test_bad_search_parameter_is_a_400_naming_it(api, params, parameter):
    response = api.get("/api/v1/practitioners/", params)

    assert response.status_code == 400, response.content
    body = response.json()
    assert parameter in body["errors"], body
    assert body["errors"][parameter] and all(isinstance(m, str) and m for m in body["errors"][parameter])
    assert parameter in body["detail"]


def test_unknown_specialty_message_lists_the_known_ones(api):
    body = api.get("/api/v1/practitioners/", {"specialty": "back-ache"}).json()
    assert "back-ache" in body["errors"]["specialty"][0]
    assert "low-back-pain" in body["errors"]["specialty"][0]


def test_unknown_zip_is_named_in_the_message(api):
    body = api.get("/api/v1/practitioners/", {"zip": "00000"}).json()
    assert "00000" in body["errors"]["zip"][0]


@pytest.mark.parametrize("params", [{"zip": "00000"}, {"near": "91,0"}, {"limit": "0"}])
def test_clinic_search_validates_the_same_way(api, params):
    response = api.get("/api/v1/clinics/", params)
    assert response.status_code == 400
    assert set(params) <= set(response.json()["errors"])


def test_a_bad_search_changes_nothing(api):
    listing = ListingFactory()
    before = list(Listing.objects.values())
    api.get("/api/v1/practitioners/", {"zip": "ABCDE", "radius_km": "nan"})
    assert list(Listing.objects.values()) == before
    assert Listing.objects.get().pk == listing.pk


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_search_is_read_only(api, method):
    response = getattr(api, method)("/api/v1/practitioners/", {})
    assert response.status_code == 405
