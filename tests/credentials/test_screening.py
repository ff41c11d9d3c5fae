"""Exclusion screening: who matches (by NPI, by name and state), who does not, and that
screening again changes nothing; the monthly schedule and its task; the admin pages."""

import datetime
import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from credentials import services
from credentials.screening.models import (
    BoardLookup,
    Exclusion,
    ExclusionDecision,
    ExclusionMatch,
    MatchBasis,
    MatchStatus,
    NppesRecord,
    TrainingProvider,
)
from credentials.screening.screen import exclusions_screen
from credentials.tasks import screen_exclusions
from directory.validators import npi_check_digit
from tests.credentials.factories import TODAY, CredentialFactory, listing_in
from tests.factories import PractitionerFactory

pytestmark = pytest.mark.django_db


def npi(n: int) -> str:
    first_nine = str(100_000_000 + n)
    return first_nine + str(npi_check_digit(first_nine))


def exclusion(**fields):
    data = {
        "row_key": f"key-{Exclusion.objects.count()}-{fields.get('last_name', '')}",
        "excluded_on": datetime.date(2020, 5, 1),
        "exclusion_type": "1128a1",
        **fields,
    }
    return Exclusion.objects.create(**data)


def pairs():
    return sorted(
        (m.practitioner.name, m.exclusion_id and m.exclusion.last_name, m.basis, m.status)
        for m in ExclusionMatch.objects.select_related("practitioner", "exclusion")
    )


@pytest.fixture
def listed_in_wa(clinic):
    def make(name, **kwargs):
        practitioner = PractitionerFactory(name=name, **kwargs)
        listing_in("WA", practitioner=practitioner, location_kwargs={"clinic": clinic})
        return practitioner

    return make


def test_match_by_npi_whatever_the_name_and_state(listed_in_wa, today):
    listed_in_wa("Dana Whitfield", npi=npi(1))
    exclusion(last_name="SOMEONE", first_name="ELSE", npi=npi(1), state="FL")

    result = exclusions_screen(today=today)

    assert result.created == 1 and result.by_npi == 1
    assert pairs() == [("Dana Whitfield", "SOMEONE", MatchBasis.NPI, MatchStatus.OPEN)]
    match = ExclusionMatch.objects.get()
    assert match.summary == f"SOMEONE, ELSE; excluded 2020-05-01 under 1128a1; NPI {npi(1)}; FL"


def test_different_npis_do_not_match_even_with_the_same_name(listed_in_wa, today):
    listed_in_wa("Dana Whitfield", npi=npi(1))
    exclusion(last_name="WHITFIELD", first_name="DANA", npi=npi(2), state="WA")

    assert exclusions_screen(today=today).created == 0
    assert pairs() == []


def test_match_by_name_in_a_listed_state_ignoring_case_and_accents(listed_in_wa, today):
    listed_in_wa("José María Núñez")
    exclusion(last_name="NUNEZ", first_name="JOSE", middle_name="M", state="WA", general="PHYSICAL THERAPIST")

    result = exclusions_screen(today=today)

    assert (result.created, result.by_name_state) == (1, 1)
    assert pairs() == [("José María Núñez", "NUNEZ", MatchBasis.NAME_STATE, MatchStatus.OPEN)]
    assert (
        ExclusionMatch.objects.get().summary
        == "NUNEZ, JOSE M; PHYSICAL THERAPIST; excluded 2020-05-01 under 1128a1; WA"
    )


def test_match_by_name_in_a_state_where_they_hold_a_license(listed_in_wa, today):
    practitioner = listed_in_wa("Dana Whitfield")
    CredentialFactory(practitioner=practitioner, jurisdiction="OR")
    exclusion(last_name="WHITFIELD", first_name="DANA", state="OR")

    assert exclusions_screen(today=today).created == 1
    assert pairs() == [("Dana Whitfield", "WHITFIELD", MatchBasis.NAME_STATE, MatchStatus.OPEN)]


def test_same_name_in_another_state_does_not_match(listed_in_wa, today):
    listed_in_wa("Dana Whitfield")
    exclusion(last_name="WHITFIELD", first_name="DANA", state="FL")

    assert exclusions_screen(today=today).created == 0
    assert pairs() == []


def test_an_exclusion_with_an_npi_is_not_matched_by_name(listed_in_wa, today):
    listed_in_wa("Dana Whitfield")  # no NPI in the directory
    exclusion(last_name="WHITFIELD", first_name="DANA", state="WA", npi=npi(5))

    assert exclusions_screen(today=today).created == 0


