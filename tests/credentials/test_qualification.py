"""Who the search calls qualified: each state-rule case, and a property-based check
that the search agrees with a day-by-day recomputation from the credential rows."""

import datetime

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from credentials import qualification, services
from credentials.models import Credential, Method, StateRule, Status
from directory import services as directory_services
from directory.models import Listing, Profession
from tests.credentials.factories import (
    TODAY,
    ZIP_IN,
    AdminFactory,
    CredentialFactory,
    listing_in,
    set_rule,
    verified,
)
from tests.factories import LocationFactory, PractitionerFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def search(api, **params):
    """slug -> result row, unqualified included (each row says whether it is qualified)."""
    response = api.get("/api/v1/practitioners/", {"include_unqualified": "true", "limit": 100, **params})
    assert response.status_code == 200, response.content
    return {row["slug"]: row for row in response.json()["results"]}


def default_search(api, **params):
    """Slugs a patient sees by default: qualified only."""
    response = api.get("/api/v1/practitioners/", {"limit": 100, **params})
    assert response.status_code == 200, response.content
    return {row["slug"] for row in response.json()["results"]}


def qualified_in_search(api, practitioner) -> bool:
    row = search(api)[practitioner.slug]
    shown = practitioner.slug in default_search(api)
    assert row["qualified"] == shown
    return row["qualified"]


def licensed(
    practitioner, state, *, issued_on=datetime.date(2015, 6, 1), expires_on=datetime.date(2027, 12, 31), **kwargs
):
    return verified(
        CredentialFactory(
            practitioner=practitioner, jurisdiction=state, issued_on=issued_on, expires_on=expires_on, **kwargs
        )
    )


def trained(practitioner, hours, **kwargs):
    return verified(CredentialFactory(practitioner=practitioner, training=True, hours=hours, **kwargs))


@pytest.fixture
def pt_in():
    def make(state, **kwargs):
        practitioner = PractitionerFactory(profession=kwargs.pop("profession", Profession.PT))
        listing_in(state, practitioner=practitioner)
        return practitioner

    return make


# --- each rule case, through the search API ----------------------------------


def test_not_permitted_in_the_state(api, today, pt_in):
    set_rule("CA", dry_needling_permitted=False, permitted_professions=[])
    practitioner = pt_in("CA")
    licensed(practitioner, "CA")
    trained(practitioner, 100)
    assert qualified_in_search(api, practitioner) is False


def test_profession_not_permitted_in_the_state(api, today, pt_in):
    set_rule("CO", permitted_professions=["PT"], min_training_hours=50)
    chiropractor = pt_in("CO", profession=Profession.DC)
    licensed(chiropractor, "CO")
    trained(chiropractor, 100)
    assert qualified_in_search(api, chiropractor) is False


def test_below_the_minimum_hours(api, today, pt_in):
    set_rule("CO", min_training_hours=50)
    practitioner = pt_in("CO")
    licensed(practitioner, "CO")
    trained(practitioner, 30)
    trained(practitioner, 19)
    row = search(api)[practitioner.slug]
    assert row["qualified"] is False
    assert row["verified_training_hours"] == 49


def test_hours_met_exactly(api, today, pt_in):
    set_rule("CO", min_training_hours=50)
    practitioner = pt_in("CO")
    licensed(practitioner, "CO")
    trained(practitioner, 30)
    trained(practitioner, 20)
    assert qualified_in_search(api, practitioner) is True
    assert practitioner.slug in default_search(api, min_training_hours=50)
    assert practitioner.slug not in default_search(api, min_training_hours=51)


def test_pending_and_rejected_hours_do_not_count(api, today, pt_in, admin):
    set_rule("CO", min_training_hours=50)
    practitioner = pt_in("CO")
    licensed(practitioner, "CO")
    trained(practitioner, 40)
    CredentialFactory(practitioner=practitioner, training=True, hours=40)  # pending
    rejected = CredentialFactory(practitioner=practitioner, training=True, hours=40)
    services.credential_reject(
        credential=rejected,
        decided_by=admin,
        method=Method.DOCUMENT_REVIEW,
        reason="Not a dry needling course.",
        today=TODAY,
    )
    row = search(api)[practitioner.slug]
    assert (row["qualified"], row["verified_training_hours"]) == (False, 40)


