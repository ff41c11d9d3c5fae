import pytest

from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


def test_patient_finds_a_practitioner_by_zip(api):
    listing = ListingFactory()
    response = api.get("/api/v1/practitioners/", {"zip": "98101"})
    assert response.status_code == 200
    assert [row["slug"] for row in response.json()["results"]] == [listing.practitioner.slug]
