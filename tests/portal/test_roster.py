"""Roster import: a clinic's CSV of practitioners and licenses, previewed or applied
all or nothing, idempotent, and never a 500 whatever the file."""

import datetime
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from credentials.models import Credential, Kind, Status
from directory.models import Listing, Practitioner
from tests.credentials.factories import CredentialFactory, verified
from tests.factories import ListingFactory, LocationFactory, PractitionerFactory

pytestmark = pytest.mark.django_db

HEADER = "name,email,profession,npi,location,specialties,techniques,languages,license_state,license_number,license_issued,license_expiry"


@pytest.fixture
def downtown(clinic):
    return LocationFactory(clinic=clinic, name="Downtown", address="1200 3rd Ave", postal_code="98101")


@pytest.fixture
def ballard(clinic):
    return LocationFactory(clinic=clinic, name="Ballard", address="5400 Ballard Ave NW", postal_code="98107")


def csv_file(*rows, header=HEADER, encoding="utf-8") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


ROSTER = csv_file(
    "Rosa Delgado,rosa@harbor.example,PT,1234567893,Downtown;Ballard,neck-pain;Low back pain,intramuscular-stimulation,en;Spanish,WA,PT60012345,2016-05-01,2027-05-01",
    "Ken Ito,ken@harbor.example,DC,,1200 3rd Ave,headaches,,ja,,,,",
    "Mia Novak,,pt,,Ballard,,,,,,,",
)


def upload(client, clinic, content: bytes, *, dry_run=False, name="roster.csv"):
    return client.post(
        f"/api/v1/clinics/{clinic.pk}/roster-import/",
        {"file": SimpleUploadedFile(name, content, content_type="text/csv"), "dry_run": "true" if dry_run else "false"},
        format="multipart",
    )


def database_state():
    return (
        sorted(Practitioner.objects.values_list("name", "email", "npi", "profession", "updated_at")),
        sorted(Listing.objects.values_list("practitioner__name", "location_id")),
        sorted(Credential.objects.values_list("practitioner__name", "license_number", "status", "expires_on")),
    )


def test_a_dry_run_reports_row_by_row_and_writes_nothing(client_for, clinic_user, clinic, downtown, ballard, today):
    before = database_state()
    response = upload(client_for(clinic_user), clinic, ROSTER, dry_run=True)
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["dry_run"], body["applied"], body["created"], body["updated"], body["rejected"]) == (
        True,
        False,
        3,
        0,
        0,
    )
    assert [(row["line"], row["name"], row["action"], row["license"]) for row in body["rows"]] == [
        (2, "Rosa Delgado", "created", "submitted"),
        (3, "Ken Ito", "created", None),
        (4, "Mia Novak", "created", None),
    ]
    assert all(row["practitioner_id"] is None for row in body["rows"])
    assert database_state() == before


def test_a_real_run_creates_the_practitioners_their_listings_and_a_pending_license(
    client_for, clinic_user, clinic, downtown, ballard, today
):
    response = upload(client_for(clinic_user), clinic, ROSTER)
    assert response.status_code == 202, response.content
    assert (response.json()["applied"], response.json()["created"]) == (True, 3)
    rosa = Practitioner.objects.get(npi="1234567893")
    assert (rosa.name, rosa.email, rosa.profession) == ("Rosa Delgado", "rosa@harbor.example", "PT")
    assert sorted(rosa.listings.values_list("location_id", flat=True)) == sorted([downtown.pk, ballard.pk])
    assert sorted(rosa.specialties.values_list("slug", flat=True)) == ["low-back-pain", "neck-pain"]
    assert sorted(rosa.languages.values_list("code", flat=True)) == ["en", "es"]
    license_ = Credential.objects.get(practitioner=rosa)
    assert (license_.kind, license_.status, license_.jurisdiction, license_.license_number) == (
        Kind.LICENSE,
        Status.PENDING,
        "WA",
        "PT60012345",
    )
    assert (license_.issued_on, license_.expires_on, license_.profession) == (
        datetime.date(2016, 5, 1),
        datetime.date(2027, 5, 1),
        "PT",
    )
    assert Practitioner.objects.get(name="Mia Novak").profession == "PT"
    assert list(Practitioner.objects.get(name="Ken Ito").listings.values_list("location_id", flat=True)) == [
        downtown.pk
    ]


def test_importing_the_same_file_again_changes_nothing(client_for, clinic_user, clinic, downtown, ballard, today):
    client = client_for(clinic_user)
    assert upload(client, clinic, ROSTER).status_code == 202
    before = database_state()
    body = upload(client, clinic, ROSTER).json()
    assert (body["created"], body["updated"], body["unchanged"], body["rejected"]) == (0, 0, 3, 0)
    assert [row["license"] for row in body["rows"]] == ["unchanged", None, None]
    assert database_state() == before


