"""Incremental sync with `_lastUpdated`: a change to a practitioner, a credential decision, a
location, or a qualification that begins or lapses with the date makes exactly the affected
resources appear in the next sync, and nothing else. A PractitionerRole shows its
practitioner, its location and its qualification, so it changes with any of them.

What changes with the date alone (a listing's qualified days beginning or ending, a verified
credential expiring) does so at the start of that day in the directory's time zone, with no
scan having rewritten anything: the sync derives it from the dates."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from credentials import services as credential_services
from credentials.expiry import scan
from credentials.expiry.models import ScanRun
from credentials.models import Credential, Status
from directory import services as directory_services
from directory.models import Clinic, Listing, Location, Practitioner
from fhirapi import changes, resources
from tests.credentials.factories import AdminFactory, CredentialFactory, listing_in
from tests.factories import ListingFactory, PractitionerFactory
from tests.fhirapi.test_export import run_export

pytestmark = pytest.mark.django_db

TYPES = ("Practitioner", "PractitionerRole", "Location", "Organization", "VerificationResult")


def synced(fhir, since: datetime.datetime) -> dict[str, set[int]]:
    """What a client syncing since `since` receives, per type (every page)."""
    out = {}
    for kind in TYPES:
        ids, url = set(), f"/fhir/{kind}?_lastUpdated=gt{resources.instant(since)}&_count=100"
        while url:
            status, body, _ = fhir(url.replace("+", "%2B"))
            assert status == 200, body
            ids.update(int(entry["resource"]["id"]) for entry in body.get("entry", []))
            url = next((link["url"] for link in body["link"] if link["relation"] == "next"), None)
        out[kind] = ids
    return out


def nothing_but(**changed):
    return {kind: set(changed.get(kind, ())) for kind in TYPES}


def windows(practitioner_ids=None):
    rows = (
        Listing.objects.all()
        if practitioner_ids is None
        else Listing.objects.filter(practitioner_id__in=practitioner_ids)
    )
    return dict((pk, (first, last)) for pk, first, last in rows.values_list("pk", "qualified_from", "qualified_until"))


def test_nothing_changed_syncs_nothing_and_everything_is_after_the_epoch(demo, fhir):
    assert synced(fhir, timezone.now()) == nothing_but()
    status, body, _ = fhir("/fhir/Location?_lastUpdated=ge2000-01-01&_lastUpdated=lt2100-01-01&_count=100")
    assert len(body["entry"]) == Location.objects.count()
    status, body, _ = fhir("/fhir/Location?_lastUpdated=le2000-01-01")
    assert "entry" not in body


def test_a_practitioner_change_syncs_the_practitioner_and_their_roles(demo, fhir):
    practitioner = Practitioner.objects.order_by("pk")[3]
    since = timezone.now()
    directory_services.practitioner_update(practitioner=practitioner, changes={"name": "Renamed Person"})
    roles = set(Listing.objects.filter(practitioner=practitioner).values_list("pk", flat=True))
    assert synced(fhir, since) == nothing_but(Practitioner={practitioner.pk}, PractitionerRole=roles)

    since = timezone.now()
    other = practitioner.specialties.model.objects.exclude(practitioners=practitioner).first()
    directory_services.practitioner_update(practitioner=practitioner, specialties=[other])
    assert synced(fhir, since) == nothing_but(Practitioner={practitioner.pk}, PractitionerRole=roles)


def test_a_location_change_syncs_the_location_and_the_roles_there(demo, fhir):
    location = Location.objects.order_by("pk")[2]
    since = timezone.now()
    directory_services.location_update(
        location=location, changes={"accepting_new_patients": not location.accepting_new_patients}
    )
    roles = set(Listing.objects.filter(location=location).values_list("pk", flat=True))
    assert roles
    assert synced(fhir, since) == nothing_but(Location={location.pk}, PractitionerRole=roles)


def test_a_credential_decision_syncs_the_credential_the_practitioner_and_roles_whose_qualification_changed(
    demo, fhir, today
):
    admin = AdminFactory()
    # A physical therapist in Washington, qualified nowhere yet, given the license and training it takes.
    listing = listing_in("WA", practitioner=PractitionerFactory(profession="PT"))
    practitioner = listing.practitioner
    training = CredentialFactory(practitioner=practitioner, training=True, hours=300)
    credential_services.credential_verify(credential=training, decided_by=admin, method="document_review", today=today)
    credential = CredentialFactory(
        practitioner=practitioner, jurisdiction=listing.state, issuer="State board", issued_on=datetime.date(2015, 1, 1)
    )
    before = windows([practitioner.pk])
    since = timezone.now()
    credential_services.credential_verify(credential=credential, decided_by=admin, method="primary_source", today=today)
    after = windows([practitioner.pk])
    # A role's lastUpdated is its listing's, location's or practitioner's, whichever is
    # latest: the practitioner changed (their public credentials), so all their roles did.
    roles = set(after)
    assert before[listing.pk] == (None, None) and after[listing.pk][0] <= today <= after[listing.pk][1]
    assert synced(fhir, since) == nothing_but(
        Practitioner={practitioner.pk}, VerificationResult={credential.pk}, PractitionerRole=roles
    )

    # Revoking it again: the practitioner changes, and the credential is no longer public.
    since = timezone.now()
    credential_services.credential_revoke(
        credential=credential, decided_by=admin, method="primary_source", reason="Forged", today=today
    )
    assert synced(fhir, since) == nothing_but(Practitioner={practitioner.pk}, PractitionerRole=roles)
    assert fhir(f"/fhir/VerificationResult/{credential.pk}")[0] == 404


def test_a_qualification_that_lapses_overnight_shows_as_changed_and_the_scan_rewrites_nothing_for_it(
    demo, fhir, today, freeze_today
):
    listing = Listing.objects.qualified_on(today).order_by("qualified_until", "pk").first()
    last_day = listing.qualified_until
    next_day = last_day + datetime.timedelta(days=1)
    for model in (Clinic, Location, Practitioner, Listing, Credential):
        model.objects.update(updated_at=LONG_AGO)
    scan.credentials_scan(today=last_day)  # the scan of the last qualified day has run
    freeze_today(next_day)
    scan.credentials_scan(today=next_day)
    for model in (Practitioner, Listing, Credential):
        assert not model.objects.exclude(updated_at=LONG_AGO).exists()

    lapsed = Listing.objects.filter(qualified_until=last_day) | Listing.objects.filter(qualified_from=next_day)
    expired = Credential.objects.verified().filter(expires_on=last_day)
    practitioners = set(lapsed.values_list("practitioner_id", flat=True)) | set(
        expired.values_list("practitioner_id", flat=True)
    )
    # The role stays listed but is no longer active, with what made it so.
    got = synced(fhir, changes.day_start(next_day) - datetime.timedelta(seconds=1))
    assert listing.practitioner_id in got["Practitioner"] and listing.pk in got["PractitionerRole"]
    assert got == nothing_but(Practitioner=practitioners, PractitionerRole=roles_of(*practitioners))
    status, body, _ = fhir(f"/fhir/PractitionerRole/{listing.pk}")
    assert body["active"] is False
    assert body["meta"]["lastUpdated"] == resources.instant(changes.day_start(next_day))


def test_a_sync_is_planned_for_its_own_timestamp_every_time(fhir):
    """Prepared statements may fall back to a generic plan after five runs, which reads every
    row of a big table when few changed; a sync asks PostgreSQL for a custom plan each time."""
    PractitionerFactory()
    with CaptureQueriesContext(connection) as sync:
        assert fhir("/fhir/Practitioner?_lastUpdated=gt2020-01-01")[0] == 200
    with CaptureQueriesContext(connection) as plain:
        assert fhir("/fhir/Practitioner?_count=5")[0] == 200
    assert any("plan_cache_mode = force_custom_plan" in query["sql"] for query in sync.captured_queries)
    assert not any("plan_cache_mode" in query["sql"] for query in plain.captured_queries)


# --- what changes with the date alone ---------------------------------------------------
# The frozen day is 2026-03-02 (America/New_York, UTC-5 until March 8): a day begins at
# 05:00 UTC. Every row is written long before, so only the dates make anything change.

LONG_AGO = datetime.datetime(2019, 6, 1, tzinfo=datetime.UTC)


@pytest.fixture
def dated(db, today):
    """Practitioners whose public record changes with the date alone, around 2026-03-02:
    one listing lapsed (last qualified 2026-02-28), one began (qualified from 2026-03-02),
    one verified license expired 2026-02-28; tonight one listing lapses and one license
    expires (future); one listing lapsed long ago, and one pending license expired (not
    public, nothing to show). No scan runs."""

    def listed(*windows):
        practitioner = PractitionerFactory()
        for first, last in windows:
            listing = ListingFactory(practitioner=practitioner)
            Listing.objects.filter(pk=listing.pk).update(qualified_from=first, qualified_until=last)
        return practitioner

    def license_of(practitioner, expires_on, status=Status.VERIFIED):
        CredentialFactory(practitioner=practitioner, status=status, expires_on=expires_on)

    day = datetime.date
    always = (day(2024, 1, 1), day(2099, 12, 31))
    people = {
        "lapsed": listed((day(2024, 1, 1), day(2026, 2, 28)), always),
        "began": listed((day(2026, 3, 2), day(2099, 12, 31))),
        "expired": listed(always, always),
        "lapsing_tonight": listed((day(2024, 1, 1), day(2026, 3, 2))),
        "expiring_tonight": listed(always),
        "lapsed_long_ago": listed((day(2024, 1, 1), day(2026, 2, 20))),
        "pending_expired": listed(always),
    }
    license_of(people["expired"], day(2026, 2, 28))
    license_of(people["expiring_tonight"], day(2026, 3, 2))
    license_of(people["pending_expired"], day(2026, 2, 28), status=Status.PENDING)
    for model in (Clinic, Location, Practitioner, Listing, Credential):
        model.objects.update(updated_at=LONG_AGO)
    assert not ScanRun.objects.exists()
    return {name: practitioner.pk for name, practitioner in people.items()}


def roles_of(*practitioner_ids):
    return set(Listing.objects.filter(practitioner_id__in=practitioner_ids).values_list("pk", flat=True))


def seen(dated, *names):
    ids = {dated[name] for name in names}
    return nothing_but(Practitioner=ids, PractitionerRole=roles_of(*ids))


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        ("gt2026-02-25T12:00:00Z", ("lapsed", "began", "expired")),
        # A date is a whole UTC day: after 2026-02-28 is from 2026-03-01T00:00Z on.
        ("gt2026-02-28", ("lapsed", "began", "expired")),
        ("ge2026-03-01T05:00:00Z", ("lapsed", "began", "expired")),
        # 2026-03-01 began at 05:00 UTC in New York: the lapse and the expiry are at that instant.
        ("gt2026-03-01T05:00:00Z", ("began",)),
        ("gt2026-03-01T00:00:00-05:00", ("began",)),
        ("gt2026-03-02T04:59:59Z", ("began",)),
        ("gt2026-03-02T05:00:00Z", ()),
        # Tonight's lapse and expiry are tomorrow's: not before they happen.
        ("gt2026-03-02", ()),
    ],
)
def test_a_sync_sees_what_changed_with_the_date_alone_without_a_scan(dated, fhir, since, expected):
    got = {}
    for kind in TYPES:
        status, body, _ = fhir(f"/fhir/{kind}?_lastUpdated={since.replace('+', '%2B')}&_count=100")
        assert status == 200, body
        got[kind] = {int(entry["resource"]["id"]) for entry in body.get("entry", [])}
    assert got == seen(dated, *expected)
    assert not ScanRun.objects.exists()


def test_meta_last_updated_is_the_start_of_the_day_the_change_took_effect(dated, fhir, freeze_today):
    def last_updated(kind, pk):
        status, body, _ = fhir(f"/fhir/{kind}/{pk}")
        assert status == 200, body
        return body["meta"]["lastUpdated"]

    def role(name):
        return Listing.objects.filter(practitioner_id=dated[name]).order_by("pk").first().pk

    assert last_updated("Practitioner", dated["lapsed"]) == "2026-03-01T05:00:00.000Z"
    assert last_updated("Practitioner", dated["expired"]) == "2026-03-01T05:00:00.000Z"
    assert last_updated("Practitioner", dated["began"]) == "2026-03-02T05:00:00.000Z"
    assert last_updated("PractitionerRole", role("began")) == "2026-03-02T05:00:00.000Z"
    # A role changes with its practitioner: with their other listing's lapse, or their license.
    for pk in roles_of(dated["lapsed"], dated["expired"]):
        assert last_updated("PractitionerRole", pk) == "2026-03-01T05:00:00.000Z"
    # The latest change up to today: tonight's is not yet; the window's start in 2024 is.
    assert last_updated("Practitioner", dated["lapsing_tonight"]) == "2024-01-01T05:00:00.000Z"
    assert last_updated("Practitioner", dated["lapsed_long_ago"]) == "2026-02-21T05:00:00.000Z"
    # The one stored timestamp, when nothing dated came after it.
    Practitioner.objects.filter(pk=dated["lapsed"]).update(
        updated_at=datetime.datetime(2026, 3, 1, 18, 30, tzinfo=datetime.UTC)
    )
    assert last_updated("Practitioner", dated["lapsed"]) == "2026-03-01T18:30:00.000Z"

    # The next day, tonight's changes are in, from the start of it; the search agrees.
    freeze_today(datetime.date(2026, 3, 3))
    for name in ("lapsing_tonight", "expiring_tonight"):
        assert last_updated("Practitioner", dated[name]) == "2026-03-03T05:00:00.000Z"
    assert synced(fhir, datetime.datetime(2026, 3, 2, 12, tzinfo=datetime.UTC)) == seen(
        dated, "lapsing_tonight", "expiring_tonight"
    )


@pytest.mark.parametrize(
    ("bound", "expected"),
    [
        ("lt2026-03-01T05:00:00Z", ("lapsing_tonight", "expiring_tonight", "lapsed_long_ago", "pending_expired")),
        (
            "le2026-03-01T05:00:00Z",
            ("lapsed", "expired", "lapsing_tonight", "expiring_tonight", "lapsed_long_ago", "pending_expired"),
        ),
        ("lt2026-02-21", ("lapsing_tonight", "expiring_tonight", "pending_expired")),
    ],
)
def test_an_upper_bound_leaves_out_what_changed_with_the_date_at_or_after_it(dated, fhir, bound, expected):
    status, body, _ = fhir(f"/fhir/Practitioner?_lastUpdated={bound}&_count=100")
    assert status == 200, body
    assert {int(entry["resource"]["id"]) for entry in body.get("entry", [])} == {dated[name] for name in expected}


def test_an_export_since_a_moment_holds_what_changed_with_the_date_as_a_sync_does(dated, fhir, client):
    manifest, files = run_export(fhir, client, "?_since=2026-02-25T12:00:00Z&_type=Practitioner,PractitionerRole")
    got = {kind: {int(row["id"]) for row in rows} for kind, rows in files.items()}
    expected = seen(dated, "lapsed", "began", "expired")
    assert got == {kind: expected[kind] for kind in ("Practitioner", "PractitionerRole")}
    metas = {int(row["id"]): row["meta"]["lastUpdated"] for row in files["Practitioner"]}
    assert metas == {
        dated["lapsed"]: "2026-03-01T05:00:00.000Z",
        dated["expired"]: "2026-03-01T05:00:00.000Z",
        dated["began"]: "2026-03-02T05:00:00.000Z",
    }
    manifest, files = run_export(fhir, client, "?_since=2026-03-02T05:00:00Z&_type=Practitioner,PractitionerRole")
    assert all(item["count"] == 0 for item in manifest["output"])
