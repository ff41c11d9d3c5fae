"""The clinic workspace's forms and lists as an owner or staff member uses them: what is
saved, what is shown, and each refusal next to its field with nothing half-saved."""

import datetime

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from credentials.models import Credential, Exclusion, ExclusionMatch, MatchBasis, MatchStatus, Method, Status
from credentials.screening.services import exclusion_match_decide
from credentials.services import credential_reject, practitioner_requalify
from directory.models import ClinicMembership, Location, Practitioner
from portal.models import RosterImport
from tests.credentials.factories import AdminFactory, CredentialFactory, verified
from tests.factories import PractitionerFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% a license\n"


def body(response):
    return response.content.decode()


@pytest.fixture
def as_owner(people):
    return people["owner"]


@pytest.fixture
def as_staff(people):
    return people["staff"]


# --- dashboard ----------------------------------------------------------------


def test_dashboard_counts_each_link_to_its_list(as_staff, clinic, therapist, license_, consultation, today):
    expiring = CredentialFactory(
        practitioner=therapist, training=True, hours=10, expires_on=today + datetime.timedelta(days=20)
    )
    verified(expiring)
    page = body(as_staff.get(reverse("clinic:dashboard", args=[clinic.pk])))
    assert 'id="count-therapists">1<' in page
    assert 'id="count-qualified">0<' in page
    assert 'id="count-not-qualified">1<' in page
    assert "1 need a verified license for their state; 1 need more verified training hours" in page
    assert 'id="count-pending">1<' in page
    assert 'id="count-30">1<' in page and 'id="count-60">1<' in page and 'id="count-expired">0<' in page
    assert 'id="count-requests">1<' in page
    for link in (
        "?filter=not-qualified",
        "?status=pending",
        "#within-30",
        reverse("clinic:requests", args=[clinic.pk]),
    ):
        assert link in page


# --- therapists -----------------------------------------------------------------


def therapist_data(location, **extra):
    return {"name": "Robin Ames", "profession": "PT", "locations": [location.pk], "years_dry_needling": "4", **extra}


def test_add_a_therapist_at_a_location(as_staff, clinic, location, specialty, today):
    response = as_staff.post(
        reverse("clinic:therapist-add", args=[clinic.pk]),
        therapist_data(location, specialties=[specialty("neck-pain").pk], typical_sessions="6"),
    )
    practitioner = Practitioner.objects.get(name="Robin Ames")
    assert response["Location"] == reverse("clinic:therapist", args=[clinic.pk, practitioner.pk])
    assert list(practitioner.locations.all()) == [location]
    assert practitioner.years_dry_needling == 4 and practitioner.typical_sessions == 6
    assert [s.slug for s in practitioner.specialties.all()] == ["neck-pain"]


def test_a_therapist_form_error_is_next_to_its_field_and_nothing_is_saved(as_staff, clinic, location, today):
    PractitionerFactory(name="Holder", npi="1234567893")
    response = as_staff.post(
        reverse("clinic:therapist-add", args=[clinic.pk]), therapist_data(location, npi="1234567893")
    )
    assert response.status_code == 200
    page = body(response)
    assert 'id="id_npi-errors"' in page and "already in the directory" in page
    assert 'aria-describedby="id_npi-errors' in page and 'aria-invalid="true"' in page
    assert not Practitioner.objects.filter(name="Robin Ames").exists()
    response = as_staff.post(
        reverse("clinic:therapist-add", args=[clinic.pk]), therapist_data(location, years_dry_needling="99")
    )
    assert "Ensure this value is less than or equal to 70" in body(response)
    response = as_staff.post(reverse("clinic:therapist-add", args=[clinic.pk]), {"name": "X", "profession": "PT"})
    assert 'id="id_locations-errors"' in body(response) and "This field is required" in body(response)
    assert not Practitioner.objects.filter(name="X").exists()


def test_another_clinics_location_cannot_be_chosen(as_staff, clinic, other_clinic, location, today):
    theirs = Location.objects.create(
        clinic=other_clinic,
        address="1 Elsewhere",
        city="Seattle",
        state="WA",
        postal_code="98101",
        point=location.point,
    )
    response = as_staff.post(reverse("clinic:therapist-add", args=[clinic.pk]), therapist_data(theirs))
    assert response.status_code == 200
    assert "Select a valid choice" in body(response)
    assert not Practitioner.objects.filter(name="Robin Ames").exists()


