"""The clinic workspace in a real browser: a new clinic manager signs in, adds a location and
a therapist, submits a license and a training record with their documents, sees them pending
verification; an admin verifies them (through the credential services); the therapist is
then listed as qualified and found by the public search. Then a roster with one bad row and
a consultation request. Screenshots at desktop and phone width."""

import pytest
from playwright.sync_api import expect

from credentials import services as credential_services
from credentials.models import Credential, Method
from directory import services as directory_services
from directory.models import ClinicMembership, Location, Practitioner
from portal.models import RosterImport
from tests.credentials.factories import AdminFactory, MembershipFactory, UserFactory
from tests.factories import ClinicFactory

from .conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "a clinic manager's passphrase"  # noqa: S105 (a test account's)


@pytest.fixture
def manager(today, settings):
    # The live server speaks plain HTTP.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    clinic = ClinicFactory(name="Lakeside Movement Clinic")
    user = UserFactory(username="morgan", email="morgan@lakeside.example")
    user.set_password(PASSWORD)
    user.save()
    MembershipFactory(clinic=clinic, user=user, role=ClinicMembership.Role.OWNER)
    return clinic


@pytest.fixture
def documents(tmp_path):
    pdf = tmp_path / "license.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% a scanned license\n%%EOF\n")
    png = tmp_path / "certificate.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    text = tmp_path / "notes.txt"
    text.write_text("not a document")
    return {"pdf": str(pdf), "png": str(png), "txt": str(text)}


