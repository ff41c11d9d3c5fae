"""The set-based requalification (credentials.requalification) says what the Python rule says.

Random directories (practitioners of two professions listed in several states, credentials
of every kind and status with any dates, 29 February included, expiries before the issue
date, none, or on the last day there is; rules with and without minimum hours and years,
states without a rule, exclusion-list matches in every status) are stored with wrong,
empty or right windows and hours, requalified in SQL (by a list of ids, or by the nightly
repair's ranges of ids), and each listing is compared with `qualification.qualified_window`
and each practitioner with `qualification.training_hours`, fed from the same rows as the
services fed them before the rule moved to SQL.
"""

import datetime

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from credentials import qualification, selectors, services
from credentials.models import Credential, Kind, StateRule, Status
from credentials.screening.models import Exclusion, ExclusionMatch, MatchStatus
from directory.models import Listing, Practitioner
from tests.credentials.factories import ZIP_IN
from tests.factories import ClinicFactory, ListingFactory, LocationFactory, PractitionerFactory

pytestmark = pytest.mark.django_db

STATES = ["WA", "FL", "CO", "AZ", "DE"]
PROFESSIONS = ["PT", "DC"]
LEAP_DAYS = [datetime.date(year, 2, 29) for year in (2016, 2020, 2024, 2028)]
LONG_AGO = timezone.make_aware(datetime.datetime(2001, 1, 1))


@st.composite
def rules(draw):
    """A state's rule row, or None (the platform default)."""
    if draw(st.integers(0, 4)) == 0:
        return None
    permitted = draw(st.integers(0, 5)) > 0
    return {
        "dry_needling_permitted": permitted,
        "permitted_professions": sorted(draw(st.sets(st.sampled_from(PROFESSIONS), min_size=int(permitted)))),
        "min_training_hours": draw(st.one_of(st.none(), st.sampled_from([0, 1, 24, 50, 80]))),
        "min_years_licensed": draw(st.sampled_from([None, 0, 1, 1, 2, 3, 5])),
    }


@st.composite
def credentials(draw, today, states, profession):
    """A credential of any kind and status; licenses mostly of the practitioner's profession and states."""
    kind = draw(st.sampled_from([Kind.LICENSE, Kind.LICENSE, Kind.TRAINING, Kind.TRAINING, Kind.CERTIFICATION]))
    if draw(st.integers(0, 3)) == 0:
        issued_on = draw(st.sampled_from(LEAP_DAYS))
    else:
        issued_on = today + datetime.timedelta(days=draw(st.integers(-3000, 200)))
    expiry = draw(st.sampled_from(["none", "after", "after", "after", "before", "last_day"]))
    expires_on = {
        "none": None,
        "after": issued_on + datetime.timedelta(days=draw(st.integers(0, 3000))),
        "before": issued_on - datetime.timedelta(days=draw(st.integers(1, 30))),
        "last_day": qualification.QUALIFIED_INDEFINITELY,
    }[expiry]
    return {
        "kind": kind,
        "status": draw(st.sampled_from([Status.VERIFIED] * 4 + [Status.PENDING, Status.REJECTED, Status.REVOKED])),
        "issued_on": issued_on,
        "expires_on": expires_on,
        "jurisdiction": draw(st.sampled_from(states * 3 + STATES)) if kind == Kind.LICENSE else "",
        "profession": draw(st.sampled_from([profession] * 4 + PROFESSIONS)) if kind == Kind.LICENSE else "",
        "hours": draw(st.sampled_from([None, 0, 8, 24, 30, 50])) if kind == Kind.TRAINING else None,
    }


@st.composite
def practitioners(draw, today):
    profession = draw(st.sampled_from(PROFESSIONS))
    states = draw(st.lists(st.sampled_from(STATES), min_size=1, max_size=3, unique=True))
    return {
        "profession": profession,
        "states": states,
        "credentials": draw(st.lists(credentials(today, states, profession), max_size=8)),
        "match": draw(st.sampled_from([None, None, None, "confirmed", "open", "open_delisted", "dismissed"])),
        # What the rows say before the requalification: right, empty, or wrong.
        "stored": draw(st.lists(st.sampled_from(["right", "right", "empty", "wrong"]), min_size=3, max_size=3)),
        "stored_hours": draw(st.sampled_from(["right", "right", "wrong"])),
    }