def test_license_expired_yesterday(api, today, pt_in):
    practitioner = pt_in("WA")
    licensed(practitioner, "WA", expires_on=TODAY - DAY)
    trained(practitioner, 60)
    assert qualified_in_search(api, practitioner) is False


def test_license_expiring_today_counts_today_and_not_tomorrow(api, freeze_today, pt_in):
    practitioner = pt_in("WA")
    licensed(practitioner, "WA", expires_on=TODAY)
    trained(practitioner, 60)
    assert qualified_in_search(api, practitioner) is True
    # No job runs overnight: the stored date alone makes tomorrow's search right.
    freeze_today(TODAY + DAY)
    assert qualified_in_search(api, practitioner) is False


def test_rule_changed_by_an_admin_requalifies_the_state(api, today, pt_in, client_for, admin):
    set_rule("CO", min_training_hours=50)
    practitioner = pt_in("CO")
    licensed(practitioner, "CO")
    trained(practitioner, 54)
    assert qualified_in_search(api, practitioner) is True

    as_admin = client_for(admin)
    response = as_admin.patch("/api/v1/state-rules/CO/", {"min_training_hours": 60}, format="json")
    assert response.status_code == 200, response.content
    assert qualified_in_search(api, practitioner) is False

    response = as_admin.patch(
        "/api/v1/state-rules/CO/", {"dry_needling_permitted": False, "permitted_professions": []}, format="json"
    )
    assert response.status_code == 200
    response = as_admin.patch(
        "/api/v1/state-rules/CO/",
        {"dry_needling_permitted": True, "permitted_professions": ["PT"], "min_training_hours": 54},
        format="json",
    )
    assert response.status_code == 200
    assert qualified_in_search(api, practitioner) is True


def test_license_in_another_state_only(api, today, pt_in):
    practitioner = pt_in("CO")
    licensed(practitioner, "WA")
    trained(practitioner, 80)
    assert qualified_in_search(api, practitioner) is False


def test_qualified_only_where_licensed(api, today, pt_in):
    practitioner = pt_in("CO")
    listing_in("WA", practitioner=practitioner)
    licensed(practitioner, "WA")
    trained(practitioner, 80)
    assert practitioner.slug in default_search(api)
    assert practitioner.slug in default_search(api, zip="98101")
    assert practitioner.slug not in default_search(api, zip="80202")
    locations = api.get(f"/api/v1/practitioners/{practitioner.slug}/").json()["locations"]
    assert {location["state"]: location["qualified"] for location in locations} == {"WA": True, "CO": False}


def test_license_of_another_profession_does_not_count(api, today, pt_in):
    practitioner = pt_in("WA")
    licensed(practitioner, "WA", profession=Profession.LAC)
    trained(practitioner, 80)
    assert qualified_in_search(api, practitioner) is False


@pytest.mark.parametrize(
    ("issued_on", "expected"),
    [
        (TODAY.replace(year=TODAY.year - 2), True),  # two years to the day
        (TODAY.replace(year=TODAY.year - 2) + DAY, False),  # a day short
        (TODAY.replace(year=TODAY.year - 1), False),
    ],
)
def test_minimum_years_licensed(api, today, pt_in, issued_on, expected):
    set_rule("FL", min_training_hours=50, min_years_licensed=2)
    practitioner = pt_in("FL")
    licensed(practitioner, "FL", issued_on=issued_on)
    trained(practitioner, 50)
    assert qualified_in_search(api, practitioner) is expected


def test_years_licensed_count_from_the_first_license_anywhere(api, today, pt_in):
    set_rule("FL", min_training_hours=50, min_years_licensed=2)
    practitioner = pt_in("FL")
    licensed(practitioner, "WA", issued_on=datetime.date(2012, 1, 1), expires_on=datetime.date(2020, 1, 1))
    licensed(practitioner, "FL", issued_on=TODAY - 30 * DAY)
    trained(practitioner, 50)
    assert qualified_in_search(api, practitioner) is True


