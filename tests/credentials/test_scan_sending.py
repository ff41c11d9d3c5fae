"""Sending the scan's digests while other things happen (a scan filing items into a digest
being sent, a failure before the mail server is reached), and what admins see of them."""

import datetime
import threading

import pytest
from django.core import mail
from django.db import DatabaseError, connection

from credentials.expiry import scan
from credentials.expiry.models import ClinicDigest, DigestStatus, ExpiryNotification
from tests.credentials.factories import (
    TODAY,
    AdminFactory,
    CredentialFactory,
    MembershipFactory,
    UserFactory,
    listing_in,
    verified,
)
from tests.factories import ClinicFactory, PractitionerFactory

DAY = TODAY


def days(n):
    return DAY + datetime.timedelta(days=n)


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def practitioner_at(clinic, name, *, expires_in, license_number):
    """A practitioner listed at the clinic with a verified license expiring in `expires_in` days."""
    practitioner = PractitionerFactory(name=name)
    listing_in("WA", practitioner=practitioner, location_kwargs={"clinic": clinic})
    credential = CredentialFactory(
        practitioner=practitioner, expires_on=days(expires_in), license_number=license_number
    )
    verified(credential, by=AdminFactory(), today=DAY)
    return practitioner


def in_thread(work, errors):
    """Run `work` in a thread with its own database connection (closed at the end)."""

    def run():
        try:
            work()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_digest_sent_while_a_scan_files_more_items_into_it_mails_them_all(monkeypatch):
    clinic = ClinicFactory(name="Harbor Physical Therapy")
    MembershipFactory(clinic=clinic, role="owner", user=UserFactory(username="olga", email="olga@harbor.example"))
    practitioner_at(clinic, "Dana Whitfield", expires_in=30, license_number="PT600001")
    scan.credentials_scan(today=DAY)  # the day's digest, waiting for a sender
    digest = ClinicDigest.objects.get()
    # Later that day a colleague is listed with a license about to expire, and the scan
    # is run again: it files her license into the digest not yet sent.
    practitioner_at(clinic, "Ken Ito", expires_in=5, license_number="PT600002")

    filed, resume = threading.Event(), threading.Event()
    real_deliver = scan._notice_and_deliver

    def deliver_then_pause(day, **kwargs):
        created = real_deliver(day, **kwargs)
        filed.set()
        assert resume.wait(30)
        return created

    monkeypatch.setattr(scan, "_notice_and_deliver", deliver_then_pause)
    errors = []
    scanner = in_thread(lambda: scan.credentials_scan(today=DAY), errors)
    assert filed.wait(30)
    # A send task picks the digest up while the scan has filed Ken's license but not committed.
    sender = in_thread(lambda: scan.digest_send(digest_id=digest.pk), errors)
    sender.join(1)
    resume.set()
    scanner.join(30)
    sender.join(30)

    assert errors == [] and not scanner.is_alive() and not sender.is_alive()
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "Dana Whitfield" in body and "Ken Ito" in body
    assert mail.outbox[0].subject == "2 credentials at Harbor Physical Therapy need attention"
    # Nothing is left filed under a digest that went out without it.
    assert list(ClinicDigest.objects.values_list("status", "notifications")) == [
        (DigestStatus.SENT, sorted(ExpiryNotification.objects.values_list("pk", flat=True)))
    ]


@pytest.mark.django_db
def test_a_digest_that_fails_before_reaching_the_mail_server_goes_back_to_pending_for_the_retry(monkeypatch):
    clinic = ClinicFactory(name="Harbor Physical Therapy")
    MembershipFactory(clinic=clinic, user=UserFactory(username="kim", email="kim@harbor.example"))
    practitioner_at(clinic, "Dana Whitfield", expires_in=30, license_number="PT600001")
    scan.credentials_scan(today=DAY)
    digest = ClinicDigest.objects.get()

    def lost_connection(digest):
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(scan, "digest_lines", lost_connection)
    with pytest.raises(DatabaseError):
        scan.digest_send(digest_id=digest.pk)
    digest.refresh_from_db()
    assert (digest.status, digest.attempts, mail.outbox) == (DigestStatus.PENDING, 1, [])
    assert "server closed the connection" in digest.last_error

    monkeypatch.undo()
    # The task's retry, a minute later: well within the claim's lease, and it sends.
    assert scan.digest_send(digest_id=digest.pk) is True
    digest.refresh_from_db()
    assert (digest.status, digest.attempts, len(mail.outbox)) == (DigestStatus.SENT, 2, 1)
    assert "Dana Whitfield" in mail.outbox[0].body


@pytest.mark.django_db
def test_an_admin_sees_which_credentials_each_digest_listed(client):
    harbor = ClinicFactory(name="Harbor Physical Therapy")
    MembershipFactory(clinic=harbor, user=UserFactory(username="kim", email="kim@harbor.example"))
    elsewhere = ClinicFactory(name="Elsewhere Spine Center")
    MembershipFactory(clinic=elsewhere, user=UserFactory(username="lee", email="lee@elsewhere.example"))
    practitioner_at(harbor, "Dana Whitfield", expires_in=30, license_number="PT600001")
    practitioner_at(harbor, "Ken Ito", expires_in=-2, license_number="PT600002")
    practitioner_at(elsewhere, "Theirs Only", expires_in=7, license_number="PT600003")
    scan.credentials_scan(today=DAY)
    scan.digest_send(digest_id=ClinicDigest.objects.get(clinic=harbor).pk)

    client.force_login(AdminFactory(username="on-call"))
    page = client.get(f"/admin/credentials/clinicdigest/{ClinicDigest.objects.get(clinic=harbor).pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "kim@harbor.example" in html and "Dana Whitfield" in html and "Ken Ito" in html
    assert "Expires within 30 days" in html and "Expired" in html and "2026-03-31" in html
    assert "Theirs Only" not in html
    # Read-only: nothing on the page can change what was recorded.
    assert 'name="_save"' not in html
    assert client.post(page.request["PATH_INFO"], {}).status_code == 403