@st.composite
def directories(draw):
    today = draw(st.dates(min_value=datetime.date(2023, 1, 1), max_value=datetime.date(2029, 12, 31)))
    return {
        "today": today,
        "default_min_hours": draw(st.sampled_from([0, 20, 50])),
        "rules": {state: draw(rules()) for state in STATES},
        "practitioners": draw(st.lists(practitioners(today), min_size=1, max_size=4)),
        "repair": draw(st.booleans()),
    }


def expected_windows(practitioner_ids, today):
    """Each listing's window and each practitioner's hours, from the Python rule, fed as
    the services fed it: verified credentials, the location's state, the excluded ones."""
    facts = {pk: [] for pk in practitioner_ids}
    for credential in Credential.objects.verified().filter(practitioner_id__in=practitioner_ids):
        facts[credential.practitioner_id].append(credential.as_facts())
    excluded = selectors.excluded_practitioner_ids(practitioner_ids)
    listings = list(
        Listing.objects.filter(practitioner_id__in=practitioner_ids).values(
            "id", "practitioner_id", "practitioner__profession", "location__state"
        )
    )
    rules_by_state = services.rules_for(row["location__state"] for row in listings)
    windows = {
        row["id"]: qualification.qualified_window(
            facts[row["practitioner_id"]],
            rules_by_state[row["location__state"]],
            row["practitioner__profession"],
            row["location__state"],
            today,
            excluded=row["practitioner_id"] in excluded,
        )
        or (None, None)
        for row in listings
    }
    hours = {pk: qualification.training_hours(facts[pk], today) for pk in practitioner_ids}
    return windows, hours


def build(directory):
    """The directory's rows: its rules in place of the states' own, its practitioners."""
    StateRule.objects.filter(state__in=STATES).delete()
    for state, rule in directory["rules"].items():
        if rule is not None:
            StateRule.objects.create(state=state, source="Test board", checked_on=datetime.date(2026, 1, 1), **rule)
    clinic = ClinicFactory()
    locations = {state: LocationFactory(clinic=clinic, postal_code=ZIP_IN[state]) for state in STATES}
    on_list = Exclusion.objects.create(
        row_key="key-requalification", excluded_on=datetime.date(2020, 5, 1), exclusion_type="1128a1"
    )
    specs = {}
    for spec in directory["practitioners"]:
        practitioner = PractitionerFactory(profession=spec["profession"])
        specs[practitioner.pk] = spec
        for state in spec["states"]:
            ListingFactory(practitioner=practitioner, location=locations[state], qualified_until=None)
        Credential.objects.bulk_create(
            Credential(practitioner=practitioner, issuer="Issuer", name="Name", **fields)
            for fields in spec["credentials"]
        )
        if spec["match"] is not None:
            status = MatchStatus.DISMISSED if spec["match"] == "dismissed" else spec["match"].removesuffix("_delisted")
            ExclusionMatch.objects.create(
                practitioner=practitioner,
                exclusion=None if spec["match"] == "open_delisted" else on_list,
                summary="A match.",
                basis="npi",
                status=status,
            )
    return specs


def store(specs, windows, hours, today):
    """Write each listing's and practitioner's stored values as their specs say, all long ago."""
    wrong = (today, today + datetime.timedelta(days=3))
    for listing in Listing.objects.filter(practitioner_id__in=list(specs)).order_by("id"):
        spec = specs[listing.practitioner_id]["stored"][spec_index(listing, specs)]
        first, last = {"right": windows[listing.pk], "empty": (None, None), "wrong": wrong}[spec]
        Listing.objects.filter(pk=listing.pk).update(qualified_from=first, qualified_until=last, updated_at=LONG_AGO)
    for pk, spec in specs.items():
        stored = hours[pk] if spec["stored_hours"] == "right" else hours[pk] + 7
        Practitioner.objects.filter(pk=pk).update(verified_training_hours=stored, updated_at=LONG_AGO)
        # The listings' copies of the hours, as the services keep them.
        Listing.objects.filter(practitioner_id=pk).update(verified_training_hours=stored)


