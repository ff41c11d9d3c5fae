"""The patient pages in a real browser: search by ZIP with the list and the map, filters,
an unknown ZIP, a profile's verified credentials, a consultation request, a phone-sized screen."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from credentials.models import Method
from directory.selectors import KM_PER_MILE
from tests.credentials.factories import CredentialFactory, MembershipFactory, UserFactory, verified
from tests.factories import ClinicFactory, ListingFactory, LocationFactory, PractitionerFactory, point_at
from tests.geo import SEATTLE, geodesic_km, offset

from .conftest import PHONE

ACTIVE = re.compile(r"(^|\s)active(\s|$)")

# Live server tests commit; the vocabularies seeded by migrations are restored after each.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def nearby(today, specialty, language):
    """Four qualified practitioners within 25 miles of ZIP 98101 (given out of order) and one beyond."""
    people = [
        # name, metres from the 98101 centroid, bearing, specialties, clinic
        ("Cara Nguyen", 9_000, 180, ["low-back-pain"], "Rainier Spine Center"),
        ("Ada Park", 1_500, 90, ["low-back-pain", "neck-pain"], "Spine & <Sports> Clinic"),
        ("Dev Shah", 20_000, 300, ["hip-pain"], "Ballard Physical Therapy"),
        ("Ben Ortiz", 4_000, 0, ["neck-pain"], "Capitol Hill Physical Therapy"),
        ("Far Away", 70_000, 200, ["low-back-pain"], "Tacoma Physical Therapy"),
    ]
    points = {}
    for name, metres, bearing, specialties, clinic in people:
        lat, lon = offset(SEATTLE, metres, bearing)
        practitioner = PractitionerFactory(name=name, specialties=[specialty(slug) for slug in specialties])
        location = LocationFactory(clinic=ClinicFactory(name=clinic), point=point_at(lat, lon))
        ListingFactory(practitioner=practitioner, location=location)
        points[name] = (lat, lon)
    return points


def search(page, place):
    page.fill("#place", place)
    page.click("button[type=submit]")


def test_search_by_zip_lists_the_nearest_first_with_one_marker_per_row(open_page, nearby, screenshot):
    page = open_page("/")
    search(page, "98101")

    rows = page.locator("#results li")
    expect(rows).to_have_count(4)
    names = rows.locator("h2 a").all_inner_texts()
    assert names == ["Ada Park", "Ben Ortiz", "Cara Nguyen", "Dev Shah"]
    shown = [float(text.removesuffix(" mi")) for text in rows.locator(".distance").all_inner_texts()]
    assert shown == sorted(shown)
    for name, miles in zip(names, shown):
        expected = geodesic_km(SEATTLE, nearby[name]) / KM_PER_MILE
        assert miles == pytest.approx(expected, abs=0.051), name
    expect(page.locator("#map .leaflet-marker-icon")).to_have_count(4)
    # API text is shown as text: the clinic's name is not parsed as HTML.
    expect(rows.first.locator(".who")).to_have_text("Physical therapist · Spine & <Sports> Clinic")
    assert rows.first.locator("sports").count() == 0
    expect(rows.first.locator(".badge")).to_have_text("Verified")
    # The page's address keeps the search, so Back from a profile returns to it.
    assert "place=98101" in page.url

    page.locator("#map .leaflet-marker-icon").nth(2).click()
    expect(rows.nth(2)).to_have_class(ACTIVE)
    expect(page.locator("#results li.active h2 a")).to_have_text("Cara Nguyen")

    rows.nth(1).hover()
    expect(page.locator("#map .leaflet-marker-icon").nth(1)).to_have_class(ACTIVE)
    expect(page.locator("#map .leaflet-marker-icon.active")).to_have_count(1)
    screenshot(page, "search-desktop")


def test_a_filter_narrows_the_results(open_page, nearby):
    page = open_page("/")
    search(page, "Seattle, WA")
    expect(page.locator("#results li")).to_have_count(4)

    page.select_option("#specialty", "low-back-pain")

    rows = page.locator("#results li")
    expect(rows).to_have_count(2)
    assert rows.locator("h2 a").all_inner_texts() == ["Ada Park", "Cara Nguyen"]
    expect(page.locator("#map .leaflet-marker-icon")).to_have_count(2)

    page.select_option("#radius_mi", "50")
    expect(rows).to_have_count(3)
    expect(rows.nth(2).locator("h2 a")).to_have_text("Far Away")


def test_an_unknown_zip_shows_a_helpful_message(open_page, nearby):
    page = open_page("/")
    search(page, "98101")
    expect(page.locator("#results li")).to_have_count(4)

    search(page, "00000")

    message = page.locator("#search-message")
    expect(message).to_be_visible()
    expect(message).to_contain_text("Unknown US ZIP code '00000'")
    expect(message).to_contain_text("search by City, ST")
    expect(page.locator("#results li")).to_have_count(0)
    expect(page.locator("#map .leaflet-marker-icon")).to_have_count(0)


def test_text_that_is_no_place_is_explained_without_asking_the_api(open_page, nearby):
    page = open_page("/")
    search(page, "near the lake")

    expect(page.locator("#search-message")).to_contain_text("Enter a 5-digit ZIP code or a city as City, ST")
    expect(page.locator("#results li")).to_have_count(0)


def test_use_my_location_searches_from_the_browsers_position(open_page, nearby):
    lat, lon = nearby["Dev Shah"]
    page = open_page("/", geolocation={"latitude": lat, "longitude": lon}, permissions=["geolocation"])

    page.click("#use-location")

    rows = page.locator("#results li")
    expect(rows.first.locator("h2 a")).to_have_text("Dev Shah")
    expect(rows.first.locator(".distance")).to_have_text("0.0 mi")


@pytest.fixture
def dana(today):
    """A practitioner at a clinic with a member who reads its email, with verified and pending credentials."""
    clinic = ClinicFactory(name="Harbor Physical Therapy")
    MembershipFactory(clinic=clinic, user=UserFactory(username="harbor-owner", email="owner@harbor.example"))
    practitioner = PractitionerFactory(
        name="Dana Whitfield", slug="dana-whitfield", years_dry_needling=7, typical_sessions=4
    )
    # In Spokane: out of the Seattle searches of the other tests.
    location = LocationFactory(clinic=clinic, address="1200 W Main Ave", postal_code="99201")
    ListingFactory(practitioner=practitioner, location=location)
    verified(CredentialFactory(practitioner=practitioner), today=today)
    verified(
        CredentialFactory(practitioner=practitioner, training=True, hours=60),
        today=today,
        method=Method.DOCUMENT_REVIEW,
    )
    CredentialFactory(practitioner=practitioner, certification=True, name="Still Pending Certificate")
    return practitioner


def test_the_profile_shows_the_verified_credentials(open_page, dana, screenshot):
    page = open_page("/practitioners/dana-whitfield/")

    credentials = page.locator("#credentials li")
    expect(credentials).to_have_count(2)
    expect(credentials.nth(0)).to_contain_text("Washington Board of Physical Therapy")
    expect(credentials.nth(0)).to_contain_text("by primary source")
    expect(credentials.nth(0)).to_contain_text("next review due")
    expect(credentials.nth(1)).to_contain_text("Dry Needling Level 1")
    expect(credentials.nth(1)).to_contain_text("60 hours")
    expect(credentials.nth(1)).to_contain_text("by document review")
    expect(page.locator("main")).not_to_contain_text("Still Pending Certificate")
    expect(page.locator("#years")).to_have_text("7 years")
    expect(page.locator("#profile-map .leaflet-marker-icon")).to_have_count(1)
    screenshot(page, "profile-desktop")


def test_a_consultation_request_from_the_profile_mails_the_clinic(open_page, dana):
    page = open_page("/practitioners/dana-whitfield/")

    page.fill("#consult-name", "Pat Jones")
    page.fill("#consult-email", "pat@example.com")
    page.fill("#consult-message", "Stiff neck for three weeks; could dry needling help?")
    page.click("#consultation button[type=submit]")

    expect(page.locator("#consult-confirmation")).to_contain_text("Harbor Physical Therapy has your request")
    expect(page.locator("#consultation")).to_be_hidden()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["owner@harbor.example"]
    assert mail.outbox[0].reply_to == ["pat@example.com"]
    assert "Stiff neck for three weeks" in mail.outbox[0].body


def test_a_consultation_request_without_a_way_to_reply_names_the_fields(open_page, dana):
    page = open_page("/practitioners/dana-whitfield/")

    page.fill("#consult-name", "Pat Jones")
    page.fill("#consult-message", "Could dry needling help my back?")
    page.click("#consultation button[type=submit]")

    errors = page.locator("#consult-errors")
    expect(errors).to_contain_text("Email: Give an email address or a phone number")
    expect(page.locator("#consult-phone")).to_have_attribute("aria-invalid", "true")
    assert mail.outbox == []


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_the_pages_fit_a_phone_screen(open_page, nearby, dana, screenshot):
    page = open_page("/?place=98101", viewport=PHONE)

    expect(page.locator("#results li")).to_have_count(4)
    assert no_sideways_scroll(page)
    map_box, list_box = page.locator("#map").bounding_box(), page.locator("#results").bounding_box()
    assert map_box["width"] <= PHONE["width"] and list_box["width"] <= PHONE["width"]
    assert map_box["y"] < list_box["y"]  # one column: the map above the list
    screenshot(page, "search-phone")

    page.locator("#results li h2 a").first.click()
    expect(page.locator("h1")).to_have_text("Ada Park")
    page.goto("/practitioners/dana-whitfield/")
    expect(page.locator("#credentials li")).to_have_count(2)
    assert no_sideways_scroll(page)
    screenshot(page, "profile-phone")
