import pytest

from tests.factories import ListingFactory, LocationFactory, point_at


@pytest.fixture
def listed():
    """A practitioner (qualified unless told otherwise) listed at a new location at (lat, lon)."""

    def make(lat, lon, *, practitioner=None, location_kwargs=None, **listing_kwargs):
        location = LocationFactory(point=point_at(lat, lon), **(location_kwargs or {}))
        if practitioner is not None:
            listing_kwargs["practitioner"] = practitioner
        return ListingFactory(location=location, **listing_kwargs)

    return make