def test_edit_and_remove_a_therapist(as_staff, clinic, therapist, location, today):
    url = reverse("clinic:therapist-edit", args=[clinic.pk, therapist.pk])
    assert 'value="Dana Whitfield"' in body(as_staff.get(url))
    response = as_staff.post(url, therapist_data(location, name="Dana W. Whitfield", bio="Sports injuries."))
    assert response.status_code == 302
    therapist.refresh_from_db()
    assert (therapist.name, therapist.bio) == ("Dana W. Whitfield", "Sports injuries.")
    as_staff.post(reverse("clinic:therapist-remove", args=[clinic.pk, therapist.pk]))
    assert therapist.listings.count() == 0
    assert Practitioner.objects.filter(pk=therapist.pk).exists()  # they and their credentials stay


def test_therapist_list_search_and_not_qualified_filter_with_reasons(as_staff, clinic, therapist, license_, today):
    url = reverse("clinic:therapists", args=[clinic.pk])
    assert "Dana Whitfield" in body(as_staff.get(url, {"q": "whit"}))
    assert "Dana Whitfield" not in body(as_staff.get(url, {"q": "nobody"}))
    page = body(as_staff.get(url, {"filter": "not-qualified"}))
    assert "Dana Whitfield" in page
    assert "Needs a verified PT license from Washington (one is pending verification)." in page
    assert "Not qualified" in page  # in words, not only in colour


def test_therapist_page_says_per_location_what_is_missing_then_qualified(as_staff, clinic, therapist, license_, today):
    url = reverse("clinic:therapist", args=[clinic.pk, therapist.pk])
    page = body(as_staff.get(url))
    assert "Not listed as qualified in Washington" in page
    assert "Needs 50 verified training hours, has 0 verified." in page
    assert "Pending verification" in page
    admin = AdminFactory()
    verified(license_, by=admin, today=today)
    verified(CredentialFactory(practitioner=therapist, training=True, hours=60), by=admin, today=today)
    page = body(as_staff.get(url))
    assert "Listed as qualified until 2027-12-31" in page


def test_an_exclusion_list_match_puts_the_therapist_on_hold_until_dismissed(
    as_staff, clinic, therapist, license_, today
):
    admin = AdminFactory()
    verified(license_, by=admin, today=today)
    verified(CredentialFactory(practitioner=therapist, training=True, hours=60), by=admin, today=today)
    exclusion = Exclusion.objects.create(
        row_key="c" * 64, last_name="WHITFIELD", first_name="DANA", state="WA", excluded_on=datetime.date(2025, 5, 1)
    )
    match = ExclusionMatch.objects.create(
        practitioner=therapist, exclusion=exclusion, summary="WHITFIELD, DANA", basis=MatchBasis.NAME_STATE
    )
    practitioner_requalify(practitioner=therapist, today=today)
    url = reverse("clinic:therapist", args=[clinic.pk, therapist.pk])
    page = body(as_staff.get(url))
    assert "Not listed as qualified in Washington" in page
    assert "On hold: the directory&#x27;s admins are reviewing a possible match on the federal exclusion list" in page
    dashboard = body(as_staff.get(reverse("clinic:dashboard", args=[clinic.pk])))
    assert "1 are on hold while the admins review a possible exclusion-list match" in dashboard

    exclusion_match_decide(
        match=match, status_after=MatchStatus.DISMISSED, reason="Not her", decided_by=admin, today=today
    )
    page = body(as_staff.get(url))
    assert "Listed as qualified until 2027-12-31" in page
    assert "On hold" not in page


# --- locations ------------------------------------------------------------------


def test_a_new_location_is_placed_at_its_zip_centroid(as_staff, clinic, today):
    response = as_staff.post(
        reverse("clinic:location-add", args=[clinic.pk]),
        {"address": "1 Main St", "state": "WA", "postal_code": "98101", "accepting_new_patients": "on"},
    )
    location = Location.objects.get(clinic=clinic)
    assert response["Location"] == reverse("clinic:location-edit", args=[clinic.pk, location.pk])
    assert location.city == "Seattle" and location.accepting_new_patients
    page = body(as_staff.get(response["Location"]))
    assert f'"lat": {round(location.point.y, 6)}' in page