def test_passing_the_years_licensed_mark_qualifies_that_day_with_no_job(api, freeze_today, pt_in):
    set_rule("FL", min_training_hours=50, min_years_licensed=2)
    practitioner = pt_in("FL")
    licensed(practitioner, "FL", issued_on=TODAY.replace(year=TODAY.year - 2) + 10 * DAY)
    trained(practitioner, 50)
    assert qualified_in_search(api, practitioner) is False
    freeze_today(TODAY + 9 * DAY)
    assert qualified_in_search(api, practitioner) is False  # a day short of two years
    freeze_today(TODAY + 10 * DAY)
    assert qualified_in_search(api, practitioner) is True  # nothing was recomputed in between


def test_state_without_a_rule_uses_the_platform_default(api, today, pt_in, settings):
    settings.PLATFORM_DEFAULT_MIN_TRAINING_HOURS = 40
    assert not StateRule.objects.filter(state="TX").exists()
    practitioner = pt_in("TX", profession=Profession.ATC)  # no rule: every profession
    licensed(practitioner, "TX")
    trained(practitioner, 39)
    assert qualified_in_search(api, practitioner) is False
    trained(practitioner, 1)
    assert qualified_in_search(api, practitioner) is True
    assert api.get("/api/v1/state-rules/").json()["platform_default_min_training_hours"] == 40


def test_revoking_the_license_unqualifies_at_once(api, today, pt_in, admin):
    practitioner = pt_in("WA")
    license_ = licensed(practitioner, "WA")
    trained(practitioner, 60)
    assert qualified_in_search(api, practitioner) is True
    services.credential_revoke(
        credential=license_,
        decided_by=admin,
        method=Method.PRIMARY_SOURCE,
        reason="Suspended by the board.",
        today=TODAY,
    )
    assert qualified_in_search(api, practitioner) is False


def test_new_listing_and_moved_location_are_requalified(today, pt_in):
    practitioner = pt_in("WA")
    licensed(practitioner, "WA")
    trained(practitioner, 60)
    location = LocationFactory(postal_code=ZIP_IN["WA"])
    new_listing = directory_services.listing_add(practitioner=practitioner, location=location)
    new_listing.refresh_from_db()
    assert new_listing.is_qualified(TODAY)

    directory_services.location_update(
        location=location, changes={"postal_code": "80202", "city": "Denver", "state": "CO"}
    )
    new_listing.refresh_from_db()
    assert (new_listing.state, new_listing.qualified_until) == ("CO", None)


def test_a_practitioner_listed_by_a_clinic_is_qualified_at_once(today, pt_in):
    practitioner = pt_in("WA")
    licensed(practitioner, "WA")
    trained(practitioner, 60)
    location = LocationFactory(postal_code=ZIP_IN["WA"])
    directory_services.practitioner_update(practitioner=practitioner, clinic=location.clinic, locations=[location])
    assert Listing.objects.get(practitioner=practitioner, location=location).is_qualified(TODAY)


def test_changing_profession_requalifies(today, pt_in):
    practitioner = pt_in("WA")
    licensed(practitioner, "WA")
    trained(practitioner, 60)
    directory_services.practitioner_update(practitioner=practitioner, changes={"profession": Profession.DC})
    assert not Listing.objects.get(practitioner=practitioner).is_qualified(TODAY)


# --- the pure rule -------------------------------------------------------------


def facts(kind, issued_on, expires_on=None, **kwargs):
    return qualification.CredentialFacts(
        kind=kind, status="verified", issued_on=issued_on, expires_on=expires_on, **kwargs
    )


def test_qualified_until_is_the_first_expiry_that_matters():
    rule = qualification.Rule(permitted=True, min_training_hours=50)
    credentials = [
        facts("license", datetime.date(2020, 1, 1), datetime.date(2027, 6, 30), jurisdiction="WA", profession="PT"),
        facts("training", datetime.date(2021, 1, 1), datetime.date(2026, 12, 31), hours=30),
        facts("training", datetime.date(2021, 1, 1), None, hours=30),
        facts("training", datetime.date(2021, 1, 1), datetime.date(2026, 5, 1), hours=10),  # not needed
    ]
    assert qualification.qualified_until(credentials, rule, "PT", "WA", TODAY) == datetime.date(2026, 12, 31)


