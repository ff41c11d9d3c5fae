""" "Why qualified": each location of a public profile says which rule, license and hours it
rests on, and agrees with the qualification rule (computed here independently)."""

import datetime

import pytest

from credentials import qualification
from credentials.models import Credential, StateRule
from tests.credentials.factories import TODAY, CredentialFactory, listing_in, set_rule, verified
from tests.factories import PractitionerFactory

pytestmark = pytest.mark.django_db


def profile_location(api, practitioner, state):
    body = api.get(f"/api/v1/practitioners/{practitioner.slug}/").json()
    return next(location for location in body["locations"] if location["state"] == state), body


def independent_window(practitioner, state):
    """The run of qualified days from the pure rule, on facts read straight from the rows."""
    facts = [credential.as_facts() for credential in Credential.objects.verified().filter(practitioner=practitioner)]
    row = StateRule.objects.filter(state=state).first()
    rule = row.as_rule() if row else qualification.Rule(permitted=True, min_training_hours=50)
    return qualification.qualified_window(facts, rule, practitioner.profession, state, TODAY)


@pytest.fixture
def pt_in_washington(today):
    set_rule("WA", min_training_hours=40, source="Washington PT board rule", checked_on=datetime.date(2026, 1, 15))
    practitioner = PractitionerFactory(name="Dana Whitfield", profession="PT")
    listing_in("WA", practitioner=practitioner)
    verified(CredentialFactory(practitioner=practitioner, jurisdiction="WA", expires_on=datetime.date(2027, 12, 31)))
    return practitioner


def test_a_qualified_location_says_the_rule_license_and_hours_it_rests_on(api, pt_in_washington):
    verified(CredentialFactory(practitioner=pt_in_washington, training=True, hours=60))
    location, body = profile_location(api, pt_in_washington, "WA")
    assert location["qualification"] == {
        "state": "WA",
        "qualified": True,
        "qualified_until": "2027-12-31",
        "rule": {
            "dry_needling_permitted": True,
            "professions_permitted": ["PT"],
            "min_training_hours": 40,
            "min_years_licensed": None,
            "source": "Washington PT board rule",
            "checked_on": "2026-01-15",
        },
        "license": {"jurisdiction": "WA", "profession": "PT", "expires_on": "2027-12-31"},
        "verified_training_hours": 60,
    }
    window = independent_window(pt_in_washington, "WA")
    assert window is not None and window[1].isoformat() == location["qualification"]["qualified_until"]
    # The license number is never in the profile.
    number = Credential.objects.get(practitioner=pt_in_washington, kind="license").license_number
    assert number not in str(body)


def test_too_few_hours_is_not_qualified_and_says_what_counts(api, pt_in_washington):
    verified(CredentialFactory(practitioner=pt_in_washington, training=True, hours=24))
    location, _ = profile_location(api, pt_in_washington, "WA")
    qualification_ = location["qualification"]
    assert (qualification_["qualified"], qualification_["qualified_until"]) == (False, None)
    assert (qualification_["rule"]["min_training_hours"], qualification_["verified_training_hours"]) == (40, 24)
    assert qualification_["license"]["jurisdiction"] == "WA"
    assert independent_window(pt_in_washington, "WA") is None


def test_years_licensed_rule_is_shown_and_agrees_with_the_rule(api, today):
    set_rule("FL", min_training_hours=10, min_years_licensed=2, source="Florida statute", checked_on=TODAY)
    practitioner = PractitionerFactory(profession="PT")
    listing_in("FL", practitioner=practitioner)
    verified(CredentialFactory(practitioner=practitioner, jurisdiction="FL", issued_on=datetime.date(2025, 3, 1)))
    verified(CredentialFactory(practitioner=practitioner, training=True, hours=20))
    location, _ = profile_location(api, practitioner, "FL")
    qualification_ = location["qualification"]
    assert qualification_["rule"]["min_years_licensed"] == 2
    assert qualification_["qualified"] is False  # licensed since 2025-03-01: qualifies on 2027-03-01
    window = independent_window(practitioner, "FL")
    assert window is not None and window[0] == datetime.date(2027, 3, 1)


def test_a_state_without_a_rule_says_the_platform_default_applies(api, today, settings):
    StateRule.objects.filter(state="CO").delete()
    practitioner = PractitionerFactory(profession="PT")
    listing_in("CO", practitioner=practitioner)
    location, _ = profile_location(api, practitioner, "CO")
    rule = location["qualification"]["rule"]
    assert rule["source"].startswith("Platform default")
    assert rule["min_training_hours"] == settings.PLATFORM_DEFAULT_MIN_TRAINING_HOURS
    assert (rule["checked_on"], rule["professions_permitted"], location["qualification"]["license"]) == (
        None,
        None,
        None,
    )


def test_the_profile_page_says_why_in_plain_words(client, pt_in_washington):
    verified(CredentialFactory(practitioner=pt_in_washington, training=True, hours=60))
    page = client.get(f"/practitioners/{pt_in_washington.slug}/").content.decode()
    text = " ".join(page.split())
    assert "Why listed as qualified in Washington" in text
    assert "Washington allows PT to dry-needle with at least 40 hours of dry needling training." in text
    assert "Source: Washington PT board rule, checked 2026-01-15." in text
    assert "Verified WA license (PT), valid until 2027-12-31." in text
    assert "Verified training: 60 hours." in text and "Qualified here until 2027-12-31." in text
