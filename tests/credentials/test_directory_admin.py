"""Edits in the directory's Django admin keep qualification right: they go through the
directory's services, whose hook requalifies the listings they change."""

import pytest
from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.test import Client

from directory.models import Listing, Location, Practitioner, Profession
from tests.credentials.factories import TODAY, ZIP_IN, CredentialFactory, listing_in, verified
from tests.factories import LocationFactory, PractitionerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client():
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "not-used-123"))
    return client


@pytest.fixture
def qualified_in_wa(today):
    """A PT licensed and trained in Washington, listed (and qualified) there."""
    practitioner = PractitionerFactory(name="Robin Vale", profession=Profession.PT)
    listing = listing_in("WA", practitioner=practitioner)
    verified(CredentialFactory(practitioner=practitioner, jurisdiction="WA"))
    verified(CredentialFactory(practitioner=practitioner, training=True, hours=60))
    listing.refresh_from_db()
    assert listing.is_qualified(TODAY)
    return listing


def location_form(location: Location, **changes) -> dict:
    data = {
        "name": location.name,
        "address": location.address,
        "city": location.city,
        "state": location.state,
        "postal_code": location.postal_code,
        "point": "",
        "phone": location.phone,
        "accepting_new_patients": "on" if location.accepting_new_patients else "",
    }
    return {**data, **changes}


def practitioner_form(practitioner: Practitioner, **changes) -> dict:
    listings = list(practitioner.listings.all())
    data = {
        "name": practitioner.name,
        "profession": practitioner.profession,
        "npi": practitioner.npi,
        "email": practitioner.email,
        "bio": practitioner.bio,
        "years_dry_needling": "",
        "typical_sessions": "",
        "listings-TOTAL_FORMS": str(len(listings)),
        "listings-INITIAL_FORMS": str(len(listings)),
        "listings-MIN_NUM_FORMS": "0",
        "listings-MAX_NUM_FORMS": "1000",
    }
    for n, listing in enumerate(listings):
        data[f"listings-{n}-id"] = str(listing.pk)
        data[f"listings-{n}-practitioner"] = str(practitioner.pk)
        data[f"listings-{n}-location"] = str(listing.location_id)
    return {**data, **changes}


def test_no_model_signal_of_another_app_listens_to_the_directory():
    for model in (Listing, Location, Practitioner):
        assert not post_save.has_listeners(model), model


def test_a_location_moved_to_another_state_in_the_admin_takes_its_listings_out_of_qualification(
    superuser_client, qualified_in_wa
):
    location = qualified_in_wa.location
    response = superuser_client.post(
        f"/admin/directory/location/{location.pk}/change/",
        location_form(location, postal_code=ZIP_IN["CO"], city="Denver", state="CO"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    qualified_in_wa.refresh_from_db()
    assert qualified_in_wa.state == "CO"
    assert not qualified_in_wa.is_qualified(TODAY)
    # Placed at the new ZIP's centroid, and the listing's copy followed.
    assert qualified_in_wa.point == Location.objects.get(pk=location.pk).point


def test_a_profession_changed_in_the_admin_requalifies(superuser_client, qualified_in_wa):
    practitioner = qualified_in_wa.practitioner
    response = superuser_client.post(
        f"/admin/directory/practitioner/{practitioner.pk}/change/",
        practitioner_form(practitioner, profession=Profession.DC),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    qualified_in_wa.refresh_from_db()
    assert Practitioner.objects.get(pk=practitioner.pk).profession == Profession.DC
    assert not qualified_in_wa.is_qualified(TODAY)


def test_a_listing_added_in_the_admin_is_qualified_at_once(superuser_client, qualified_in_wa):
    practitioner = qualified_in_wa.practitioner
    other = LocationFactory(postal_code=ZIP_IN["WA"])
    data = practitioner_form(practitioner)
    data.update(
        {
            "listings-TOTAL_FORMS": "2",
            "listings-1-practitioner": str(practitioner.pk),
            "listings-1-location": str(other.pk),
        }
    )
    response = superuser_client.post(f"/admin/directory/practitioner/{practitioner.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    added = Listing.objects.get(practitioner=practitioner, location=other)
    assert (added.point, added.state) == (other.point, "WA")
    assert added.is_qualified(TODAY)


def test_slugs_are_not_editable_in_the_admin(superuser_client, qualified_in_wa):
    practitioner = qualified_in_wa.practitioner
    slug = practitioner.slug
    response = superuser_client.post(
        f"/admin/directory/practitioner/{practitioner.pk}/change/",
        practitioner_form(practitioner, slug="someone-else", bio="Sports injuries."),
    )
    assert response.status_code == 302
    practitioner.refresh_from_db()
    assert (practitioner.slug, practitioner.bio) == (slug, "Sports injuries.")


def test_a_practitioner_added_in_the_admin_gets_a_slug(superuser_client, today):
    response = superuser_client.post(
        "/admin/directory/practitioner/add/",
        {
            "name": "Jo March",
            "profession": "PT",
            "npi": "",
            "email": "",
            "bio": "",
            "years_dry_needling": "",
            "typical_sessions": "",
            "listings-TOTAL_FORMS": "0",
            "listings-INITIAL_FORMS": "0",
            "listings-MIN_NUM_FORMS": "0",
            "listings-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Practitioner.objects.get(name="Jo March").slug == "jo-march"