def test_nothing_expiring_is_qualified_indefinitely():
    rule = qualification.Rule(permitted=True, min_training_hours=10)
    credentials = [
        facts("license", datetime.date(2020, 1, 1), datetime.date(9999, 12, 31), jurisdiction="WA", profession="PT"),
        facts("training", datetime.date(2021, 1, 1), None, hours=30),
    ]
    assert qualification.qualified_until(credentials, rule, "PT", "WA", TODAY) == qualification.QUALIFIED_INDEFINITELY


def test_a_leap_day_license_completes_its_years_on_the_first_of_march():
    assert qualification.anniversary(datetime.date(2024, 2, 29), 2) == datetime.date(2026, 3, 1)
    assert qualification.anniversary(datetime.date(2024, 2, 29), 4) == datetime.date(2028, 2, 29)


# --- property: the search matches a day-by-day recomputation ------------------

STATES = ["WA", "FL", "CO", "CA", "AZ"]
START, END = datetime.date(2024, 1, 1), datetime.date(2028, 12, 31)


def qualified_in_search_on(api, practitioner, freeze_today, day):
    freeze_today(day)
    return qualified_in_search(api, practitioner)


def independent_qualified(rows, rule, profession, state, day):
    """Qualified on `day`, straight from the credential rows and the rule row, one day at a time."""
    if rule is None:
        permitted, professions = True, None
        min_hours, min_years = django_settings.PLATFORM_DEFAULT_MIN_TRAINING_HOURS, None
    else:
        permitted, professions = rule.dry_needling_permitted, set(rule.permitted_professions)
        min_hours = rule.min_training_hours
        if min_hours is None:
            min_hours = django_settings.PLATFORM_DEFAULT_MIN_TRAINING_HOURS
        min_years = rule.min_years_licensed
    if not permitted or (professions is not None and profession not in professions):
        return False

    def in_force(row):
        return (
            row["status"] == "verified"
            and row["issued_on"] <= day
            and (row["expires_on"] is None or day <= row["expires_on"])
        )

    licenses = [r for r in rows if r["kind"] == "license" and r["profession"] == profession]
    if not any(r["jurisdiction"] == state and in_force(r) for r in licenses):
        return False
    hours = sum(r["hours"] for r in rows if r["kind"] == "training" and in_force(r))
    if hours < min_hours:
        return False
    if min_years:
        first = min(r["issued_on"] for r in licenses if r["status"] == "verified" and r["issued_on"] <= day)
        whole_years = day.year - first.year - ((day.month, day.day) < (first.month, first.day))
        if whole_years < min_years:
            return False
    return True


@st.composite
def credential_specs(draw, today):
    kind = draw(st.sampled_from(["license", "license", "training", "training", "certification"]))
    issued_on = today - datetime.timedelta(days=draw(st.integers(0, 6 * 365)))
    if kind == "license" or draw(st.booleans()):
        expires_on = issued_on + datetime.timedelta(days=draw(st.integers(0, 6 * 365)))
    else:
        expires_on = None
    return {
        "kind": kind,
        "issued_on": issued_on,
        "expires_on": expires_on,
        "jurisdiction": draw(st.sampled_from(STATES)) if kind == "license" else "",
        "profession": draw(st.sampled_from(["PT", "PT", "PT", "DC"])) if kind == "license" else "",
        "hours": draw(st.integers(0, 60)) if kind == "training" else None,
        "fate": draw(st.sampled_from(["verified", "verified", "verified", "pending", "rejected", "revoked"])),
    }


