"""core.services.rows_update: many rows' fields in one statement, as bulk_update would set them."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.services import rows_update
from directory.models import Listing, Practitioner
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


def test_sets_each_rows_own_values_nulls_included_in_one_statement():
    listings = [ListingFactory() for _ in range(3)]
    moment = timezone.now() - datetime.timedelta(days=3)
    changes = [
        Listing(
            id=listings[0].pk,
            qualified_from=datetime.date(2026, 1, 1),
            qualified_until=datetime.date(2027, 1, 1),
            updated_at=moment,
        ),
        Listing(id=listings[1].pk, qualified_from=None, qualified_until=None, updated_at=moment),
    ]
    untouched = Listing.objects.values("qualified_from", "qualified_until").get(pk=listings[2].pk)
    with CaptureQueriesContext(connection) as statements:
        assert rows_update(changes, ["qualified_from", "qualified_until", "updated_at"]) == 2
    assert len(statements.captured_queries) == 1
    rows = {row["id"]: row for row in Listing.objects.values("id", "qualified_from", "qualified_until", "updated_at")}
    assert (rows[listings[0].pk]["qualified_from"], rows[listings[0].pk]["qualified_until"]) == (
        datetime.date(2026, 1, 1),
        datetime.date(2027, 1, 1),
    )
    assert rows[listings[0].pk]["updated_at"] == moment
    assert (rows[listings[1].pk]["qualified_from"], rows[listings[1].pk]["qualified_until"]) == (None, None)
    assert {key: rows[listings[2].pk][key] for key in untouched} == untouched


def test_nothing_to_update_is_no_statement():
    with CaptureQueriesContext(connection) as statements:
        assert rows_update([], ["verified_training_hours"]) == 0
    assert statements.captured_queries == []


def test_integers_of_another_model():
    practitioner = ListingFactory().practitioner
    rows_update([Practitioner(id=practitioner.pk, verified_training_hours=77)], ["verified_training_hours"])
    practitioner.refresh_from_db()
    assert practitioner.verified_training_hours == 77
