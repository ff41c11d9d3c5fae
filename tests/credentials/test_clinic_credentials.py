"""What clinics do with their practitioners' credentials: upload documents safely,
change a verified credential (back to the queue), and see what expires soon."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from credentials.models import DOCUMENT_MAX_BYTES, Credential, Status
from tests.credentials.factories import CredentialFactory, listing_in, verified
from tests.credentials.test_api import PDF, license_body
from tests.factories import PractitionerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def stored_files(settings):
    root = settings.MEDIA_ROOT
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()) if root.exists() else []


def raw_multipart(fields: dict, *, file_field: str, file_name: str, content: bytes) -> tuple[bytes, str]:
    """A multipart body written by hand: Django's test client strips directories from file
    names, as browsers do, so a client that sends a path has to be imitated byte for byte."""
    boundary = "----dn-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{file_name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# --- documents ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "file_name", ["../../etc/cron.d/x.pdf", "..\\..\\windows\\license.pdf", "/tmp/license.pdf", "../"]
)
def test_a_file_name_with_a_path_is_refused_and_nothing_is_stored(
    client_for, clinic_user, today, practitioner, settings, file_name
):
    body, content_type = raw_multipart(
        {key: value for key, value in license_body(practitioner).items()},
        file_field="document",
        file_name=file_name,
        content=PDF,
    )
    response = client_for(clinic_user).generic("POST", "/api/v1/credentials/", body, content_type=content_type)
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {
        ("file_name" if file_name == "../" else "document"): ["A file name must not contain a path."]
    }
    assert Credential.objects.count() == 0 and stored_files(settings) == []


def test_a_plain_file_name_in_a_hand_written_body_is_accepted(client_for, clinic_user, today, practitioner, settings):
    body, content_type = raw_multipart(
        license_body(practitioner), file_field="document", file_name="license.pdf", content=PDF
    )
    response = client_for(clinic_user).generic("POST", "/api/v1/credentials/", body, content_type=content_type)
    assert response.status_code == 201, response.content
    assert len(stored_files(settings)) == 1


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("license.pdf", b"<!doctype html><script>alert(1)</script>"),
        ("license.pdf", b"MZ\x90\x00\x03\x00\x00\x00PE\x00\x00"),
        ("license.png", b"GIF89a"),
        ("license.jpg", b"%PDF-1.4 a pdf dressed as a jpeg"),
    ],
)
def test_a_document_is_judged_by_its_content_and_nothing_is_stored(
    client_for, clinic_user, today, practitioner, settings, name, content
):
    document = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = client_for(clinic_user).post(
        "/api/v1/credentials/", {**license_body(practitioner), "document": document}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"document": ["Upload a PDF, PNG or JPEG document."]}
    assert Credential.objects.count() == 0 and stored_files(settings) == []


def test_a_document_one_byte_over_10_mb_is_a_413_and_nothing_is_stored(
    client_for, clinic_user, today, practitioner, settings
):
    assert DOCUMENT_MAX_BYTES == 10 * 1024 * 1024
    document = SimpleUploadedFile("license.pdf", PDF + b"0" * (DOCUMENT_MAX_BYTES + 1 - len(PDF)))
    response = client_for(clinic_user).post(
        "/api/v1/credentials/", {**license_body(practitioner), "document": document}, format="multipart"
    )
    assert response.status_code == 413 and "document" in response.json()["errors"]
    assert Credential.objects.count() == 0 and stored_files(settings) == []


def test_another_clinics_practitioner_is_a_404_naming_the_field(client_for, other_clinic_user, today, practitioner):
    response = client_for(other_clinic_user).post("/api/v1/credentials/", license_body(practitioner), format="json")
    assert response.status_code == 404 and "practitioner" in response.json()["errors"]
    assert Credential.objects.count() == 0


# --- changing a verified credential ----------------------------------------------------


@pytest.fixture
def verified_license(practitioner, admin, today):
    return verified(CredentialFactory(practitioner=practitioner, license_number="PT600777"), by=admin, today=today)


def test_changing_a_verified_credentials_dates_sends_it_back_to_the_queue(
    client_for, clinic_user, admin, today, verified_license
):
    response = client_for(clinic_user).patch(
        f"/api/v1/credentials/{verified_license.pk}/",
        {
            "expires_on": "2029-12-31",
            "status": "verified",
            "verified_at": "2026-01-01T00:00:00Z",
            "method": "primary_source",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    verified_license.refresh_from_db()
    assert (verified_license.status, verified_license.verified_at, verified_license.method) == (
        Status.PENDING,
        None,
        "",
    )
    assert verified_license.expires_on == datetime.date(2029, 12, 31)
    history = client_for(clinic_user).get(f"/api/v1/credentials/{verified_license.pk}/history/").json()
    assert [(h["action"], h["status_after"], h["decided_by"]) for h in history][-1] == (
        "resubmit",
        "pending",
        "harbor-staff",
    )
    assert history[-1]["reason"] == "Changed by the clinic, back to pending: expires_on: 2027-12-31 -> 2029-12-31."
    queue = client_for(admin).get("/api/v1/verification-queue/").json()["results"]
    assert [(row["id"], row["queue_status"]) for row in queue] == [(verified_license.pk, "pending")]


def test_a_change_that_changes_nothing_leaves_a_verified_credential_verified(
    client_for, clinic_user, today, verified_license
):
    response = client_for(clinic_user).patch(
        f"/api/v1/credentials/{verified_license.pk}/", {"expires_on": "2027-12-31"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "verified"
    assert verified_license.verifications.count() == 1


def test_another_clinic_cannot_change_a_verified_credential(client_for, other_clinic_user, today, verified_license):
    response = client_for(other_clinic_user).patch(
        f"/api/v1/credentials/{verified_license.pk}/", {"expires_on": "2029-12-31"}, format="json"
    )
    assert response.status_code == 404
    verified_license.refresh_from_db()
    assert verified_license.status == Status.VERIFIED and verified_license.expires_on == datetime.date(2027, 12, 31)


# --- expiring credentials --------------------------------------------------------------


@pytest.fixture
def expiring(practitioner, admin, today):
    """Verified credentials of the clinic's practitioner expiring at various distances from today (2026-03-01)."""
    made = {}
    for label, days in {"expired": -10, "today": 0, "soon": 30, "in_90": 90, "in_91": 91}.items():
        made[label] = verified(
            CredentialFactory(
                practitioner=practitioner,
                kind="certification",
                name=f"Certification {label}",
                issuer="Academy",
                jurisdiction="",
                license_number="",
                profession="",
                issued_on=datetime.date(2020, 1, 1),
                expires_on=today + datetime.timedelta(days=days),
            ),
            by=admin,
            today=today,
        )
    return made