def test_a_location_with_a_point_and_one_with_a_zip_in_another_state(as_staff, clinic, today):
    url = reverse("clinic:location-add", args=[clinic.pk])
    as_staff.post(url, {"address": "2 Pier", "state": "WA", "postal_code": "98101", "lat": "47.6", "lon": "-122.34"})
    location = Location.objects.get(clinic=clinic)
    assert (location.point.y, location.point.x) == (47.6, -122.34)
    assert not location.accepting_new_patients
    response = as_staff.post(url, {"address": "3 Elm", "state": "OR", "postal_code": "98101"})
    assert 'id="id_postal_code-errors"' in body(response) and "is in WA, not OR" in body(response)
    response = as_staff.post(url, {"address": "3 Elm", "state": "WA", "postal_code": "98101", "lat": "47.6"})
    assert 'id="id_lon-errors"' in body(response) and "Give both lat and lon, or neither." in body(response)
    assert Location.objects.filter(clinic=clinic).count() == 1


def test_edit_a_location_stops_taking_new_patients(as_staff, clinic, location, today):
    url = reverse("clinic:location-edit", args=[clinic.pk, location.pk])
    response = as_staff.post(url, {"address": location.address, "state": "WA", "postal_code": "98101"})
    assert response.status_code == 302
    location.refresh_from_db()
    assert not location.accepting_new_patients


# --- credentials ----------------------------------------------------------------


def submit(client, clinic, therapist, kind, data, document=None):
    url = reverse("clinic:credential-add", args=[clinic.pk, therapist.pk]) + f"?kind={kind}"
    if document is not None:
        data = {**data, "document": document}
    return client.post(url, data)


LICENSE = {
    "issuer": "Washington Board",
    "jurisdiction": "WA",
    "license_number": "PT-1",
    "issued_on": "2020-01-01",
    "expires_on": "2027-06-30",
}


def test_submit_a_license_with_its_document(as_staff, clinic, therapist, staff, today):
    response = submit(as_staff, clinic, therapist, "license", LICENSE, SimpleUploadedFile("l.pdf", PDF))
    credential = Credential.objects.get(license_number="PT-1")
    assert response["Location"] == reverse("clinic:credential", args=[clinic.pk, credential.pk])
    assert credential.status == Status.PENDING and credential.submitted_by == staff
    assert credential.profession == "PT" and credential.document
    page = body(as_staff.get(response["Location"]))
    assert "Pending verification" in page and "waiting for an admin" in page
    document = as_staff.get(reverse("clinic:credential-document", args=[clinic.pk, credential.pk]))
    assert b"".join(document.streaming_content) == PDF


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("l.exe", b"MZ\x90\x00"), "Upload a PDF, PNG or JPEG document."),
        (SimpleUploadedFile("l.pdf", b"not really a pdf"), "Upload a PDF, PNG or JPEG document."),
        (SimpleUploadedFile("l.pdf", b""), "The submitted file is empty."),
        (SimpleUploadedFile("l.pdf", PDF + b"0" * (10 * 1024 * 1024)), "The document is larger than 10 MB."),
    ],
)
def test_a_bad_document_says_why_and_nothing_is_saved(as_staff, clinic, therapist, upload, message, today):
    response = submit(as_staff, clinic, therapist, "license", LICENSE, upload)
    assert response.status_code == 200
    page = body(response)
    assert 'id="id_document-errors"' in page and message in page
    assert not Credential.objects.exists()


def test_a_training_record_names_its_hours_and_a_license_its_expiry(as_staff, clinic, therapist, today):
    response = submit(
        as_staff, clinic, therapist, "training", {"name": "DN 1", "issuer": "X", "issued_on": "2025-01-01"}
    )
    assert 'id="id_hours-errors"' in body(response)
    response = submit(as_staff, clinic, therapist, "license", {**LICENSE, "expires_on": ""})
    assert 'id="id_expires_on-errors"' in body(response)
    response = submit(as_staff, clinic, therapist, "license", {**LICENSE, "issued_on": "2026-05-01"})
    assert "The issue date cannot be in the future." in body(response)
    assert not Credential.objects.exists()


