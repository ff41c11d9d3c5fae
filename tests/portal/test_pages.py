"""The patient pages as the server renders them: the search page, a profile, the advice page, 404s."""

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from credentials.models import Method
from tests.credentials.factories import CredentialFactory, verified
from tests.factories import ListingFactory, LocationFactory, PractitionerFactory

pytestmark = pytest.mark.django_db


def test_the_search_page_offers_every_vocabulary_and_reads_the_api(client, settings):
    settings.MAP_TILE_URL = "http://tiles.example.test/{z}/{x}/{y}.png"

    response = client.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    for option in ('value="low-back-pain"', 'value="deep-dry-needling"', 'value="PT"', 'value="es"'):
        assert option in page
    assert 'data-api="/api/v1/practitioners/"' in page
    assert "vendor/leaflet/leaflet.js" in page
    assert "http://tiles.example.test/{z}/{x}/{y}.png" in page
    assert 'name="accepting_new_patients"' in page


@pytest.fixture
def profile(today, specialty, technique, language):
    practitioner = PractitionerFactory(
        name="Dana Whitfield",
        slug="dana-whitfield",
        years_dry_needling=7,
        typical_sessions=4,
        bio="Dana treats runners and desk workers.",
        specialties=[specialty("low-back-pain"), specialty("neck-pain")],
        techniques=[technique("deep-dry-needling")],
        languages=[language("es")],
    )
    location = LocationFactory(clinic__name="Harbor Physical Therapy", address="1200 Pike St", phone="(206) 555-0149")
    ListingFactory(practitioner=practitioner, location=location)
    license_ = verified(CredentialFactory(practitioner=practitioner, license_number="PT-SECRET-1"), today=today)
    training = verified(
        CredentialFactory(practitioner=practitioner, training=True, hours=60),
        today=today,
        method=Method.DOCUMENT_REVIEW,
    )
    certification = verified(CredentialFactory(practitioner=practitioner, certification=True), today=today)
    CredentialFactory(practitioner=practitioner, certification=True, name="Still Pending Certificate")
    return practitioner, [license_, training, certification]


def test_the_profile_answers_the_patients_questions_and_shows_verified_credentials(client, profile):
    practitioner, credentials = profile

    response = client.get("/practitioners/dana-whitfield/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Dana Whitfield" in page and "Physical therapist" in page
    assert "7 years" in page
    assert "Typically 4 sessions" in page
    assert "Low back pain" in page and "Neck pain" in page
    assert "Certified Dry Needling Practitioner (Academy of Dry Needling Practitioners)" in page
    assert "60 hours of verified dry needling training" in page
    assert "Harbor Physical Therapy" in page and "1200 Pike St" in page
    assert "Washington Board of Physical Therapy" in page
    license_, training, _ = credentials
    verified_on = date_format(timezone.localtime(license_.verified_at), "M j, Y")
    assert f"Verified on {verified_on} by primary source (checked with the issuer)" in page
    assert f"next review due {date_format(license_.next_review_due, 'M j, Y')}" in page
    assert "by document review" in page
    assert "Still Pending Certificate" not in page
    assert "PT-SECRET-1" not in page
    assert "Request a consultation" in page
    assert 'data-api="/api/v1/consultation-requests/"' in page
    assert 'data-practitioner="dana-whitfield"' in page
    assert "/dry-needling-right-for-me/" in page


def test_a_profile_without_details_says_so(client, today):
    ListingFactory(practitioner=PractitionerFactory(slug="new-colleague"))

    page = client.get("/practitioners/new-colleague/").content.decode()

    assert page.count("Not stated") == 2
    assert "No verified credentials on file yet." in page
    assert "No verified certification on file" in page


def test_an_unknown_practitioner_is_a_404_page(client):
    response = client.get("/practitioners/nobody-by-this-name/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert 'href="/"' in response.content.decode()


def test_the_advice_page_names_who_should_ask_their_doctor_first(client):
    response = client.get("/dry-needling-right-for-me/")

    assert response.status_code == 200
    page = response.content.decode()
    for words in ("blood thinners", "bleeding disorder", "pregnant", "infection", "afraid of needles"):
        assert words in page


def test_the_pages_carry_a_content_security_policy_that_allows_the_map_tiles(client, settings):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "img-src 'self' data: https://tile.openstreetmap.org" in policy


def test_a_subdomain_tile_server_is_allowed_by_a_wildcard():
    from core.middleware import tile_source

    assert tile_source("https://{s}.tiles.example.org/{z}/{x}/{y}.png") == "https://*.tiles.example.org"
    assert tile_source("http://127.0.0.1:9/{z}/{x}/{y}.png") == "http://127.0.0.1:9"


def test_the_api_answers_without_the_pages_policy(api):
    assert "Content-Security-Policy" not in api.get("/api/v1/practitioners/", {"zip": "98101"})