def spec_index(listing, specs):
    return specs[listing.practitioner_id]["states"].index(listing.location.state)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(directory=directories())
def test_requalification_in_sql_agrees_with_the_python_rule(directory):
    today = directory["today"]
    with transaction.atomic(), override_settings(PLATFORM_DEFAULT_MIN_TRAINING_HOURS=directory["default_min_hours"]):
        specs = build(directory)
        ids = sorted(specs)
        windows, hours = expected_windows(ids, today)
        store(specs, windows, hours, today)
        before = {row["id"]: row for row in Listing.objects.filter(practitioner_id__in=ids).values()}
        hours_before = dict(Practitioner.objects.filter(pk__in=ids).values_list("id", "verified_training_hours"))
        hours_wrong = {pk for pk in ids if hours_before[pk] != hours[pk]}
        days_wrong = {
            pk for pk, row in before.items() if (row["qualified_from"], row["qualified_until"]) != windows[pk]
        }
        expected_changed = sum(
            1 for pk, row in before.items() if pk in days_wrong or row["practitioner_id"] in hours_wrong
        )

        if directory["repair"]:
            changed = services.qualification_repair(today=today)
        else:
            changed = services.practitioners_requalify(practitioner_ids=ids, today=today)

        event(f"qualified listings: {sum(1 for window in windows.values() if window[0] is not None)}")
        event(f"changed: {bool(changed)}")
        after = {row["id"]: row for row in Listing.objects.filter(practitioner_id__in=ids).values()}
        assert {pk: (row["qualified_from"], row["qualified_until"]) for pk, row in after.items()} == windows
        assert dict(Practitioner.objects.filter(pk__in=ids).values_list("id", "verified_training_hours")) == hours
        assert {pk: row["verified_training_hours"] for pk, row in after.items()} == {
            pk: hours[row["practitioner_id"]] for pk, row in after.items()
        }
        assert changed == expected_changed
        # Only what changed is marked as updated (the FHIR sync reads `updated_at`).
        assert {pk for pk, row in after.items() if row["updated_at"] != LONG_AGO} == days_wrong
        touched = set(Practitioner.objects.filter(pk__in=ids).exclude(updated_at=LONG_AGO).values_list("id", flat=True))
        assert touched == hours_wrong
        # Run again: nothing left to change.
        assert services.practitioners_requalify(practitioner_ids=ids, today=today) == 0
        transaction.set_rollback(True)


def directory_of(today, practitioners, rules=None, default_min_hours=0):
    """A directory as `directories` draws them, written out by hand."""
    return {
        "today": today,
        "default_min_hours": default_min_hours,
        "rules": {state: (rules or {}).get(state) for state in STATES},
        "practitioners": [
            {"match": None, "stored": ["empty"] * 3, "stored_hours": "right", **spec} for spec in practitioners
        ],
        "repair": False,
    }


def license_in(state, issued_on, expires_on=None, profession="PT"):
    return {
        "kind": Kind.LICENSE,
        "status": Status.VERIFIED,
        "issued_on": issued_on,
        "expires_on": expires_on,
        "jurisdiction": state,
        "profession": profession,
        "hours": None,
    }


def requalified_windows(directory):
    """Build the directory, requalify it in SQL; the windows by state, and the rule's."""
    with override_settings(PLATFORM_DEFAULT_MIN_TRAINING_HOURS=directory["default_min_hours"]):
        ids = sorted(build(directory))
        services.practitioners_requalify(practitioner_ids=ids, today=directory["today"])
        expected, _ = expected_windows(ids, directory["today"])
    stored = {
        row["location__state"]: (row["qualified_from"], row["qualified_until"])
        for row in Listing.objects.filter(practitioner_id__in=ids).values(
            "location__state", "qualified_from", "qualified_until"
        )
    }
    by_state = {
        row["location__state"]: expected[row["id"]]
        for row in Listing.objects.filter(practitioner_id__in=ids).values("id", "location__state")
    }
    return stored, by_state