def test_a_rejected_credential_shows_its_reason_and_is_resubmitted(as_staff, clinic, therapist, license_, today):
    credential_reject(
        credential=license_,
        decided_by=AdminFactory(username="checker"),
        method=Method.PRIMARY_SOURCE,
        reason="The number is not on the board's register.",
        today=today,
    )
    page = body(as_staff.get(reverse("clinic:credential", args=[clinic.pk, license_.pk])))
    assert "Rejected" in page and "The number is not on the board&#x27;s register." in page and "checker" in page
    url = reverse("clinic:credential-add", args=[clinic.pk, therapist.pk]) + f"?from={license_.pk}"
    page = body(as_staff.get(url))
    assert "Resubmit" in page and "not on the board" in page and f'value="{license_.license_number}"' in page
    response = as_staff.post(url, {**LICENSE, "license_number": "PT-2"})
    assert response.status_code == 302
    assert Credential.objects.get(license_number="PT-2").status == Status.PENDING


def test_expiring_view_groups_soonest_first_with_renew_links(as_staff, clinic, therapist, today):
    # Different states: a later license of the same state would be the other one's renewal.
    days = {"soon": (10, "WA"), "later": (75, "OR"), "gone": (-3, "CA"), "far": (400, "FL")}
    made = {
        name: CredentialFactory(
            practitioner=therapist, expires_on=today + datetime.timedelta(days=n), jurisdiction=state
        )
        for name, (n, state) in days.items()
    }
    page = body(as_staff.get(reverse("clinic:expiring", args=[clinic.pk])))
    assert (
        page.index("Expired (1)")
        < page.index("Expiring within 30 days (1)")
        < page.index("Expiring in 61 to 90 days (1)")
    )
    assert "expired 3 days ago" in page and "in 10 days" in page
    assert f"?from={made['soon'].pk}" in page
    assert f"?from={made['far'].pk}" not in page


# --- roster import ---------------------------------------------------------------


def test_roster_dry_run_report_row_by_row_then_confirm(as_staff, clinic, location, today):
    content = (f"name,profession,location\nAlex Good,PT,{location.pk}\nBlair Bad,XX,{location.pk}\n").encode()
    response = as_staff.post(reverse("clinic:roster", args=[clinic.pk]), {"file": SimpleUploadedFile("t.csv", content)})
    job = RosterImport.objects.get()
    assert job.dry_run and response["Location"] == reverse("clinic:roster-job", args=[clinic.pk, job.pk])
    page = body(as_staff.get(response["Location"]))
    assert "1 row cannot be imported" in page and "Rejected" in page and "To create" in page
    assert "XX" in page  # the reason names the bad profession
    assert "Import these" not in page
    assert not Practitioner.objects.filter(name="Alex Good").exists()

    good = f"name,profession,location\nAlex Good,PT,{location.pk}\n".encode()
    response = as_staff.post(reverse("clinic:roster", args=[clinic.pk]), {"file": SimpleUploadedFile("t.csv", good)})
    dry = RosterImport.objects.latest("id")
    assert "Import these 1 rows" in body(as_staff.get(response["Location"]))
    response = as_staff.post(reverse("clinic:roster-confirm", args=[clinic.pk, dry.pk]))
    real = RosterImport.objects.latest("id")
    assert not real.dry_run and real.status == RosterImport.Status.DONE
    assert Practitioner.objects.filter(name="Alex Good").exists()
    status = as_staff.get(reverse("clinic:roster-job-status", args=[clinic.pk, real.pk])).json()
    assert status == {"status": "done", "status_label": "Done", "rows_done": 1, "rows_total": 1, "finished": True}


def test_a_roster_that_is_not_a_roster_says_why_next_to_the_file(as_staff, clinic, today):
    response = as_staff.post(
        reverse("clinic:roster", args=[clinic.pk]), {"file": SimpleUploadedFile("t.csv", b"first,last\nA,B\n")}
    )
    assert response.status_code == 200
    assert 'id="id_file-errors"' in body(response) and "missing column(s): name, profession, location" in body(response)
    assert not RosterImport.objects.exists()


def test_roster_template_has_every_column(as_staff, clinic, location, today):
    response = as_staff.get(reverse("clinic:roster-template", args=[clinic.pk]))
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[0] == (
        "name,profession,location,email,npi,specialties,techniques,languages,"
        "license_state,license_number,license_issued,license_expiry"
    )


# --- consultation requests ------------------------------------------------------------


