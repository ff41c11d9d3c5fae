"""The credentials API: a credential's life end to end, who may do what, bad input, the queue."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from credentials.models import Credential, Status, Verification
from tests.credentials.factories import CredentialFactory, UserFactory, listing_in, verified
from tests.factories import PractitionerFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def license_body(practitioner, **overrides):
    return {
        "practitioner": practitioner.pk,
        "kind": "license",
        "issuer": "Washington Board of Physical Therapy",
        "jurisdiction": "WA",
        "license_number": "PT60012345",
        "issued_on": "2016-05-01",
        "expires_on": "2027-05-01",
        **overrides,
    }


def training_body(practitioner, **overrides):
    return {
        "practitioner": practitioner.pk,
        "kind": "training",
        "name": "Dry Needling Level 1 and 2",
        "issuer": "Northwest Needling Institute",
        "hours": 54,
        "technique": "deep-dry-needling",
        "issued_on": "2024-10-12",
        **overrides,
    }


def searched(api, practitioner):
    rows = api.get("/api/v1/practitioners/", {"include_unqualified": "true"}).json()["results"]
    return next(row for row in rows if row["slug"] == practitioner.slug)


# --- the life of a credential -----------------------------------------------------


def test_life_of_a_credential(api, today, clinic, practitioner, admin, client_for):
    # A clinic member logs in with a password and gets a token.
    staff = UserFactory(username="front-desk")
    staff.set_password("s3cret-pass-phrase")
    staff.save()
    clinic.memberships.create(user=staff)
    tokens = api.post(
        "/api/v1/auth/token/", {"username": "front-desk", "password": "s3cret-pass-phrase"}, format="json"
    )
    assert tokens.status_code == 200
    assert (
        api.post("/api/v1/auth/token/refresh/", {"refresh": tokens.json()["refresh"]}, format="json").status_code == 200
    )
    as_clinic = APIClient()
    as_clinic.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")
    as_admin = client_for(admin)

    # It submits a license (with a scan) and a training record.
    document = SimpleUploadedFile("license.pdf", PDF, content_type="application/pdf")
    response = as_clinic.post(
        "/api/v1/credentials/", {**license_body(practitioner), "document": document}, format="multipart"
    )
    assert response.status_code == 201, response.content
    license_ = response.json()
    assert (license_["status"], license_["has_document"], license_["profession"]) == ("pending", True, "PT")
    training = as_clinic.post("/api/v1/credentials/", training_body(practitioner), format="json").json()
    assert searched(api, practitioner)["qualified"] is False

    # It corrects the pending license number.
    response = as_clinic.patch(
        f"/api/v1/credentials/{license_['id']}/", {"license_number": "PT60012346"}, format="json"
    )
    assert (response.status_code, response.json()["license_number"]) == (200, "PT60012346")

    # The admin's queue has both, oldest first; the admin verifies them.
    queue = as_admin.get("/api/v1/verification-queue/").json()["results"]
    assert [row["id"] for row in queue] == [license_["id"], training["id"]]
    assert {row["queue_status"] for row in queue} == {"pending"}
    response = as_admin.post(
        f"/api/v1/credentials/{license_['id']}/verify", {"method": "primary_source"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["next_review_due"]) == ("verified", "2027-05-01")
    assert (
        as_admin.post(f"/api/v1/credentials/{training['id']}/verify/", {"method": "document_review"}).status_code == 200
    )
    assert as_admin.get("/api/v1/verification-queue/").json()["results"] == []

    # Patients now see the practitioner as qualified, with 54 verified hours.
    row = searched(api, practitioner)
    assert (row["qualified"], row["verified_training_hours"]) == (True, 54)

    # A verified credential cannot be verified twice.
    response = as_admin.post(f"/api/v1/credentials/{license_['id']}/verify", {"method": "primary_source"})
    assert response.status_code == 409 and "already verified" in response.json()["detail"]

    # The clinic corrects the license number: what was verified no longer holds, so it is
    # pending again, back in the queue, and patients stop seeing the practitioner.
    response = as_clinic.patch(f"/api/v1/credentials/{license_['id']}/", {"license_number": "PT-60912"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["verified_at"], response.json()["method"]) == (
        "pending",
        None,
        "",
    )
    assert [row["id"] for row in as_admin.get("/api/v1/verification-queue/").json()["results"]] == [license_["id"]]
    assert searched(api, practitioner)["qualified"] is False
    response = as_admin.post(f"/api/v1/credentials/{license_['id']}/verify", {"method": "primary_source"})
    assert (response.status_code, response.json()["status"]) == (200, "verified")
    assert searched(api, practitioner)["qualified"] is True

    # The board suspends the license: the admin revokes it, and the listing drops.
    response = as_admin.post(
        f"/api/v1/credentials/{license_['id']}/revoke",
        {"method": "primary_source", "reason": "Suspended by the board."},
    )
    assert (response.status_code, response.json()["status"]) == (200, "revoked")
    assert searched(api, practitioner)["qualified"] is False
    response = as_admin.post(
        f"/api/v1/credentials/{license_['id']}/reject", {"method": "primary_source", "reason": "No."}
    )
    assert response.status_code == 409

    # Every decision is in the history, for the admin and the clinic alike.
    history = as_clinic.get(f"/api/v1/credentials/{license_['id']}/history/").json()
    assert [(h["action"], h["method"], h["status_before"], h["status_after"], h["decided_by"]) for h in history] == [
        ("verify", "primary_source", "pending", "verified", "verifier"),
        ("resubmit", "", "verified", "pending", "front-desk"),
        ("verify", "primary_source", "pending", "verified", "verifier"),
        ("revoke", "primary_source", "verified", "revoked", "verifier"),
    ]
    assert history[1]["reason"] == "Changed by the clinic, back to pending: license_number changed."
    assert history[3]["reason"] == "Suspended by the board."
    # A revoked credential is the record of a decision: the clinic cannot change it.
    response = as_clinic.patch(f"/api/v1/credentials/{license_['id']}/", {"license_number": "X"}, format="json")
    assert response.status_code == 409 and "revoked" in response.json()["detail"]
    assert all(h["decided_at"] for h in history)

    # The clinic (not the public) can fetch the document.
    response = as_clinic.get(f"/api/v1/credentials/{license_['id']}/document/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF


# --- who may do what -----------------------------------------------------------------


@pytest.fixture
def credential(practitioner):
    return CredentialFactory(practitioner=practitioner)


@pytest.fixture
def outsider_credential(other_clinic):
    practitioner = PractitionerFactory()
    listing_in("WA", practitioner=practitioner, location_kwargs={"clinic": other_clinic})
    return CredentialFactory(practitioner=practitioner)


@pytest.mark.parametrize(
    ("persona", "expected"), [("admin", 200), ("clinic", 200), ("other_clinic", 404), ("anonymous", 401)]
)
def test_read_a_credential(personas, credential, persona, expected):
    response = personas[persona].get(f"/api/v1/credentials/{credential.pk}/")
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["license_number"] == credential.license_number


@pytest.mark.parametrize(
    ("persona", "visible"), [("admin", {"ours", "theirs"}), ("clinic", {"ours"}), ("other_clinic", {"theirs"})]
)
def test_list_credentials_is_scoped_to_your_clinics(personas, credential, outsider_credential, persona, visible):
    ids = {credential.pk: "ours", outsider_credential.pk: "theirs"}
    response = personas[persona].get("/api/v1/credentials/")
    assert response.status_code == 200
    assert {ids[row["id"]] for row in response.json()["results"]} == visible


def test_list_credentials_needs_a_login_and_a_clinic(personas, client_for):
    assert personas["anonymous"].get("/api/v1/credentials/").status_code == 401
    assert client_for(UserFactory(username="no-clinic")).get("/api/v1/credentials/").status_code == 403


@pytest.mark.parametrize(
    ("persona", "expected"), [("admin", 201), ("clinic", 201), ("other_clinic", 404), ("anonymous", 401)]
)
def test_submit_a_credential(personas, today, practitioner, persona, expected):
    response = personas[persona].post("/api/v1/credentials/", license_body(practitioner), format="json")
    assert response.status_code == expected
    if expected == 400:  # another clinic's practitioner does not exist, as far as they can tell
        assert set(response.json()["errors"]) == {"practitioner"}
    assert Credential.objects.count() == (1 if expected == 201 else 0)


@pytest.mark.parametrize(
    ("persona", "expected"), [("admin", 200), ("clinic", 200), ("other_clinic", 404), ("anonymous", 401)]
)
def test_correct_a_pending_credential(personas, today, credential, persona, expected):
    response = personas[persona].patch(f"/api/v1/credentials/{credential.pk}/", {"issuer": "WA DOH"}, format="json")
    assert response.status_code == expected
    credential.refresh_from_db()
    assert (credential.issuer == "WA DOH") is (expected == 200)


@pytest.mark.parametrize("decision", ["verify", "reject"])
@pytest.mark.parametrize(
    ("persona", "expected"), [("admin", 200), ("clinic", 403), ("other_clinic", 403), ("anonymous", 401)]
)
def test_decisions_are_for_admins_only(personas, today, credential, decision, persona, expected):
    response = personas[persona].post(
        f"/api/v1/credentials/{credential.pk}/{decision}", {"method": "document_review", "reason": "Checked."}
    )
    assert response.status_code == expected
    assert Verification.objects.count() == (1 if expected == 200 else 0)


@pytest.mark.parametrize(
    ("persona", "expected"), [("admin", 200), ("clinic", 403), ("other_clinic", 403), ("anonymous", 401)]
)
def test_revoke_is_for_admins_only(personas, today, credential, persona, expected):
    verified(credential)
    response = personas[persona].post(
        f"/api/v1/credentials/{credential.pk}/revoke", {"method": "primary_source", "reason": "Suspended."}
    )
    assert response.status_code == expected
    assert Verification.objects.count() == (2 if expected == 200 else 1)


@pytest.mark.parametrize(
    ("persona", "expected"), [("admin", 200), ("clinic", 200), ("other_clinic", 404), ("anonymous", 401)]
)
def test_history(personas, today, credential, persona, expected):
    verified(credential)
    response = personas[persona].get(f"/api/v1/credentials/{credential.pk}/history/")
    assert response.status_code == expected
    if expected == 200:
        assert [row["action"] for row in response.json()] == ["verify"]


@pytest.mark.parametrize(
    ("persona", "expected"), [("admin", 200), ("clinic", 403), ("other_clinic", 403), ("anonymous", 401)]
)
def test_queue_is_for_admins_only(personas, today, credential, persona, expected):
    assert personas[persona].get("/api/v1/verification-queue/").status_code == expected


@pytest.mark.parametrize(
    ("persona", "expected"), [("admin", 200), ("clinic", 200), ("other_clinic", 404), ("anonymous", 401)]
)
def test_document_download(personas, today, practitioner, persona, expected, client_for, admin):
    document = SimpleUploadedFile("scan.png", PNG, content_type="image/png")
    response = client_for(admin).post(
        "/api/v1/credentials/", {**license_body(practitioner), "document": document}, format="multipart"
    )
    assert response.status_code == 201, response.content
    assert personas[persona].get(f"/api/v1/credentials/{response.json()['id']}/document/").status_code == expected


@pytest.mark.parametrize(
    ("persona", "expected"), [("admin", 200), ("clinic", 403), ("other_clinic", 403), ("anonymous", 401)]
)
def test_state_rules_are_changed_by_admins_only(personas, today, persona, expected):
    response = personas[persona].patch("/api/v1/state-rules/CO/", {"min_training_hours": 60}, format="json")
    assert response.status_code == expected
    response = personas[persona].post(
        "/api/v1/state-rules/",
        {"state": "TX", "permitted_professions": ["PT"], "source": "Texas Board", "checked_on": "2026-01-15"},
        format="json",
    )
    assert response.status_code == (201 if expected == 200 else expected)
    # Anyone may read them.
    assert personas[persona].get("/api/v1/state-rules/CO/").status_code == 200


# --- conflicts ---------------------------------------------------------------------


def test_verifying_a_verified_credential_is_a_conflict_and_writes_nothing(client_for, admin, today, credential):
    verified(credential)
    before = credential.verifications.count()
    response = client_for(admin).post(f"/api/v1/credentials/{credential.pk}/verify", {"method": "primary_source"})
    assert response.status_code == 409
    assert "already verified" in response.json()["detail"]
    assert credential.verifications.count() == before


def test_rejecting_a_revoked_credential_is_a_conflict(client_for, admin, today, credential):
    as_admin = client_for(admin)
    verified(credential)
    as_admin.post(f"/api/v1/credentials/{credential.pk}/revoke", {"method": "primary_source", "reason": "Forged."})
    response = as_admin.post(f"/api/v1/credentials/{credential.pk}/reject", {"method": "primary_source", "reason": "x"})
    assert response.status_code == 409
    assert response.json()["detail"] == "This credential is already revoked."
    assert credential.verifications.count() == 2


def test_revoking_a_pending_credential_is_a_conflict(client_for, admin, today, credential):
    response = client_for(admin).post(
        f"/api/v1/credentials/{credential.pk}/revoke", {"method": "primary_source", "reason": "x"}
    )
    assert response.status_code == 409
    assert "reject it instead" in response.json()["detail"]


def test_a_credential_due_for_review_can_be_verified_again(client_for, admin, freeze_today, practitioner):
    certification = verified(CredentialFactory(practitioner=practitioner, certification=True, expires_on=None))
    assert certification.next_review_due == datetime.date(2029, 3, 1)
    freeze_today(datetime.date(2029, 3, 2))
    as_admin = client_for(admin)
    queue = as_admin.get("/api/v1/verification-queue/").json()["results"]
    assert [(row["id"], row["queue_status"], row["status"]) for row in queue] == [
        (certification.pk, "review_due", "verified")
    ]
    response = as_admin.post(f"/api/v1/credentials/{certification.pk}/verify", {"method": "primary_source"})
    assert (response.status_code, response.json()["next_review_due"]) == (200, "2032-03-02")
    assert as_admin.get("/api/v1/verification-queue/").json()["results"] == []


# --- bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"expires_on": "2015-01-01"}, "expires_on"),
        ({"jurisdiction": "ZZ"}, "jurisdiction"),
        ({"issued_on": "2026-03-02"}, "issued_on"),  # tomorrow
        ({"issued_on": "not a date"}, "issued_on"),
        ({"kind": "diploma"}, "kind"),
        ({"jurisdiction": ""}, "jurisdiction"),
        ({"hours": 10}, "hours"),
        ({"status": "verified", "license_number": ""}, "license_number"),
    ],
)
def test_bad_license_input_names_the_field(client_for, clinic_user, today, practitioner, overrides, field):
    response = client_for(clinic_user).post(
        "/api/v1/credentials/", license_body(practitioner, **overrides), format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert field in response.json()["detail"]
    assert Credential.objects.count() == 0


@pytest.mark.parametrize(("hours", "expected"), [(-1, 400), ("many", 400), (None, 400), (0, 201)])
def test_training_hours_must_be_a_whole_number_not_below_zero(
    client_for, clinic_user, today, practitioner, hours, expected
):
    response = client_for(clinic_user).post(
        "/api/v1/credentials/", training_body(practitioner, hours=hours), format="json"
    )
    assert response.status_code == expected
    if expected == 400:
        assert set(response.json()["errors"]) == {"hours"}


def test_status_in_the_body_is_ignored(client_for, clinic_user, today, practitioner):
    response = client_for(clinic_user).post(
        "/api/v1/credentials/",
        license_body(practitioner, status="verified", next_review_due="2099-01-01"),
        format="json",
    )
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["next_review_due"]) == ("pending", None)
    response = client_for(clinic_user).patch(
        f"/api/v1/credentials/{response.json()['id']}/", {"status": "verified"}, format="json"
    )
    assert response.json()["status"] == "pending"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"method": "telepathy"}, "method"),
        ({}, "method"),
        ({"method": "attestation", "reason": ""}, "reason"),
        ({"method": "attestation"}, "reason"),
    ],
)
def test_bad_decision_input_names_the_field(client_for, admin, today, credential, body, field):
    response = client_for(admin).post(f"/api/v1/credentials/{credential.pk}/reject", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    credential.refresh_from_db()
    assert credential.status == Status.PENDING and not credential.verifications.exists()


def test_unknown_method_to_verify(client_for, admin, today, credential):
    response = client_for(admin).post(f"/api/v1/credentials/{credential.pk}/verify", {"method": "vibes"})
    assert response.status_code == 400 and "method" in response.json()["errors"]


def test_deciding_on_a_missing_credential_is_a_404(client_for, admin):
    assert client_for(admin).post("/api/v1/credentials/999999/verify", {"method": "attestation"}).status_code == 404


@pytest.mark.parametrize(
    ("name", "content"),
    [("license.exe", b"MZ\x90\x00"), ("license.pdf", b"MZ\x90\x00 not a pdf"), ("notes.txt", b"hello")],
)
def test_documents_must_be_pdf_png_or_jpeg(client_for, clinic_user, today, practitioner, name, content):
    document = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = client_for(clinic_user).post(
        "/api/v1/credentials/", {**license_body(practitioner), "document": document}, format="multipart"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"document"}


def test_a_document_over_the_limit_is_a_413(client_for, clinic_user, today, practitioner, monkeypatch):
    monkeypatch.setattr("credentials.models.DOCUMENT_MAX_BYTES", 1024)
    document = SimpleUploadedFile("license.pdf", PDF + b"0" * 2048, content_type="application/pdf")
    response = client_for(clinic_user).post(
        "/api/v1/credentials/", {**license_body(practitioner), "document": document}, format="multipart"
    )
    assert response.status_code == 413
    assert set(response.json()["errors"]) == {"document"}
    assert Credential.objects.count() == 0


def test_documents_are_stored_under_a_random_name_in_media_root(client_for, clinic_user, today, practitioner, settings):
    document = SimpleUploadedFile("my license (scan).pdf", PDF, content_type="application/pdf")
    response = client_for(clinic_user).post(
        "/api/v1/credentials/", {**license_body(practitioner), "document": document}, format="multipart"
    )
    assert response.status_code == 201
    stored = Credential.objects.get().document
    assert stored.name.startswith(f"credentials/{practitioner.pk}/") and "license" not in stored.name
    assert (settings.MEDIA_ROOT / stored.name).read_bytes() == PDF
    # The API links to the download endpoint, never to the stored file.
    assert stored.name not in str(response.json())
    assert response.json()["document_url"].endswith(f"/api/v1/credentials/{response.json()['id']}/document/")


# --- the queue ----------------------------------------------------------------------


def test_queue_lists_pending_oldest_first_then_review_due(client_for, admin, freeze_today, practitioner):
    due = verified(
        CredentialFactory(practitioner=practitioner, expires_on=datetime.date(2026, 2, 28)),
        today=datetime.date(2025, 1, 1),
    )
    first = CredentialFactory(practitioner=practitioner, training=True)
    second = CredentialFactory(practitioner=practitioner, certification=True)
    verified(CredentialFactory(practitioner=practitioner, training=True))  # verified, never reviewed: not queued
    rows = client_for(admin).get("/api/v1/verification-queue/").json()["results"]
    assert [(row["id"], row["queue_status"]) for row in rows] == [
        (first.pk, "pending"),
        (second.pk, "pending"),
        (due.pk, "review_due"),
    ]


def test_queue_filters_by_kind_state_and_status(client_for, admin, today, practitioner):
    colorado = PractitionerFactory()
    listing_in("CO", practitioner=colorado)
    wa_license = CredentialFactory(practitioner=practitioner)
    co_training = CredentialFactory(practitioner=colorado, training=True)
    fl_license = CredentialFactory(practitioner=colorado, jurisdiction="FL")
    as_admin = client_for(admin)

    def ids(**params):
        response = as_admin.get("/api/v1/verification-queue/", params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids(kind="license") == {wa_license.pk, fl_license.pk}
    assert ids(state="CO") == {co_training.pk, fl_license.pk}  # listed in CO
    assert ids(state="FL") == {fl_license.pk}  # issued by FL
    assert ids(kind="training", state="WA") == set()
    assert ids(status="review_due") == set()
    assert ids(status="pending") == {wa_license.pk, co_training.pk, fl_license.pk}
    for name, value in [("kind", "diploma"), ("state", "ZZ"), ("status", "late"), ("stauts", "pending")]:
        response = as_admin.get("/api/v1/verification-queue/", {name: value})
        assert response.status_code == 400 and name in response.json()["errors"]


# --- state rules -------------------------------------------------------------------


def test_state_rules_show_their_source_and_the_platform_default(api, settings):
    settings.PLATFORM_DEFAULT_MIN_TRAINING_HOURS = 45
    body = api.get("/api/v1/state-rules/").json()
    assert body["platform_default_min_training_hours"] == 45
    rules = {rule["state"]: rule for rule in body["results"]}
    assert {"AZ", "CO", "DE", "FL", "GA", "IL", "MD", "CA", "HI", "NY", "OR"} <= set(rules)
    assert all(rule["source"] and rule["checked_on"] for rule in rules.values())
    assert (rules["DE"]["min_training_hours"], rules["DE"]["min_years_licensed"]) == (54, 2)
    assert (rules["FL"]["min_training_hours"], rules["FL"]["min_years_licensed"]) == (50, 2)
    assert rules["MD"]["effective_min_training_hours"] == 80
    assert rules["CA"]["dry_needling_permitted"] is False


def test_a_rule_without_hours_uses_the_platform_default(client_for, admin, today, settings):
    settings.PLATFORM_DEFAULT_MIN_TRAINING_HOURS = 45
    response = client_for(admin).post(
        "/api/v1/state-rules/",
        {"state": "tx", "permitted_professions": ["PT", "DC"], "source": "Texas Board", "checked_on": "2026-01-15"},
        format="json",
    )
    assert response.status_code == 400 and "state" in response.json()["errors"]  # codes are upper case
    response = client_for(admin).post(
        "/api/v1/state-rules/",
        {"state": "TX", "permitted_professions": ["PT", "DC"], "source": "Texas Board", "checked_on": "2026-01-15"},
        format="json",
    )
    assert response.status_code == 201
    assert (response.json()["min_training_hours"], response.json()["effective_min_training_hours"]) == (None, 45)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"state": "ZZ"}, "state"),
        ({"state": "CO"}, "state"),  # already has a rule
        ({"permitted_professions": ["PT", "Shaman"]}, "permitted_professions"),
        ({"permitted_professions": []}, "permitted_professions"),  # permitted, but for no one
        ({"dry_needling_permitted": False}, "permitted_professions"),  # forbidden, yet professions named
        ({"min_training_hours": -5}, "min_training_hours"),
        ({"checked_on": "soon"}, "checked_on"),
        ({"source": ""}, "source"),
    ],
)
def test_bad_state_rule_input_names_the_field(client_for, admin, today, body, field):
    full = {"state": "TX", "permitted_professions": ["PT"], "source": "Texas Board", "checked_on": "2026-01-15", **body}
    response = client_for(admin).post("/api/v1/state-rules/", full, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_unknown_state_rule_is_a_404(api):
    assert api.get("/api/v1/state-rules/TX/").status_code == 404


def test_credential_kinds_need_their_own_fields(client_for, clinic_user, today, practitioner):
    as_clinic = client_for(clinic_user)
    body = {"practitioner": practitioner.pk, "kind": "certification", "issuer": "AADNP", "issued_on": "2024-01-01"}
    response = as_clinic.post("/api/v1/credentials/", body, format="json")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"name"}
    response = as_clinic.post("/api/v1/credentials/", {**body, "name": "CDNP"}, format="json")
    assert response.status_code == 201