@st.composite
def scenarios(draw):
    today = draw(st.dates(min_value=START, max_value=END))
    state = draw(st.sampled_from(STATES))
    profession = draw(st.sampled_from(["PT", "PT", "PT", "DC"]))
    credentials = []
    if draw(st.integers(0, 9)) < 7:
        # Most scenarios start from a plausible kit (a license here and some
        # training) so that qualified, unqualified and lapsing cases all occur.
        issued_on = today - datetime.timedelta(days=draw(st.integers(0, 5 * 365)))
        credentials.append(
            {
                "kind": "license",
                "issued_on": issued_on,
                "expires_on": max(issued_on, today + datetime.timedelta(days=draw(st.integers(-60, 900)))),
                "jurisdiction": state,
                "profession": profession,
                "hours": None,
                "fate": draw(st.sampled_from(["verified"] * 5 + ["pending", "revoked"])),
            }
        )
        for hours in draw(st.lists(st.integers(15, 50), min_size=1, max_size=3)):
            completed = today - datetime.timedelta(days=draw(st.integers(0, 4 * 365)))
            lapses = draw(st.booleans())
            credentials.append(
                {
                    "kind": "training",
                    "issued_on": completed,
                    "expires_on": (
                        max(completed, today + datetime.timedelta(days=draw(st.integers(-30, 700)))) if lapses else None
                    ),
                    "jurisdiction": "",
                    "profession": "",
                    "hours": hours,
                    "fate": draw(st.sampled_from(["verified"] * 5 + ["pending", "rejected"])),
                }
            )
    credentials += draw(st.lists(credential_specs(today), max_size=3))
    return {
        "today": today,
        "state": state,
        "profession": profession,
        "credentials": credentials,
        "later": sorted(draw(st.lists(st.integers(1, 800), min_size=1, max_size=2, unique=True))),
    }


def build(scenario, admin):
    """The scenario's practitioner and credentials, made through the services on its `today`."""
    today = scenario["today"]
    practitioner = PractitionerFactory(profession=scenario["profession"])
    listing_in(scenario["state"], practitioner=practitioner)
    for spec in scenario["credentials"]:
        fields = {k: v for k, v in spec.items() if k != "fate" and v not in ("", None)}
        credential = services.credential_submit(
            practitioner=practitioner,
            issuer="Issuer",
            name="Course" if spec["kind"] != "license" else "",
            license_number="N1" if spec["kind"] == "license" else "",
            today=today,
            **fields,
        )
        decide = {"decided_by": admin, "method": Method.PRIMARY_SOURCE, "today": today}
        if spec["fate"] in ("verified", "revoked"):
            services.credential_verify(credential=credential, **decide)
        if spec["fate"] == "revoked":
            services.credential_revoke(credential=credential, reason="Revoked.", **decide)
        if spec["fate"] == "rejected":
            services.credential_reject(credential=credential, reason="Rejected.", **decide)
    return practitioner


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(scenario=scenarios())
def test_search_matches_a_day_by_day_recomputation(api, freeze_today, scenario):
    admin = AdminFactory(username="property-admin")
    if not StateRule.objects.filter(state="AZ", permitted_professions=["DC", "PT"]).exists():
        set_rule("FL", min_training_hours=50, min_years_licensed=2)
        set_rule("CO", min_training_hours=50)
        set_rule("AZ", min_training_hours=24, permitted_professions=["PT", "DC"])
        set_rule("CA", dry_needling_permitted=False, permitted_professions=[])
        StateRule.objects.filter(state="WA").delete()  # WA: the platform default

    with transaction.atomic():
        cache.clear()  # the anonymous throttle counts every request of every example
        practitioner = build(scenario, admin)
        rows = list(Credential.objects.filter(practitioner=practitioner).values())
        rule = StateRule.objects.filter(state=scenario["state"]).first()
        today, state, profession = scenario["today"], scenario["state"], scenario["profession"]

        def truly_qualified(day):
            return independent_qualified(rows, rule, profession, state, day)

        freeze_today(today)
        row = search(api)[practitioner.slug]
        event(f"qualified on the day: {row['qualified']}")
        later = today + datetime.timedelta(days=scenario["later"][0])
        event(f"qualified later: {qualified_in_search_on(api, practitioner, freeze_today, later)}")
        freeze_today(today)
        assert row["qualified"] == truly_qualified(today)
        assert row["verified_training_hours"] == sum(
            r["hours"]
            for r in rows
            if r["kind"] == "training"
            and r["status"] == Status.VERIFIED
            and r["issued_on"] <= today
            and (r["expires_on"] is None or today <= r["expires_on"])
        )

        # Later days, with no job run in between: the search still says
        # exactly what the credentials say on that day, whether it is a
        # loss (an expiry) or a gain (a years-licensed anniversary).
        for days in scenario["later"]:
            day = today + datetime.timedelta(days=days)
            freeze_today(day)
            assert qualified_in_search(api, practitioner) == truly_qualified(day)
        transaction.set_rollback(True)