def sign_in(page):
    page.fill("#id_username", "morgan")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_new_clinic_manager_lists_a_qualified_therapist(open_page, manager, documents, screenshot, today):
    clinic = manager
    page = open_page("/clinic/")
    # With the keyboard only.
    page.focus("#id_username")
    page.keyboard.type("morgan")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Lakeside Movement Clinic")
    expect(page.locator("#count-therapists")).to_have_text("0")

    # A location, at its ZIP code's centre.
    page.click("text=Add a location")
    page.fill("#id_name", "Downtown")
    page.fill("#id_address", "1200 5th Ave")
    page.select_option("#id_state", "WA")
    page.fill("#id_postal_code", "98101")
    page.click("button:has-text('Add the location')")
    expect(page.locator(".flash")).to_contain_text("The location was added.")
    expect(page.locator("#location-map .pin")).to_have_count(1)
    screenshot(page, "clinic-location-desktop")
    location = Location.objects.get(clinic=clinic)
    assert location.city == "Seattle"

    # A therapist at that location; a mistake first, shown next to its field.
    page.click(".clinic-nav >> text=Therapists")
    page.click("text=Add a therapist")
    page.fill("#id_name", "Riley Chen")
    page.select_option("#id_profession", "PT")
    page.fill("#id_years_dry_needling", "5")
    page.click("button:has-text('Add the therapist')")
    expect(page.locator("#id_locations-errors")).to_contain_text("This field is required.")
    page.check("label:has-text('Downtown') input")
    page.check("label:has-text('Neck pain') input")
    page.click("button:has-text('Add the therapist')")
    expect(page.locator("h1")).to_have_text("Riley Chen")
    expect(page.locator("#listings")).to_contain_text("Not listed as qualified in Washington")
    therapist = Practitioner.objects.get(name="Riley Chen")

    # A license with its PDF; the wrong kind of file is refused before upload.
    page.click("text=Submit a license")
    page.fill("#id_issuer", "Washington State Department of Health")
    expect(page.locator("#id_jurisdiction")).to_have_value("WA")
    page.fill("#id_license_number", "PT60712345")
    page.fill("#id_issued_on", "2019-06-01")
    page.fill("#id_expires_on", "2027-12-31")
    page.set_input_files("#id_document", documents["txt"])
    expect(page.locator("#id_document-errors")).to_have_text("Choose a PDF, PNG or JPEG document.")
    page.click("button:has-text('Submit for verification')")
    expect(page.locator("h1")).to_contain_text("Submit a license")  # the browser did not send it
    page.set_input_files("#id_document", documents["pdf"])
    expect(page.locator("#id_document-errors")).to_be_hidden()
    expect(page.locator("#dropzone-file")).to_contain_text("license.pdf")
    screenshot(page, "clinic-credential-form-desktop")
    page.click("button:has-text('Submit for verification')")
    expect(page.locator("#credential-status")).to_contain_text("Pending verification")

    # A training record, its certificate dropped onto the drop zone.
    page.click("text=← Riley Chen")
    page.click("text=Submit a training record")
    page.fill("#id_name", "Dry Needling Level 1 and 2")
    page.fill("#id_issuer", "Northwest Needling Institute")
    page.fill("#id_hours", "60")
    page.fill("#id_issued_on", "2021-04-10")
    drop_file(page, "#dropzone", "certificate.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    expect(page.locator("#dropzone-file")).to_contain_text("certificate.png")
    page.click("button:has-text('Submit for verification')")
    expect(page.locator("#credential-status")).to_contain_text("Pending verification")
    page.click("text=← Riley Chen")
    expect(page.locator("#credentials")).to_contain_text("Pending verification")
    expect(page.locator("#listings")).to_contain_text("(one is pending verification)")
    expect(page.locator("#listings")).to_contain_text("+ 60 pending")
    assert all(credential.document for credential in Credential.objects.filter(practitioner=therapist))

    # An admin verifies both through the credential services.
    admin = AdminFactory(username="verifier")
    for credential in Credential.objects.filter(practitioner=therapist):
        credential_services.credential_verify(
            credential=credential, decided_by=admin, method=Method.DOCUMENT_REVIEW, today=today
        )
    page.reload()
    expect(page.locator("#listings")).to_contain_text("Listed as qualified")
    expect(page.locator("#credentials")).to_contain_text("Verified")
    screenshot(page, "clinic-therapist-desktop")
    page.click("#credentials >> text=Physical therapist license")  # its page: the history
    expect(page.locator("#history")).to_contain_text("verifier")
    expect(page.locator("#history")).to_contain_text("Document review")

    page.click(".clinic-nav >> text=Lakeside Movement Clinic")
    expect(page.locator("#count-qualified")).to_have_text("1")
    screenshot(page, "clinic-dashboard-desktop")

    # Patients find them.
    search = open_page("/")
    search.fill("#place", "98101")
    search.click("button[type=submit]")
    expect(search.locator("#results li h2 a")).to_have_text(["Riley Chen"])


def drop_file(page, selector, name, mime, content: bytes):
    """Drop a file on an element, as dragging it from the desktop does."""
    page.evaluate(
        """([selector, name, mime, bytes]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], name, { type: mime }));
            const target = document.querySelector(selector);
            target.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
            target.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }""",
        [selector, name, mime, list(content)],
    )


def test_a_roster_with_a_bad_row_and_a_consultation_request(open_page, manager, screenshot, tmp_path, today):
    clinic = manager
    location = directory_services.location_create(
        clinic=clinic, name="Downtown", address="1200 5th Ave", state="WA", postal_code="98101"
    )
    therapist = directory_services.practitioner_create(
        clinic=clinic, name="Sam Okafor", profession="DC", locations=[location]
    )
    directory_services.consultation_request_create(
        practitioner=therapist,
        location=location,
        name="Jamie Patient",
        email="jamie@example.com",
        message="Stiff shoulder since the winter.",
    )
    roster = tmp_path / "team.csv"
    roster.write_text(
        "name,profession,location,email\nAvery Lane,PT,Downtown,avery@example.com\nBo Stone,Plumber,Downtown,\n"
    )

    page = open_page("/clinic/", viewport=PHONE)
    sign_in(page)
    expect(page.locator("#count-requests")).to_have_text("1")
    no_sideways_scroll(page)
    screenshot(page, "clinic-dashboard-phone")

    page.goto(f"/clinic/{clinic.pk}/roster/")
    with page.expect_download() as download:
        page.click("text=Download the template CSV")
    assert download.value.suggested_filename == "roster-template.csv"
    page.set_input_files("#id_file", str(roster))
    page.click("button:has-text('Check the file')")
    report = page.locator("#report")
    expect(report.locator("tr.result-created")).to_contain_text("Avery Lane")
    rejected = report.locator("tr.result-rejected")
    expect(rejected).to_contain_text("Bo Stone")
    expect(rejected).to_contain_text("Plumber")
    expect(page.get_by_role("alert")).to_contain_text("1 row cannot be imported")
    no_sideways_scroll(page)
    screenshot(page, "clinic-roster-report-phone")
    assert not Practitioner.objects.filter(name="Avery Lane").exists()

    # A job a worker is running: the page follows it until its report is in.
    job = RosterImport.objects.create(
        clinic=clinic, file_name="big.csv", content=b"", dry_run=True, rows_total=1, status=RosterImport.Status.RUNNING
    )
    page.goto(f"/clinic/{clinic.pk}/roster/{job.pk}/")
    expect(page.locator("#job-status")).to_contain_text("Running")
    expect(page.locator("#job-progress")).to_be_visible()
    report = {
        "dry_run": True,
        "applied": False,
        "created": 0,
        "updated": 0,
        "unchanged": 1,
        "rejected": 0,
        "rows": [
            {
                "line": 2,
                "name": "Sam Okafor",
                "action": "unchanged",
                "practitioner_id": therapist.pk,
                "license": None,
                "reason": "",
            }
        ],
    }
    RosterImport.objects.filter(pk=job.pk).update(status=RosterImport.Status.DONE, report=report)
    expect(page.locator("#report tr.result-unchanged")).to_contain_text("Sam Okafor", timeout=15_000)
    expect(page.locator("#job-status")).to_have_text("Done")

    page.goto(f"/clinic/{clinic.pk}/requests/")
    request = page.locator("#requests li")
    expect(request).to_contain_text("Jamie Patient")
    expect(request).to_contain_text("jamie@example.com")
    expect(request).to_contain_text("Stiff shoulder since the winter.")
    no_sideways_scroll(page)
    screenshot(page, "clinic-requests-phone")
    page.click("button:has-text('Mark as contacted')")
    expect(page.locator("#requests li")).to_contain_text("Contacted")

    page.goto(f"/clinic/{clinic.pk}/therapists/{therapist.pk}/")
    no_sideways_scroll(page)
    screenshot(page, "clinic-therapist-phone")
    expect(page.locator("#listings")).to_contain_text("Needs a verified DC license from Washington.")

    # Keyboard: the sign-out button is reachable and works.
    page.locator("button:has-text('Sign out')").focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Sign in to your clinic")