def test_inbox_shows_the_patient_and_marks_contacted(as_staff, clinic, consultation, staff, people, today):
    url = reverse("clinic:requests", args=[clinic.pk])
    page = body(as_staff.get(url))
    assert "Pat Patient" in page and "pat@example.com" in page and "My neck hurts" in page
    response = as_staff.post(reverse("clinic:request-contacted", args=[clinic.pk, consultation.pk]), follow=True)
    assert "Pat Patient: marked as contacted" in body(response)
    consultation.refresh_from_db()
    assert consultation.contacted_at is not None and consultation.contacted_by == staff
    assert "Pat Patient" not in body(as_staff.get(url))
    assert "Contacted" in body(as_staff.get(url, {"show": "all"}))
    other = body(people["other_clinic"].get(reverse("clinic:home")))
    assert "pat@example.com" not in other


# --- members ---------------------------------------------------------------------------


def test_owner_invites_by_email(as_owner, clinic, today, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_owner.post(
            reverse("clinic:members", args=[clinic.pk]), {"email": "New@Example.com", "role": "staff"}
        )
    assert response.status_code == 302
    assert clinic.invitations.get().email == "new@example.com"
    assert mail.outbox[0].to == ["new@example.com"]
    response = as_owner.post(reverse("clinic:members", args=[clinic.pk]), {"email": "not-an-address", "role": "staff"})
    assert 'id="id_email-errors"' in body(response)
    response = as_owner.post(
        reverse("clinic:members", args=[clinic.pk]), {"email": "boss@example.com", "role": "owner"}
    )
    assert 'id="id_role-errors"' in body(response) and "Only admins may make someone an owner." in body(response)
    assert clinic.invitations.count() == 1


def test_owner_changes_roles_and_removes_but_the_last_owner_stays(as_owner, clinic, owner, staff, today):
    members = reverse("clinic:members", args=[clinic.pk])
    response = as_owner.post(reverse("clinic:member-role", args=[clinic.pk, owner.pk]), {"role": "staff"}, follow=True)
    assert "only owner" in body(response)
    assert clinic.memberships.get(user=owner).role == ClinicMembership.Role.OWNER
    as_owner.post(reverse("clinic:member-role", args=[clinic.pk, staff.pk]), {"role": "owner"})
    assert clinic.memberships.get(user=staff).role == ClinicMembership.Role.OWNER
    as_owner.post(reverse("clinic:member-role", args=[clinic.pk, staff.pk]), {"role": "staff"})
    response = as_owner.post(reverse("clinic:member-remove", args=[clinic.pk, staff.pk]), follow=True)
    assert not clinic.memberships.filter(user=staff).exists()
    assert "no longer has access" in body(response)
    response = as_owner.post(reverse("clinic:member-remove", args=[clinic.pk, owner.pk]), follow=True)
    assert clinic.memberships.filter(user=owner).exists()
    assert response.request["PATH_INFO"] == members


def test_join_with_an_invitation_code_as_a_new_account(as_owner, clinic, today, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        as_owner.post(reverse("clinic:members", args=[clinic.pk]), {"email": "kim@example.com", "role": "staff"})
    code = next(line.strip() for line in mail.outbox[0].body.splitlines() if line.startswith("    "))
    from django.test import Client

    client = Client()
    response = client.post(
        reverse("clinic:join"), {"token": "wrong", "username": "kim", "password": "a long passphrase 7"}
    )
    assert 'id="id_token-errors"' in body(response)
    response = client.post(
        reverse("clinic:join"), {"token": code, "username": "kim", "password": "a long passphrase 7"}
    )
    assert response["Location"] == reverse("clinic:sign-in")
    assert clinic.memberships.get(user__username="kim").role == "staff"


def test_a_long_expiring_section_shows_the_soonest_and_offers_all(as_staff, clinic, therapist, today, monkeypatch):
    monkeypatch.setattr("portal.clinic.views.EXPIRING_SHOWN", 2)
    for n, state in enumerate(("WA", "OR", "CA")):
        CredentialFactory(practitioner=therapist, expires_on=today + datetime.timedelta(days=5 + n), jurisdiction=state)
    url = reverse("clinic:expiring", args=[clinic.pk])
    page = body(as_staff.get(url))
    assert "Expiring within 30 days (3)" in page and "The soonest 2 of 3 are shown." in page
    assert page.count("in 7 days") == 0 and "in 5 days" in page
    assert "in 7 days" in body(as_staff.get(url, {"all": "1"}))