@settings(max_examples=300, deadline=None)
@given(
    today=st.dates(min_value=START, max_value=END),
    specs=st.lists(
        st.tuples(
            st.sampled_from(["license", "training"]),
            st.integers(0, 2000),
            st.one_of(st.none(), st.integers(0, 2000)),
            st.integers(0, 60),
            st.sampled_from(["WA", "CO"]),
        ),
        max_size=6,
    ),
    min_years=st.one_of(st.none(), st.integers(1, 3)),
)
def test_qualified_until_agrees_with_each_day(today, specs, min_years):
    """The pure rule's interval is exactly the run of qualified days from today (no later start dates)."""
    credentials = [
        qualification.CredentialFacts(
            kind=kind,
            status="verified",
            issued_on=today - datetime.timedelta(days=ago),
            expires_on=(
                None if length is None else today - datetime.timedelta(days=ago) + datetime.timedelta(days=length)
            ),
            jurisdiction=state if kind == "license" else "",
            profession="PT" if kind == "license" else "",
            hours=hours if kind == "training" else 0,
        )
        for kind, ago, length, hours, state in specs
    ]
    rule = qualification.Rule(permitted=True, min_training_hours=50, min_years_licensed=min_years)
    until = qualification.qualified_until(credentials, rule, "PT", "WA", today)
    horizon = today + datetime.timedelta(days=4100)
    day, run_end = today, None
    while day <= horizon and qualification.is_qualified(credentials, rule, "PT", "WA", day):
        run_end = day
        day += datetime.timedelta(days=1)
    if until is None:
        assert run_end is None
    elif until == qualification.QUALIFIED_INDEFINITELY:
        assert run_end == horizon
    else:
        assert run_end == until


@settings(max_examples=150, deadline=None)
@given(
    today=st.dates(min_value=START, max_value=END),
    specs=st.lists(
        st.tuples(
            st.sampled_from(["license", "training"]),
            st.integers(0, 1500),
            st.one_of(st.none(), st.integers(0, 2000)),
            st.integers(0, 60),
            st.sampled_from(["WA", "CO"]),
        ),
        max_size=6,
    ),
    min_years=st.one_of(st.none(), st.integers(1, 5)),
)
def test_qualified_window_is_the_first_run_of_qualified_days(today, specs, min_years):
    """With every credential issued by today, the stored run is exactly the days they are qualified from today on."""
    credentials = [
        qualification.CredentialFacts(
            kind=kind,
            status="verified",
            issued_on=today - datetime.timedelta(days=ago),
            expires_on=None if length is None else today - datetime.timedelta(days=ago - length),
            jurisdiction=state if kind == "license" else "",
            profession="PT" if kind == "license" else "",
            hours=hours if kind == "training" else 0,
        )
        for kind, ago, length, hours, state in specs
    ]
    rule = qualification.Rule(permitted=True, min_training_hours=50, min_years_licensed=min_years)
    window = qualification.qualified_window(credentials, rule, "PT", "WA", today)
    horizon = today + datetime.timedelta(days=2600)
    qualified_days = [
        day
        for day in (today + datetime.timedelta(days=n) for n in range((horizon - today).days + 1))
        if qualification.is_qualified(credentials, rule, "PT", "WA", day)
    ]
    if window is None:
        assert qualified_days == []
        return
    first, last = window
    assert qualified_days[0] == first
    expected_last = min(last, horizon)
    assert qualified_days == [first + datetime.timedelta(days=n) for n in range((expected_last - first).days + 1)]
