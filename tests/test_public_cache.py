"""Public answers kept in the cache (core.public_cache): what is kept, for whom, and when a
write makes them stale."""

import datetime

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from core import public_cache
from directory import services
from directory.models import Practitioner
from tests.factories import ListingFactory, LocationFactory, point_at

SEARCH = "/api/v1/practitioners/"


@pytest.fixture(autouse=True)
def _public_cache_on(settings):
    settings.PUBLIC_CACHE_SECONDS = 60


@pytest.fixture
def listing(db, freeze_today):
    return ListingFactory(location=LocationFactory(point=point_at(47.61, -122.33), postal_code="98101", state="WA"))


def search(client, **params):
    return client.get(SEARCH, {"near": "47.61,-122.33", **params})


def test_a_repeated_search_is_answered_from_the_cache_without_the_database(listing, django_assert_num_queries):
    client = APIClient()
    first = search(client)
    assert first.status_code == 200
    assert first["X-Cache"] == "miss"
    assert [row["name"] for row in first.json()["results"]] == [listing.practitioner.name]

    with django_assert_num_queries(0):
        again = search(client)
    assert again.status_code == 200
    assert again["X-Cache"] == "hit"
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]


def test_parameter_order_does_not_matter_but_every_parameter_does(listing):
    client = APIClient()
    assert client.get(SEARCH, {"near": "47.61,-122.33", "radius_km": "30"})["X-Cache"] == "miss"
    assert client.get(f"{SEARCH}?radius_km=30&near=47.61,-122.33")["X-Cache"] == "hit"
    assert client.get(SEARCH, {"near": "47.61,-122.33", "radius_km": "31"})["X-Cache"] == "miss"


def test_each_format_is_kept_apart(listing):
    client = APIClient()
    json_page = search(client)
    geojson = search(client, format="geojson")
    assert geojson["X-Cache"] == "miss"
    assert geojson.json()["type"] == "FeatureCollection"
    assert search(client)["X-Cache"] == "hit"
    assert search(client).content == json_page.content


def test_errors_are_not_kept(listing):
    client = APIClient()
    for _ in range(2):
        response = client.get(SEARCH, {"near": "91,0"})
        assert response.status_code == 400
        assert "near" in response.json()["errors"]
        assert not response.has_header("X-Cache")


def test_signed_in_users_and_sessions_are_never_served_kept_answers(listing, admin):
    signed_in = APIClient()
    signed_in.force_authenticate(admin)
    assert not search(signed_in).has_header("X-Cache")
    assert not search(signed_in).has_header("X-Cache")

    with_session = APIClient()
    with_session.cookies["sessionid"] = "anything"
    assert not search(with_session).has_header("X-Cache")


def test_the_day_is_part_of_the_key(listing, freeze_today, frozen_day):
    client = APIClient()
    assert search(client)["X-Cache"] == "miss"
    freeze_today(frozen_day + datetime.timedelta(days=1))
    assert search(client)["X-Cache"] == "miss"
    assert search(client)["X-Cache"] == "hit"


def test_a_profile_is_kept_too(listing):
    client = APIClient()
    path = f"{SEARCH}{listing.practitioner.slug}/"
    assert client.get(path)["X-Cache"] == "miss"
    assert client.get(path)["X-Cache"] == "hit"


# These commit; as every test that does, each restores what the migrations seeded after it, so
# the flush after it does not recreate the content types under ids the next such test's restore
# then collides with (tests/fhirapi/test_export_worker.py, when named after this file).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_committed_write_makes_the_next_answer_fresh(listing):
    client = APIClient()
    assert search(client).json()["results"][0]["name"] == listing.practitioner.name
    assert search(client)["X-Cache"] == "hit"
    before = public_cache.generation()

    services.practitioner_update(practitioner=listing.practitioner, changes={"name": "Dr Renamed Person"})

    assert public_cache.generation() == before + 1
    fresh = search(client)
    assert fresh["X-Cache"] == "miss"
    assert fresh.json()["results"][0]["name"] == "Dr Renamed Person"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reads_bump_nothing_and_a_transaction_bumps_once_when_it_commits(listing):
    before = public_cache.generation()
    list(Practitioner.objects.all())
    assert public_cache.generation() == before

    with transaction.atomic():
        Practitioner.objects.filter(pk=listing.practitioner_id).update(bio="Changed.")
        Practitioner.objects.filter(pk=listing.practitioner_id).update(bio="Changed again.")
        pending = [func for _, func, _ in connection.run_on_commit if func is public_cache.public_data_changed]
        assert len(pending) == 1
        assert public_cache.generation() == before
    assert public_cache.generation() == before + 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rolled_back_transaction_bumps_nothing_and_the_next_one_still_does():
    before = public_cache.generation()
    location = LocationFactory()
    after_create = public_cache.generation()
    assert after_create > before  # autocommit: each committed write bumps at once

    with pytest.raises(RuntimeError), transaction.atomic():
        services.location_update(location=location, changes={"name": "Never seen"})
        raise RuntimeError("abandon")
    assert public_cache.generation() == after_create

    with transaction.atomic():
        services.location_update(location=location, changes={"name": "Seen"})
    assert public_cache.generation() == after_create + 1


@pytest.mark.parametrize(
    ("sql", "writes"),
    [
        ('UPDATE "directory_listing" SET "qualified_until" = NULL', True),
        ('INSERT INTO "credentials_credential" ("kind") VALUES (%s)', True),
        ('DELETE FROM "directory_practitioner_languages" WHERE id = 1', True),
        ("  WITH chosen AS (SELECT 1) INSERT INTO credentials_exclusionmatch SELECT * FROM chosen", True),
        ("TRUNCATE directory_clinic CASCADE", True),
        ('INSERT\nINTO "directory_listing" ("point") VALUES (%s)', True),
        ('SELECT "directory_listing"."id" FROM "directory_listing"', False),
        ('UPDATE "auth_user" SET "last_login" = %s WHERE id = 1', False),
        ('INSERT INTO "django_session" ("session_key") VALUES (%s)', False),
    ],
)
def test_which_statements_count_as_writes_to_the_public_tables(sql, writes):
    assert public_cache.writes_public_table(sql) is writes


def test_every_connection_watches_its_writes(db):
    connection.ensure_connection()
    assert public_cache.watch_writes in connection.execute_wrappers
