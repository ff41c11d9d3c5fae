"""The demo's credentials: realistic rows, a queue with work in it, and listings requalified."""

import random

import pytest

from credentials.models import Credential, Status, Verification
from directory.models import Listing
from portal.demo.credentials import demo_credentials
from tests.credentials.factories import TODAY, listing_in
from tests.factories import PractitionerFactory

pytestmark = pytest.mark.django_db


def test_demo_credentials(django_assert_max_num_queries):
    practitioners = []
    for n, state in enumerate(["WA", "TX", "CO", "AZ", "GA", "IL"] * 10):
        practitioner = PractitionerFactory()
        listing_in(state, practitioner=practitioner)
        if n % 7 == 0:
            listing_in("WA", practitioner=practitioner)
        practitioners.append(practitioner)

    with django_assert_max_num_queries(40):
        counts = demo_credentials(practitioners, rng=random.Random(7), today=TODAY)

    assert counts["verified"] > counts["pending"] > 0
    assert Verification.objects.count() == Credential.objects.filter(status=Status.VERIFIED).count()
    listings = Listing.objects.filter(practitioner__in=practitioners)
    qualified = listings.filter(qualified_until__gte=TODAY).count()
    assert counts["qualified_listings"] == qualified
    assert 0.5 * listings.count() < qualified < listings.count()
    # Every license is in a state where its practitioner is listed, for their profession.
    for credential in Credential.objects.filter(kind="license").select_related("practitioner"):
        assert credential.practitioner.listings.filter(state=credential.jurisdiction).exists()
        assert credential.profession == credential.practitioner.profession
        credential.full_clean()
