"""What is missing for qualification: `shortfalls` against the rule itself (`is_qualified`),
over every combination of a grid of facts, and `qualification_gaps` in plain words."""

import datetime
import itertools

import pytest

from credentials import qualification as q
from credentials.models import Method
from credentials.selectors import qualification_gaps
from tests.credentials.factories import CredentialFactory, listing_in, set_rule, verified

ON = datetime.date(2026, 3, 1)
D = datetime.date


def license_(state="WA", issued=None, expires=None, status=q.VERIFIED, profession="PT"):
    issued, expires = issued or D(2020, 1, 1), expires or D(2027, 1, 1)
    return q.CredentialFacts(q.LICENSE, status, issued, expires, state, profession)


def training(hours, status=q.VERIFIED, expires=None):
    return q.CredentialFacts(q.TRAINING, status, D(2021, 1, 1), expires, hours=hours)


LICENSES = [
    [],
    [license_()],
    [license_(expires=D(2026, 2, 1))],
    [license_(status="pending")],
    [license_(state="OR")],
    [license_(issued=D(2025, 3, 1))],
    [license_(profession="DC")],
]
TRAININGS = [
    [],
    [training(24)],
    [training(50)],
    [training(30, status="pending"), training(24)],
    [training(60, expires=D(2025, 1, 1))],
]
RULES = [
    q.Rule(permitted=True, min_training_hours=50),
    q.Rule(permitted=True, min_training_hours=20, professions=frozenset({"PT"}), min_years_licensed=2),
    q.Rule(permitted=True, min_training_hours=0, professions=frozenset({"DC"})),
    q.Rule(permitted=False, min_training_hours=0),
]


@pytest.mark.parametrize(("licenses", "trainings", "rule"), list(itertools.product(LICENSES, TRAININGS, RULES)))
def test_nothing_is_missing_exactly_when_the_rule_says_qualified(licenses, trainings, rule):
    facts = licenses + trainings
    found = q.shortfalls(facts, rule, "PT", "WA", ON)
    assert (found == []) == q.is_qualified(facts, rule, "PT", "WA", ON)


def test_each_shortfall_names_its_facts():
    rule = q.Rule(permitted=True, min_training_hours=50, min_years_licensed=2)
    found = q.shortfalls([license_(issued=D(2025, 3, 1)), training(24)], rule, "PT", "WA", ON)
    assert found == [
        q.Shortfall(q.TRAINING_HOURS, needed=50, has=24),
        q.Shortfall(q.YEARS_LICENSED, needed=2, licensed_since=D(2025, 3, 1), qualifies_on=D(2027, 3, 1)),
    ]
    assert q.shortfalls([license_(expires=D(2026, 2, 27))], rule, "PT", "WA", ON)[0] == q.Shortfall(
        q.LICENSE_EXPIRED, expired_on=D(2026, 2, 27)
    )


@pytest.mark.django_db
def test_gaps_in_plain_words(today, clinic):
    listing = listing_in("FL")
    practitioner = listing.practitioner
    set_rule("FL", permitted_professions=["PT"], min_training_hours=50, min_years_licensed=2)
    verified(
        CredentialFactory(practitioner=practitioner, jurisdiction="FL", issued_on=D(2025, 3, 1)),
        method=Method.PRIMARY_SOURCE,
    )
    verified(CredentialFactory(practitioner=practitioner, training=True, hours=24))
    CredentialFactory(practitioner=practitioner, training=True, hours=30, name="Level 2")
    gaps = qualification_gaps(practitioner, [listing], today=today)
    assert gaps[listing.pk] == [
        "Needs 50 verified training hours, has 24 verified + 30 pending.",
        "Florida requires 2 years licensed: licensed since 2025-03-01, qualifies on 2027-03-01.",
    ]
    # Licensed practice anywhere counts toward the years: an older Washington license, now expired.
    expired = listing_in("WA", practitioner=practitioner)
    verified(
        CredentialFactory(
            practitioner=practitioner, jurisdiction="WA", issued_on=D(2020, 1, 1), expires_on=D(2026, 2, 27)
        ),
        today=D(2026, 2, 1),
    )
    gaps = qualification_gaps(practitioner, [listing, expired], today=today)
    assert gaps[listing.pk] == ["Needs 50 verified training hours, has 24 verified + 30 pending."]
    assert gaps[expired.pk] == [
        "Washington license expired 2026-02-27.",
        "Needs 50 verified training hours, has 24 verified + 30 pending.",
    ]


@pytest.mark.django_db
def test_a_qualified_listing_has_no_gaps(today):
    listing = listing_in("WA")
    practitioner = listing.practitioner
    verified(CredentialFactory(practitioner=practitioner))
    verified(CredentialFactory(practitioner=practitioner, training=True, hours=60))
    listing.refresh_from_db()
    assert listing.is_qualified(today)
    assert qualification_gaps(practitioner, [listing], today=today) == {listing.pk: []}


@pytest.mark.django_db
def test_a_missing_license_says_when_one_is_pending(today):
    listing = listing_in("WA")
    CredentialFactory(practitioner=listing.practitioner)
    assert qualification_gaps(listing.practitioner, [listing], today=today)[listing.pk][0] == (
        "Needs a verified PT license from Washington (one is pending verification)."
    )


@pytest.mark.django_db
def test_shortfall_counts_of_a_clinic_leave_out_qualified_listings(today, clinic, other_clinic):
    from credentials.selectors import qualification_shortfall_counts

    qualified = listing_in("WA", location_kwargs={"clinic": clinic})
    verified(CredentialFactory(practitioner=qualified.practitioner))
    verified(CredentialFactory(practitioner=qualified.practitioner, training=True, hours=60))
    lapsed = listing_in("WA", location_kwargs={"clinic": clinic})
    verified(CredentialFactory(practitioner=lapsed.practitioner, expires_on=D(2026, 2, 1)), today=D(2026, 1, 1))
    verified(CredentialFactory(practitioner=lapsed.practitioner, training=True, hours=60))
    listing_in("WA", location_kwargs={"clinic": other_clinic})  # another clinic's: not counted
    assert qualification_shortfall_counts(clinic=clinic, today=today) == {q.LICENSE_EXPIRED: 1}
