"""Offline geocoding of ZIP codes and cities, and locations geocoded from their ZIP."""

import pytest
from django.core.exceptions import ValidationError

from directory import geocoding, services
from directory.models import Location
from tests.factories import ClinicFactory
from tests.geo import geodesic_km


@pytest.mark.parametrize(
    "zip_code, lat, lon",
    [
        ("98101", 47.6114, -122.3305),  # Seattle
        ("10001", 40.7506, -73.9972),  # New York (Chelsea)
        ("60601", 41.8858, -87.6181),  # Chicago Loop
        ("99501", 61.2175, -149.8584),  # Anchorage
        ("96813", 21.3133, -157.8555),  # Honolulu
    ],
)
def test_zip_to_point_is_the_centroid(zip_code, lat, lon):
    point = geocoding.zip_to_point(zip_code)
    assert point.srid == 4326
    assert geodesic_km((point.y, point.x), (lat, lon)) < 1.0


def test_the_whole_bundled_table_is_available():
    codes = geocoding.all_zip_codes()
    assert len(codes) > 40_000
    assert "98101" in codes


@pytest.mark.parametrize(
    "text, near",
    [
        ("Seattle,WA", (47.61, -122.33)),
        ("seattle, wa", (47.61, -122.33)),
        ("  Austin , TX ", (30.27, -97.74)),
        ("New York,NY", (40.75, -73.99)),
        ("Portland,OR", (45.52, -122.68)),
        ("Portland,ME", (43.66, -70.26)),
    ],
)
def test_city_to_point_lands_in_the_city(text, near):
    point = geocoding.city_to_point(text)
    assert geodesic_km((point.y, point.x), near) < 25


@pytest.mark.parametrize("bad", ["00000", "ABCDE", "9810", "981011", "", "98 01"])
def test_unknown_or_malformed_zip(bad):
    with pytest.raises(geocoding.UnknownPlace):
        geocoding.zip_to_point(bad)


@pytest.mark.parametrize("bad", ["Seattle", "Atlantis,WA", ",WA", "Seattle,Washington", "Seattle,W"])
def test_unknown_or_malformed_city(bad):
    with pytest.raises(geocoding.UnknownPlace):
        geocoding.city_to_point(bad)


@pytest.mark.django_db
def test_location_without_coordinates_is_geocoded_from_its_zip():
    location = services.location_create(
        clinic=ClinicFactory(), address="1301 5th Ave", city="Seattle", state="WA", postal_code="98101"
    )
    location.refresh_from_db()
    assert geodesic_km((location.point.y, location.point.x), (47.6114, -122.3305)) < 0.01


@pytest.mark.django_db
def test_location_with_unknown_zip_fails_validation_on_postal_code():
    location = Location(clinic=ClinicFactory(), address="1 Nowhere", city="Nowhere", state="WA", postal_code="00000")
    with pytest.raises(ValidationError) as excinfo:
        location.full_clean()
    assert "postal_code" in excinfo.value.message_dict


@pytest.mark.django_db
def test_moving_a_location_moves_its_listings():
    from tests.factories import ListingFactory

    listing = ListingFactory()
    services.location_update(
        location=listing.location, changes={"postal_code": "97201", "city": "Portland", "state": "OR"}
    )
    listing.refresh_from_db()
    assert listing.state == "OR"
    assert geodesic_km((listing.point.y, listing.point.x), (45.5, -122.69)) < 5
