"""The directory's Django admin pages load for a staff user."""

import pytest
from django.contrib.auth import get_user_model

from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-not-used-123")
    client.force_login(user)
    return client


def test_admin_changelists_and_change_pages_load(admin_client):
    listing = ListingFactory()
    for url in [
        "/admin/directory/clinic/",
        f"/admin/directory/clinic/{listing.location.clinic_id}/change/",
        "/admin/directory/location/",
        f"/admin/directory/location/{listing.location_id}/change/",
        "/admin/directory/practitioner/",
        f"/admin/directory/practitioner/{listing.practitioner_id}/change/",
        "/admin/directory/specialty/",
        "/admin/directory/technique/",
        "/admin/directory/language/",
        "/admin/directory/location/?q=Pike",
    ]:
        assert admin_client.get(url).status_code == 200, url