def test_a_changed_row_updates_the_practitioner_it_matches(client_for, clinic_user, clinic, downtown, ballard, today):
    client = client_for(clinic_user)
    upload(client, clinic, ROSTER)
    changed = csv_file("Rosa Delgado-Ruiz,rosa@harbor.example,PT,1234567893,Ballard,,,,,,,")
    body = upload(client, clinic, changed).json()
    assert [(row["action"], row["name"]) for row in body["rows"]] == [("updated", "Rosa Delgado-Ruiz")]
    rosa = Practitioner.objects.get(npi="1234567893")
    assert rosa.name == "Rosa Delgado-Ruiz"
    assert list(rosa.listings.values_list("location_id", flat=True)) == [ballard.pk]
    # Blank optional cells leave what is stored.
    assert sorted(rosa.specialties.values_list("slug", flat=True)) == ["low-back-pain", "neck-pain"]


def test_a_new_expiry_on_a_verified_license_sends_it_back_to_pending(
    client_for, clinic_user, clinic, downtown, admin, today
):
    rosa = ListingFactory(
        location=downtown, practitioner=PractitionerFactory(name="Rosa Delgado", npi="1234567893")
    ).practitioner
    license_ = verified(
        CredentialFactory(practitioner=rosa, license_number="PT60012345", issued_on=datetime.date(2016, 5, 1)),
        by=admin,
        today=today,
    )
    renewed = csv_file("Rosa Delgado,,PT,1234567893,Downtown,,,,WA,PT60012345,2016-05-01,05/01/2029")
    body = upload(client_for(clinic_user), clinic, renewed).json()
    assert [(row["action"], row["license"]) for row in body["rows"]] == [("updated", "updated")]
    license_.refresh_from_db()
    assert (license_.status, license_.expires_on) == (Status.PENDING, datetime.date(2029, 5, 1))
    assert license_.verifications.order_by("-id").first().action == "resubmit"


def test_one_bad_row_and_nothing_is_written_with_every_rejected_line_and_reason(
    client_for, clinic_user, clinic, downtown, ballard, today
):
    content = csv_file(
        "Rosa Delgado,rosa@harbor.example,PT,1234567893,Downtown,,,,,,,",
        "Ken Ito,ken@harbor.example,Wizard,,Downtown,,,,,,,",
        "Mia Novak,,PT,,Moon Base,,,,,,,",
        "Lee Park,,PT,1234567890,Downtown,,,,,,,",
        "Ana Silva,,PT,,Downtown,not-a-condition,,,,,,",
        "Bo Chen,,PT,,Downtown,,,,WA,PT1,,2027-01-01",
        "Cy Roe,,PT,,Downtown,,,,WA,PT2,2020-01-01,31.12.2027",
        "Rosa Delgado,rosa@harbor.example,PT,1234567893,Ballard,,,,,,,",
        "Too,Few",
    )
    before = database_state()
    response = upload(client_for(clinic_user), clinic, content)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "rejected"
    assert body["applied"] is False and body["rejected"] == 8
    rejected = {row["line"]: row["reason"] for row in body["rows"] if row["action"] == "rejected"}
    assert sorted(rejected) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert rejected[3].startswith("profession: unknown 'Wizard'")
    assert rejected[4].startswith("location: 'Moon Base' is not one of this clinic's locations")
    assert "npi" in rejected[5] and "check digit" in rejected[5]
    assert rejected[6] == "specialties: unknown 'not-a-condition'."
    assert rejected[7].endswith("missing: license_issued.")
    assert rejected[8] == "license_expiry: '31.12.2027' is not a date (YYYY-MM-DD or MM/DD/YYYY)."
    assert rejected[9] == "The same practitioner as line 2 (npi)."
    assert rejected[10] == "Expected 12 cells, found 2."
    assert body["errors"]["file"][0].startswith("Line 3: profession")
    assert database_state() == before


def test_an_npi_of_another_clinics_practitioner_is_rejected(
    client_for, clinic_user, clinic, downtown, other_clinic, today
):
    ListingFactory(
        location=LocationFactory(clinic=other_clinic), practitioner=PractitionerFactory(name="Theirs", npi="1234567893")
    )
    body = upload(client_for(clinic_user), clinic, csv_file("Rosa Delgado,,PT,1234567893,Downtown,,,,,,,")).json()
    assert body["rows"][0]["action"] == "rejected" and "another clinic" in body["rows"][0]["reason"]
    assert Practitioner.objects.get(npi="1234567893").name == "Theirs"


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://evil.example","x")', "+1+2", "-3+4", "@SUM(A1:A2)"])
def test_a_formula_looking_cell_is_stored_as_text(client_for, clinic_user, clinic, downtown, today, cell):
    quoted = '"' + cell.replace('"', '""') + '"'
    response = upload(client_for(clinic_user), clinic, csv_file(f"{quoted},,PT,,Downtown,,,,,,,"))
    assert response.status_code == 202, response.content
    assert Practitioner.objects.get().name == cell


