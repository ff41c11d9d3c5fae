"""The listings' copy of verified training hours (the search's min_training_hours) follows every
writer of the hours: requalification after a verification, and the nightly scan when a record lapses."""

import datetime

import pytest

from credentials.expiry import scan
from directory.models import Listing
from tests.credentials.factories import TODAY, CredentialFactory, listing_in, verified

pytestmark = pytest.mark.django_db

URL = "/api/v1/practitioners/"


def days(n):
    return TODAY + datetime.timedelta(days=n)


def listed_hours(practitioner):
    return sorted(Listing.objects.filter(practitioner=practitioner).values_list("verified_training_hours", flat=True))


def test_requalification_and_the_scan_keep_the_listings_hours_in_step(practitioner, admin, clinic_user, freeze_today):
    listing_in("OR", practitioner=practitioner)  # a second listing follows too
    verified(
        CredentialFactory(practitioner=practitioner, training=True, hours=60, expires_on=days(3)), by=admin, today=TODAY
    )
    practitioner.refresh_from_db()
    assert practitioner.verified_training_hours == 60
    assert listed_hours(practitioner) == [60, 60]

    scan.credentials_scan(today=TODAY)
    freeze_today(days(4))
    scan.credentials_scan(today=days(4))
    practitioner.refresh_from_db()
    assert practitioner.verified_training_hours == 0
    assert listed_hours(practitioner) == [0, 0]


def test_min_training_hours_searches_by_the_hours_verified_just_now(
    api, practitioner, admin, clinic_user, freeze_today
):
    listing = Listing.objects.get(practitioner=practitioner)
    Listing.objects.filter(pk=listing.pk).update(qualified_from=days(-1), qualified_until=days(30))
    near = f"{listing.point.y},{listing.point.x}"
    assert api.get(URL, {"near": near, "min_training_hours": 40}).json()["results"] == []
    verified(CredentialFactory(practitioner=practitioner, training=True, hours=45), by=admin, today=TODAY)
    rows = api.get(URL, {"near": near, "min_training_hours": 40, "include_unqualified": "true"}).json()["results"]
    assert [(row["slug"], row["verified_training_hours"]) for row in rows] == [(practitioner.slug, 45)]
