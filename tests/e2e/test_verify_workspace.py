"""The verification workspace in a real browser: an admin signs in, works the queue with the
document beside the fields, verifies with the keyboard, and meets someone else's decision."""

import datetime
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from credentials.models import Method, Status, Verification
from tests.credentials.factories import AdminFactory, CredentialFactory, listing_in, verified
from tests.factories import ClinicFactory, PractitionerFactory

from .conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct horse battery staple"


@pytest.fixture
def frozen_day():
    return datetime.date(2026, 3, 4)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def png(width=240, height=160) -> bytes:
    """A small striped PNG, made here so nothing is downloaded."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(
        b"\x00" + b"".join(bytes((20, 110, 110) if (x // 20 + y // 20) % 2 else (240, 240, 240)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture
def queue(today):
    clinic = ClinicFactory(name="Harbor Physical Therapy")
    practitioner = PractitionerFactory(name="Dana Whitfield")
    listing_in("WA", practitioner=practitioner, location_kwargs={"clinic": clinic})
    license_ = CredentialFactory(
        practitioner=practitioner, license_number="PT600123", document=SimpleUploadedFile("license.png", png())
    )
    training = CredentialFactory(
        practitioner=practitioner,
        training=True,
        document=SimpleUploadedFile("course.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    return license_, training


def sign_in(open_page, viewport=None):
    admin = AdminFactory(username="ines")
    admin.set_password(PASSWORD)
    admin.save()
    page = open_page("/verify/", **({"viewport": viewport} if viewport else {}))
    assert "/admin/login/" in page.url
    page.fill("#id_username", "ines")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("h1")).to_have_text("Verification queue")
    return page, admin


def test_verify_from_the_queue_with_the_keyboard(open_page, queue, screenshot):
    license_, training = queue
    page, admin = sign_in(open_page)
    rows = page.locator("tr.queue-item")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Dana Whitfield")
    screenshot(page, "verify-queue")

    rows.first.locator("a").click()
    expect(page.locator("h1")).to_contain_text("License")
    frame = page.locator("iframe.document")
    expect(frame).to_be_visible()
    assert frame.get_attribute("sandbox") == ""
    # The document beside the submitted fields, at desktop width.
    document_box = frame.bounding_box()
    fields_box = page.locator(".fields-pane").bounding_box()
    assert document_box["x"] + document_box["width"] <= fields_box["x"]
    expect(page.locator(".fields-pane")).to_contain_text("PT600123")
    image = page.frame_locator("iframe.document").locator("img")
    expect(image).to_be_visible()
    screenshot(page, "verify-credential")

    page.keyboard.press("v")
    expect(page.locator('input[name="action"][value="verify"]')).to_be_checked()
    expect(page.locator('select[name="method"]')).to_be_focused()
    page.select_option('select[name="method"]', Method.PRIMARY_SOURCE)
    page.keyboard.press("Control+Enter")

    # Next in queue: the training record.
    expect(page).to_have_url(f"{page.url.split('/verify/')[0]}/verify/credentials/{training.pk}/")
    expect(page.locator(".messages")).to_contain_text("verify recorded")
    license_.refresh_from_db()
    assert (license_.status, license_.method) == (Status.VERIFIED, Method.PRIMARY_SOURCE)
    assert Verification.objects.get(credential=license_).decided_by == admin


def test_someone_elses_decision_is_shown(open_page, queue, screenshot):
    license_, _ = queue
    page, _ = sign_in(open_page)
    page.goto(f"/verify/credentials/{license_.pk}/")
    # Another admin verifies the license while this one reads it.
    verified(license_, by=AdminFactory(username="marta"), today=datetime.date(2026, 3, 4))

    page.keyboard.press("r")
    expect(page.locator('textarea[name="reason"]')).to_be_focused()
    page.keyboard.type("The scan is unreadable")
    page.keyboard.press("Control+Enter")
    alert = page.locator("#conflict")
    expect(alert).to_contain_text("Someone else got here first: verify by marta")
    expect(page.locator("h1 .status")).to_have_text("Verified")
    screenshot(page, "verify-conflict")
    license_.refresh_from_db()
    assert license_.status == Status.VERIFIED
    assert list(Verification.objects.values_list("action", flat=True)) == ["verify"]


def test_the_workspace_at_phone_width(open_page, queue, screenshot):
    page, _ = sign_in(open_page, viewport=PHONE)
    page.locator("tr.queue-item a").first.click()
    expect(page.locator("#decision-form")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1
    screenshot(page, "verify-credential-phone")