@pytest.mark.parametrize(
    ("persona", "expected"), [("admin", 202), ("clinic", 202), ("other_clinic", 404), ("anonymous", 401)]
)
def test_importing_is_for_the_clinic(personas, clinic, downtown, ballard, today, persona, expected):
    response = upload(personas[persona], clinic, ROSTER)
    assert response.status_code == expected
    assert Practitioner.objects.count() == (3 if expected == 202 else 0)


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        ("Rosa,PT,Downtown\n".encode("utf-16"), 400, "not UTF-8"),
        (csv_file("Zoë Müller,,PT,,Downtown,,,,,,,", encoding="latin-1"), 400, "not UTF-8"),
        (b"%PDF-1.4\x00\x00binary", 400, "NUL bytes"),
        (b'name,profession,location\n"Rosa,PT,Downtown\n', 400, "malformed"),
        (b"name,profession\nRosa,PT\n", 400, "missing column(s): location"),
        (b"name,profession,location,favourite_colour\nRosa,PT,1,blue\n", 400, "unknown column(s): favourite_colour"),
        (b"name,profession,location,name\n", 400, "repeated column(s): name"),
        (b"name,profession,location\n", 400, "no practitioners"),
    ],
)
def test_a_bad_file_is_a_clear_4xx_naming_file_and_nothing_is_written(
    client_for, clinic_user, clinic, downtown, today, content, status, message
):
    response = upload(client_for(clinic_user), clinic, content)
    assert response.status_code == status, response.content
    assert message in response.json()["errors"]["file"][0]
    assert Practitioner.objects.count() == 0


def test_an_empty_upload_is_a_400(client_for, clinic_user, clinic, today):
    response = upload(client_for(clinic_user), clinic, b"")
    assert response.status_code == 400 and "file" in response.json()["errors"]


def test_a_100000_row_file_is_refused_before_any_row_is_applied(
    client_for, clinic_user, clinic, downtown, today, settings
):
    settings.ROSTER_MAX_BYTES = 50 * 1024 * 1024  # the row limit, not the size limit, is what this file meets
    rows = [f"Person {n},,PT,,Downtown,,,,,,," for n in range(100_000)]
    response = upload(client_for(clinic_user), clinic, csv_file(*rows))
    assert response.status_code == 413
    assert response.json()["errors"]["file"] == [f"The file has more than {settings.ROSTER_MAX_ROWS} rows; split it."]
    assert Practitioner.objects.count() == 0


def test_a_file_over_the_size_limit_is_a_413(client_for, clinic_user, clinic, downtown, today, settings):
    settings.ROSTER_MAX_BYTES = 1024
    response = upload(
        client_for(clinic_user), clinic, csv_file(*[f"Person {n},,PT,,Downtown,,,,,,," for n in range(100)])
    )
    assert response.status_code == 413 and "file" in response.json()["errors"]


def test_the_command_imports_with_a_progress_bar_and_a_dry_run(clinic, downtown, ballard, tmp_path, capsys, today):
    path = tmp_path / "roster.csv"
    path.write_bytes(ROSTER)
    call_command("import_roster", str(path), "--clinic", str(clinic.pk), "--dry-run")
    out, err = capsys.readouterr()
    assert "Dry run, nothing written: 3 created, 0 updated, 0 unchanged, 0 rejected." in out
    assert "3/3" in err  # tqdm's bar
    assert Practitioner.objects.count() == 0

    call_command("import_roster", str(path), "--clinic", str(clinic.pk))
    assert "Imported into 'Harbor Physical Therapy': 3 created" in capsys.readouterr().out
    assert Practitioner.objects.count() == 3


def test_the_command_names_what_is_wrong(clinic, downtown, tmp_path, today):
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_file("Rosa,,Wizard,,Downtown,,,,,,,"))
    with pytest.raises(CommandError, match="--clinic: no clinic with id 999999"):
        call_command("import_roster", str(path), "--clinic", "999999")
    with pytest.raises(CommandError, match="Nothing imported: 0 created, 0 updated, 0 unchanged, 1 rejected"):
        call_command("import_roster", str(path), "--clinic", str(clinic.pk))
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_roster", str(tmp_path / "missing.csv"), "--clinic", str(clinic.pk))


def test_the_command_takes_a_longer_file_with_max_rows(clinic, downtown, tmp_path, settings, today):
    settings.ROSTER_MAX_ROWS = 2
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_file(*[f"Person {n},,PT,,Downtown,,,,,,," for n in range(3)]))
    with pytest.raises(CommandError, match="more than 2 rows"):
        call_command("import_roster", str(path), "--clinic", str(clinic.pk))
    call_command("import_roster", str(path), "--clinic", str(clinic.pk), "--max-rows", "3")
    assert Practitioner.objects.count() == 3