@pytest.mark.parametrize(
    ("persona", "expected"), [("admin", 200), ("clinic", 200), ("other_clinic", 404), ("anonymous", 401)]
)
def test_expiring_credentials_are_for_the_clinic(personas, clinic, expiring, persona, expected):
    response = personas[persona].get(f"/api/v1/clinics/{clinic.pk}/expiring-credentials/")
    assert response.status_code == expected


def test_expiring_credentials_within_the_default_90_days_and_expired_ones(client_for, clinic_user, clinic, expiring):
    rows = client_for(clinic_user).get(f"/api/v1/clinics/{clinic.pk}/expiring-credentials/").json()["results"]
    assert [(row["name"], row["expires_on"], row["days_left"], row["expired"]) for row in rows] == [
        ("Certification expired", "2026-02-19", -10, True),
        ("Certification today", "2026-03-01", 0, False),
        ("Certification soon", "2026-03-31", 30, False),
        ("Certification in_90", "2026-05-30", 90, False),
    ]
    assert rows[0]["practitioner"]["name"] == "Dana Whitfield" and rows[0]["kind"] == "certification"


def test_the_window_is_a_parameter(client_for, clinic_user, clinic, expiring):
    url = f"/api/v1/clinics/{clinic.pk}/expiring-credentials/"
    rows = client_for(clinic_user).get(url, {"within_days": 0}).json()["results"]
    assert [row["days_left"] for row in rows] == [-10, 0]
    rows = client_for(clinic_user).get(url, {"within_days": 365}).json()["results"]
    assert [row["days_left"] for row in rows] == [-10, 0, 30, 90, 91]


@pytest.mark.parametrize(
    "params", [{"within_days": "soon"}, {"within_days": -1}, {"within_days": 99999}, {"within": 30}]
)
def test_a_bad_window_is_a_400_naming_the_parameter(client_for, clinic_user, clinic, params):
    response = client_for(clinic_user).get(f"/api/v1/clinics/{clinic.pk}/expiring-credentials/", params)
    assert response.status_code == 400 and set(response.json()["errors"]) == set(params)


def test_a_renewed_credential_is_left_out_and_a_pending_renewal_is_flagged(
    client_for, clinic_user, clinic, admin, today, practitioner
):
    old = verified(
        CredentialFactory(practitioner=practitioner, expires_on=today + datetime.timedelta(days=20)),
        by=admin,
        today=today,
    )
    url = f"/api/v1/clinics/{clinic.pk}/expiring-credentials/"
    renewal = CredentialFactory(practitioner=practitioner, issued_on=today, expires_on=datetime.date(2028, 3, 1))
    rows = client_for(clinic_user).get(url).json()["results"]
    assert [(row["id"], row["renewal_pending"]) for row in rows] == [(old.pk, True)]
    verified(renewal, by=admin, today=today)
    assert client_for(clinic_user).get(url).json()["results"] == []


def test_other_clinics_credentials_never_appear(client_for, clinic_user, clinic, other_clinic, admin, today):
    stranger = PractitionerFactory()
    listing_in("WA", practitioner=stranger, location_kwargs={"clinic": other_clinic})
    verified(
        CredentialFactory(practitioner=stranger, expires_on=today + datetime.timedelta(days=5)), by=admin, today=today
    )
    assert client_for(clinic_user).get(f"/api/v1/clinics/{clinic.pk}/expiring-credentials/").json()["results"] == []