def test_reinstated_exclusions_do_not_match(listed_in_wa, today):
    listed_in_wa("Dana Whitfield", npi=npi(1))
    listed_in_wa("Ira Lindqvist")
    exclusion(last_name="WHITFIELD", npi=npi(1), reinstated_on=today)
    exclusion(last_name="LINDQVIST", first_name="IRA", state="WA", reinstated_on=today - datetime.timedelta(days=30))
    exclusion(last_name="LINDQVIST", first_name="IRA", state="WA", reinstated_on=today + datetime.timedelta(days=1))

    result = exclusions_screen(today=today)

    assert result.created == 1  # only the one reinstated tomorrow still stands today
    assert ExclusionMatch.objects.get().exclusion.reinstated_on == today + datetime.timedelta(days=1)


def test_screening_again_changes_nothing(listed_in_wa, today):
    listed_in_wa("Dana Whitfield", npi=npi(1))
    exclusion(last_name="WHITFIELD", npi=npi(1))
    first = exclusions_screen(today=today)
    before = list(ExclusionMatch.objects.values("id", "found_at", "status", "summary"))

    again = exclusions_screen(today=today)

    assert (first.created, again.created, again.candidates) == (1, 0, 1)
    assert list(ExclusionMatch.objects.values("id", "found_at", "status", "summary")) == before


def test_a_dismissed_match_is_never_reopened(listed_in_wa, today, admin_user):
    practitioner = listed_in_wa("Dana Whitfield", npi=npi(1))
    row = exclusion(last_name="WHITFIELD", first_name="DANA", npi=npi(1), state="WA")
    exclusions_screen(today=today)
    match = ExclusionMatch.objects.get()
    ExclusionDecision.objects.create(
        match=match, status_after=MatchStatus.DISMISSED, reason="Other person", decided_by=admin_user
    )
    ExclusionMatch.objects.filter(pk=match.pk).update(status=MatchStatus.DISMISSED)

    assert exclusions_screen(today=today).created == 0
    # The same exclusion re-listed under a new key (an address changed): still dismissed.
    row.delete()
    exclusion(last_name="WHITFIELD", first_name="DANA", npi=npi(1), state="WA", address="1 NEW ST")
    assert exclusions_screen(today=today).created == 0
    assert list(ExclusionMatch.objects.filter(practitioner=practitioner).values_list("status", flat=True)) == [
        MatchStatus.DISMISSED
    ]


def test_screening_some_practitioners_only(listed_in_wa, today):
    dana = listed_in_wa("Dana Whitfield", npi=npi(1))
    listed_in_wa("Ira Lindqvist", npi=npi(2))
    exclusion(last_name="WHITFIELD", npi=npi(1))
    exclusion(last_name="LINDQVIST", npi=npi(2))

    result = exclusions_screen(today=today, practitioner_ids=[dana.pk])

    assert result.created == 1 and result.practitioner_ids == [dana.pk]
    assert pairs() == [("Dana Whitfield", "WHITFIELD", MatchBasis.NPI, MatchStatus.OPEN)]


def test_new_matches_requalify_their_practitioners(listed_in_wa, today, monkeypatch):
    dana = listed_in_wa("Dana Whitfield", npi=npi(1))
    listed_in_wa("Ira Lindqvist", npi=npi(2))
    exclusion(last_name="WHITFIELD", npi=npi(1))
    calls = []
    real = services.practitioners_requalify

    def spy(*, practitioner_ids, today=None):
        calls.append((sorted(practitioner_ids), today))
        return real(practitioner_ids=practitioner_ids, today=today)

    monkeypatch.setattr(services, "practitioners_requalify", spy)

    exclusions_screen(today=today)
    exclusions_screen(today=today)  # nothing new: nobody requalified

    assert calls == [([dana.pk], today)]


def test_command_screens_and_says_what_it_found(listed_in_wa, today):
    listed_in_wa("Dana Whitfield", npi=npi(1))
    exclusion(last_name="WHITFIELD", npi=npi(1))
    out = io.StringIO()

    call_command("screen_exclusions", stdout=out, stderr=io.StringIO())

    assert out.getvalue().strip() == (
        "Screening as of 2026-03-01: 1 new match(es) (1 by NPI, 0 by name and state), 0 listing(s) requalified."
    )
    assert ExclusionMatch.objects.count() == 1