# --- imports run as jobs ------------------------------------------------------------------


def test_an_upload_answers_202_with_the_job_to_poll(client_for, clinic_user, clinic, downtown, ballard, today):
    client = client_for(clinic_user)
    response = upload(client, clinic, ROSTER, dry_run=True)
    assert response.status_code == 202
    job = response.json()
    assert response["Location"] == job["url"] == f"/api/v1/clinics/{clinic.pk}/roster-imports/{job['id']}/"
    # Without a broker the job ran in-process before the answer; polling gives the same.
    polled = client.get(job["url"])
    assert polled.status_code == 200
    assert polled.json() == job
    assert (job["status"], job["rows_total"], job["rows_done"], job["created"]) == ("done", 3, 3, 3)


def test_another_clinics_import_job_is_a_404(client_for, clinic_user, other_clinic_user, clinic, downtown, today):
    job = upload(client_for(clinic_user), clinic, ROSTER, dry_run=True).json()
    assert client_for(other_clinic_user).get(job["url"]).status_code == 404
    assert client_for(None).get(job["url"]).status_code == 401


def test_a_queued_job_runs_once_however_often_its_task_is_delivered(clinic, downtown, ballard, clinic_user, today):
    from portal import services
    from portal.models import RosterImport

    with mock.patch("portal.tasks.run_roster_import.delay"):  # the broker has it, no worker yet
        job = services.roster_import_start(
            clinic=clinic, content=ROSTER, dry_run=False, user=clinic_user, file_name="roster.csv", today=today
        )
    assert RosterImport.objects.get(pk=job.pk).status == "queued"
    assert services.rows_done(job) == 0

    assert services.roster_import_run(job_id=job.pk, today=today).status == "done"
    assert services.roster_import_run(job_id=job.pk, today=today).status == "done"  # a duplicate delivery
    assert Practitioner.objects.count() == 3
    assert RosterImport.objects.get(pk=job.pk).report["created"] == 3


def test_a_mixed_file_creates_in_bulk_updates_one_by_one_and_keeps_every_rule(
    client_for, clinic_user, clinic, downtown, ballard, today
):
    client = client_for(clinic_user)
    assert upload(client, clinic, ROSTER).json()["created"] == 3
    content = csv_file(
        # Ken changes (another location); Rosa is as she was; two new people whose names make one slug.
        "Ken Ito,ken@harbor.example,DC,,Ballard,headaches,,ja,,,,",
        "Rosa Delgado,rosa@harbor.example,PT,1234567893,Downtown;Ballard,neck-pain;Low back pain,intramuscular-stimulation,en;Spanish,WA,PT60012345,2016-05-01,2027-05-01",
        "Sam Lee,sam.one@harbor.example,PT,,Downtown,,,,WA,PT70000001,2019-01-01,2027-01-01",
        "Sam Lée,sam.two@harbor.example,PT,,Ballard,,,,,,,",
    )
    body = upload(client, clinic, content).json()
    assert [(row["name"], row["action"], row["license"]) for row in body["rows"]] == [
        ("Ken Ito", "updated", None),
        ("Rosa Delgado", "unchanged", "unchanged"),
        ("Sam Lee", "created", "submitted"),
        ("Sam Lée", "created", None),
    ]
    ken = Practitioner.objects.get(name="Ken Ito")
    assert list(ken.listings.values_list("location_id", flat=True)) == [ballard.pk]
    sams = Practitioner.objects.filter(name__in=["Sam Lee", "Sam Lée"]).order_by("id")
    assert [sam.slug for sam in sams] == ["sam-lee", "sam-lee-2"]
    assert [row["practitioner_id"] for row in body["rows"][2:]] == [sam.pk for sam in sams]
    first = sams[0].listings.get()
    assert (first.location_id, first.point, first.state) == (downtown.pk, downtown.point, "WA")
    license_ = Credential.objects.get(practitioner=sams[0])
    assert (license_.status, license_.license_number, license_.profession) == (Status.PENDING, "PT70000001", "PT")
    assert not Credential.objects.filter(practitioner=sams[1]).exists()


def test_a_later_row_naming_a_new_practitioner_of_an_earlier_row_is_rejected(
    client_for, clinic_user, clinic, downtown, today
):
    content = csv_file(
        "Sam Lee,sam.one@harbor.example,PT,,Downtown,,,,,,,",
        "Sam Lee,sam.two@harbor.example,PT,,Downtown,,,,,,,",
    )
    body = upload(client_for(clinic_user), clinic, content).json()
    assert body["status"] == "rejected"
    assert body["rows"][1]["reason"] == "The same practitioner as line 2 (name)."
    assert not Practitioner.objects.exists()