def test_a_leap_day_license_completes_its_years_on_the_first_of_march():
    rules = {
        "FL": {
            "dry_needling_permitted": True,
            "permitted_professions": ["PT"],
            "min_training_hours": 0,
            "min_years_licensed": 1,
        }
    }
    spec = {"profession": "PT", "states": ["FL"], "credentials": [license_in("FL", datetime.date(2024, 2, 29))]}
    stored, expected = requalified_windows(directory_of(datetime.date(2025, 2, 20), [spec], rules))
    assert stored == expected == {"FL": (datetime.date(2025, 3, 1), qualification.QUALIFIED_INDEFINITELY)}


@pytest.mark.parametrize("expires_on", [None, qualification.QUALIFIED_INDEFINITELY])
def test_a_license_that_never_expires_or_on_the_last_day_qualifies_indefinitely(expires_on):
    spec = {
        "profession": "PT",
        "states": ["WA"],
        "credentials": [license_in("WA", datetime.date(2020, 5, 1), expires_on)],
    }
    stored, expected = requalified_windows(directory_of(datetime.date(2026, 3, 1), [spec]))
    assert stored == expected == {"WA": (datetime.date(2026, 3, 1), qualification.QUALIFIED_INDEFINITELY)}


def test_renewals_that_meet_end_to_end_make_one_run_and_a_gap_ends_it():
    today = datetime.date(2026, 3, 1)
    licenses = [
        license_in("WA", datetime.date(2020, 1, 1), datetime.date(2026, 6, 30)),
        license_in("WA", datetime.date(2026, 7, 1), datetime.date(2027, 6, 30)),
        license_in("WA", datetime.date(2027, 7, 2), None),  # a day's gap: the run ends before it
    ]
    spec = {"profession": "PT", "states": ["WA"], "credentials": licenses}
    stored, expected = requalified_windows(directory_of(today, [spec]))
    assert stored == expected == {"WA": (today, datetime.date(2027, 6, 30))}


def test_the_repair_walks_the_table_in_ranges_of_ids(monkeypatch):
    """Ranges of two ids, gaps between ids included: everyone is requalified once."""
    monkeypatch.setattr(services, "REQUALIFY_CHUNK", 2)
    today = datetime.date(2026, 3, 1)
    specs = [
        {
            "profession": "PT",
            "states": ["WA"],
            "credentials": [license_in("WA", datetime.date(2019, 1, 1), today + datetime.timedelta(days=n))],
        }
        for n in range(5)
    ]
    ids = sorted(build(directory_of(today, specs)))
    Practitioner.objects.filter(pk=ids[2]).delete()  # a gap in the ids
    progress = []
    with override_settings(PLATFORM_DEFAULT_MIN_TRAINING_HOURS=0):
        assert services.qualification_repair(today=today, progress=progress.append) == 4
    assert sum(progress) == 4
    assert sorted(Listing.objects.values_list("qualified_until", flat=True)) == [
        today + datetime.timedelta(days=n) for n in (0, 1, 3, 4)
    ]


def test_the_repair_puts_right_a_listings_stale_copy_of_the_hours_without_marking_it_updated():
    """The search filters min_training_hours on the listing's copy of its practitioner's hours."""
    today = datetime.date(2026, 3, 1)
    training = {
        "kind": Kind.TRAINING,
        "status": Status.VERIFIED,
        "issued_on": datetime.date(2025, 1, 1),
        "expires_on": None,
        "jurisdiction": "",
        "profession": "",
        "hours": 60,
    }
    spec = {
        "profession": "PT",
        "states": ["WA"],
        "credentials": [license_in("WA", datetime.date(2019, 1, 1)), training],
    }
    ids = sorted(build(directory_of(today, [spec])))
    with override_settings(PLATFORM_DEFAULT_MIN_TRAINING_HOURS=0):
        services.practitioners_requalify(practitioner_ids=ids, today=today)
        listing = Listing.objects.get(practitioner_id=ids[0])
        assert listing.verified_training_hours == 60
        Listing.objects.filter(pk=listing.pk).update(verified_training_hours=5, updated_at=LONG_AGO)

        assert services.qualification_repair(today=today) == 1

    listing.refresh_from_db()
    assert listing.verified_training_hours == 60
    assert listing.updated_at == LONG_AGO
    assert listing.qualified_from == today
