"""Incremental sync with `_lastUpdated`: a change to a practitioner, a credential decision, a
location, or a qualification that lapses with the date makes exactly the affected resources
appear in the next sync, and nothing else. A PractitionerRole shows its practitioner, its
location and its qualification, so it changes with any of them."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from credentials import services as credential_services
from credentials.expiry import scan
from credentials.models import Credential
from directory import services as directory_services
from directory.models import Listing, Location, Practitioner
from fhirapi import resources
from tests.credentials.factories import AdminFactory, CredentialFactory, listing_in
from tests.factories import PractitionerFactory

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


def test_a_practitioner_whose_qualification_lapses_overnight_shows_as_changed(demo, fhir, today, freeze_today):
    listing = Listing.objects.qualified_on(today).order_by("qualified_until", "pk").first()
    last_day = listing.qualified_until
    scan.credentials_scan(today=last_day)  # the scan of the last qualified day has run
    freeze_today(last_day + datetime.timedelta(days=1))
    since = timezone.now()
    next_day = last_day + datetime.timedelta(days=1)
    scan.credentials_scan(today=next_day)

    lapsed = Listing.objects.filter(qualified_until=last_day) | Listing.objects.filter(qualified_from=next_day)
    expired = Credential.objects.verified().filter(expires_on=last_day)
    practitioners = set(lapsed.values_list("practitioner_id", flat=True)) | set(
        expired.values_list("practitioner_id", flat=True)
    )
    # The role stays listed but is no longer active, with what made it so.
    roles = set(lapsed.values_list("pk", flat=True)) | set(
        Listing.objects.filter(practitioner_id__in=practitioners).values_list("pk", flat=True)
    )
    got = synced(fhir, since)
    assert listing.practitioner_id in got["Practitioner"] and listing.pk in got["PractitionerRole"]
    assert got == nothing_but(Practitioner=practitioners, PractitionerRole=roles)
    status, body, _ = fhir(f"/fhir/PractitionerRole/{listing.pk}")
    assert body["active"] is False


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