def test_import_leie_screens_the_directory(listed_in_wa, today):
    from tests.credentials.test_screening_imports import LEIE_SAMPLE

    listed_in_wa("Lauren Taylor", npi="1237723246")  # listed on the sample by NPI
    bailey = PractitionerFactory(name="Justin Bailey")  # listed on the sample by name, in TN
    CredentialFactory(practitioner=bailey, jurisdiction="TN")
    out = io.StringIO()

    call_command("import_leie", str(LEIE_SAMPLE), stdout=out, stderr=io.StringIO())

    assert "1 new match(es)" not in out.getvalue()
    assert "2 new match(es) (1 by NPI, 1 by name and state)" in out.getvalue()
    assert pairs() == [
        ("Justin Bailey", "BAILEY", MatchBasis.NAME_STATE, MatchStatus.OPEN),
        ("Lauren Taylor", "TAYLOR", MatchBasis.NPI, MatchStatus.OPEN),
    ]


# --- the schedule and the task ----------------------------------------------


def test_monthly_beat_entry():
    entry = settings.CELERY_BEAT_SCHEDULE["screen-exclusions"]
    assert entry["task"] == "credentials.tasks.screen_exclusions"
    schedule = entry["schedule"]
    assert schedule.day_of_month == {1}
    assert schedule.hour == {settings.EXCLUSION_SCREEN_HOUR}
    assert schedule.minute == {settings.EXCLUSION_SCREEN_MINUTE}


def test_task_runs_screening(listed_in_wa):
    listed_in_wa("Dana Whitfield", npi=npi(1))
    exclusion(last_name="WHITFIELD", npi=npi(1), reinstated_on=datetime.date(2026, 6, 1))

    assert screen_exclusions.name == "credentials.tasks.screen_exclusions"
    later = screen_exclusions.delay("2026-07-01").get()
    assert later == {"day": "2026-07-01", "created": 0, "by_npi": 0, "by_name_state": 0, "listings_changed": 0}
    result = screen_exclusions.delay(TODAY.isoformat()).get()
    assert result["created"] == 1 and result["by_npi"] == 1
    assert ExclusionMatch.objects.count() == 1


# --- the admin ----------------------------------------------------------------


def test_admin_pages_for_staff(admin_client, listed_in_wa, today):
    NppesRecord.objects.create(npi=npi(1), entity_type="1", last_name="WHITFIELD", first_name="DANA")
    listed_in_wa("Dana Whitfield", npi=npi(1))
    exclusion(last_name="WHITFIELD", npi=npi(1))
    exclusions_screen(today=today)
    TrainingProvider.objects.create(name="Northwest Needling Institute", certifies="Dry needling", source="Admins")

    for model in ("nppesrecord", "exclusion", "exclusionmatch", "trainingprovider", "boardlookup"):
        response = admin_client.get(reverse(f"admin:credentials_{model}_changelist"))
        assert response.status_code == 200, model
    found = admin_client.get(reverse("admin:credentials_nppesrecord_changelist"), {"q": npi(1)})
    assert b"WHITFIELD" in found.content
    # The registries and matches are read-only; providers and board lookups are kept here.
    assert admin_client.get(reverse("admin:credentials_nppesrecord_add")).status_code == 403
    assert admin_client.get(reverse("admin:credentials_exclusion_add")).status_code == 403
    assert admin_client.get(reverse("admin:credentials_exclusionmatch_add")).status_code == 403
    match = ExclusionMatch.objects.get()
    page = admin_client.get(reverse("admin:credentials_exclusionmatch_change", args=[match.pk]))
    assert page.status_code == 200 and b"Save" not in page.content
    response = admin_client.post(
        reverse("admin:credentials_trainingprovider_add"),
        {
            "name": "Summit Seminars",
            "aliases": "[]",
            "certifies": "Dry needling courses",
            "source": "Admins",
            "source_url": "",
            "added_on": "2026-03-01",
        },
    )
    assert response.status_code == 302
    assert TrainingProvider.objects.filter(name="Summit Seminars").exists()
    lookup = BoardLookup.objects.order_by("state").first()
    response = admin_client.post(
        reverse("admin:credentials_boardlookup_change", args=[lookup.pk]),
        {
            "state": lookup.state,
            "board": lookup.board,
            "url": lookup.url,
            "source": lookup.source,
            "checked_on": "2026-03-01",
        },
    )
    assert response.status_code == 302
    lookup.refresh_from_db()
    assert lookup.checked_on == datetime.date(2026, 3, 1)


def test_admin_pages_refuse_non_staff(client, django_user_model):
    user = django_user_model.objects.create_user(username="clinic", password="pw12345!x")
    client.force_login(user)
    for model in ("nppesrecord", "exclusion", "exclusionmatch", "trainingprovider", "boardlookup"):
        response = client.get(reverse(f"admin:credentials_{model}_changelist"))
        assert response.status_code == 302, model  # to the admin login
