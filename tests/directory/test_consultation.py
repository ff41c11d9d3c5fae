"""Consultation requests: a patient asks a practitioner's clinic for a consultation, the clinic is mailed."""

import smtplib
from unittest import mock

import pytest
from django.core import mail
from rest_framework.throttling import ScopedRateThrottle

from directory import tasks
from directory.models import ConsultationRequest
from tests.credentials.factories import MembershipFactory, UserFactory
from tests.factories import ClinicFactory, ListingFactory, LocationFactory, PractitionerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/consultation-requests/"


@pytest.fixture
def listing():
    clinic = ClinicFactory(name="Harbor Physical Therapy", email="front-desk@harbor.example")
    MembershipFactory(clinic=clinic, user=UserFactory(username="owner", email="owner@harbor.example"))
    MembershipFactory(clinic=clinic, user=UserFactory(username="staff", email="staff@harbor.example"))
    MembershipFactory(clinic=clinic, user=UserFactory(username="no-email", email=""))
    location = LocationFactory(clinic=clinic, address="1200 Pike St")
    return ListingFactory(
        location=location, practitioner=PractitionerFactory(name="Dana Whitfield", slug="dana-whitfield")
    )


@pytest.fixture
def send(api, django_capture_on_commit_callbacks):
    """POST a request, running what is enqueued on commit (the notification) as the real request would."""

    def post(body, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return api.post(URL, body, format="json", **extra)

    return post


def valid_body(listing, **changes):
    body = {
        "practitioner": listing.practitioner.slug,
        "location": listing.location.id,
        "name": "Pat Jones",
        "email": "pat@example.com",
        "phone": "(206) 555-0100",
        "message": "Tight shoulders after a desk job; is dry needling worth a try?",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def test_a_valid_request_is_stored_and_mails_the_clinics_members(send, listing):
    response = send(valid_body(listing))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["practitioner"] == "dana-whitfield"
    assert body["location"] == listing.location.id
    assert "Harbor Physical Therapy" in body["detail"]
    # The answer carries none of the patient's details.
    assert "pat@example.com" not in response.content.decode()
    stored = ConsultationRequest.objects.get()
    assert (stored.name, stored.email, stored.phone) == ("Pat Jones", "pat@example.com", "(206) 555-0100")
    assert stored.notified_at is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["owner@harbor.example", "staff@harbor.example"]
    assert message.reply_to == ["pat@example.com"]
    assert "Dana Whitfield" in message.subject
    assert "Tight shoulders after a desk job" in message.body
    assert "(206) 555-0100" in message.body
    assert "1200 Pike St" in message.body


def test_a_clinic_without_members_with_email_is_mailed_at_its_own_address(send):
    location = LocationFactory(clinic=ClinicFactory(email="hello@solo.example"))
    listing = ListingFactory(location=location)

    response = send(valid_body(listing, email="", phone="206 555 0101"))

    assert response.status_code == 201, response.json()
    assert [m.to for m in mail.outbox] == [["hello@solo.example"]]
    assert mail.outbox[0].reply_to == []
    assert "206 555 0101" in mail.outbox[0].body


def test_a_clinic_with_no_address_at_all_leaves_the_request_waiting_to_be_notified(send):
    listing = ListingFactory(location=LocationFactory(clinic=ClinicFactory(email="")))

    response = send(valid_body(listing))

    assert response.status_code == 201
    assert mail.outbox == []
    assert ConsultationRequest.objects.get().notified_at is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"practitioner": None}, "practitioner"),
        ({"practitioner": "nobody-here"}, "practitioner"),
        ({"location": None}, "location"),
        ({"location": 999999}, "location"),
        ({"location": "first"}, "location"),
        ({"name": None}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"email": "pat.example.com"}, "email"),
        ({"phone": "call me maybe"}, "phone"),
        ({"phone": "555-0100"}, "phone"),
        ({"message": None}, "message"),
        ({"message": ""}, "message"),
        ({"message": "x" * 2001}, "message"),
    ],
)
def test_a_bad_field_is_a_400_naming_it_and_nothing_is_stored_or_sent(send, listing, changes, field):
    response = send(valid_body(listing, **changes))

    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert field in response.json()["detail"]
    assert not ConsultationRequest.objects.exists()
    assert mail.outbox == []


def test_neither_email_nor_phone_is_a_400_naming_both(send, listing):
    response = send(valid_body(listing, email="", phone=""))

    assert response.status_code == 400
    assert {"email", "phone"} <= set(response.json()["errors"])
    assert not ConsultationRequest.objects.exists()
    assert mail.outbox == []


def test_another_practitioners_location_is_a_400_naming_location(send, listing):
    elsewhere = ListingFactory()  # another practitioner at another clinic's location

    response = send(valid_body(listing, location=elsewhere.location.id))

    assert response.status_code == 400
    assert "not listed at this location" in response.json()["errors"]["location"][0]
    assert not ConsultationRequest.objects.exists()
    assert mail.outbox == []


def test_requests_beyond_the_rate_get_429_with_retry_after_per_client(send, listing):
    rates = {"anon": "1000/minute", "user": "1000/minute", "consultation_requests": "2/hour"}
    with mock.patch.object(ScopedRateThrottle, "THROTTLE_RATES", rates):
        statuses = [send(valid_body(listing), REMOTE_ADDR="203.0.113.7").status_code for _ in range(3)]
        throttled = send(valid_body(listing), REMOTE_ADDR="203.0.113.7")
        other_client = send(valid_body(listing), REMOTE_ADDR="198.51.100.9")

    assert statuses == [201, 201, 429]
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert other_client.status_code == 201
    assert ConsultationRequest.objects.count() == 3
    assert len(mail.outbox) == 3


def test_the_default_rate_is_five_an_hour(send, listing):
    statuses = [send(valid_body(listing)).status_code for _ in range(6)]

    assert statuses == [201] * 5 + [429]


def test_a_repeated_notification_mails_once(send, listing):
    send(valid_body(listing))
    request = ConsultationRequest.objects.get()

    assert tasks.consultation_request_notify.delay(request.pk).get() == 0

    assert len(mail.outbox) == 1


def test_a_failed_send_leaves_the_request_unnotified_and_a_retry_mails_it(send, listing):
    failing = mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=smtplib.SMTPServerDisconnected("mail server went away"),
    )
    with failing, mock.patch.object(tasks.consultation_request_notify, "max_retries", 0):
        response = send(valid_body(listing))

    # The patient's request is stored and confirmed even though the mail server failed.
    assert response.status_code == 201
    request = ConsultationRequest.objects.get()
    assert request.notified_at is None
    assert mail.outbox == []

    assert tasks.consultation_request_notify.delay(request.pk).get() == 2

    request.refresh_from_db()
    assert request.notified_at is not None
    assert len(mail.outbox) == 1


def test_admins_list_requests_but_cannot_add_or_change_them(admin_client, send, listing):
    send(valid_body(listing))
    request = ConsultationRequest.objects.get()

    listed = admin_client.get("/admin/directory/consultationrequest/")
    added = admin_client.get("/admin/directory/consultationrequest/add/")
    changed = admin_client.post(f"/admin/directory/consultationrequest/{request.pk}/change/", {"name": "Someone else"})

    assert listed.status_code == 200
    assert "Pat Jones" in listed.content.decode()
    assert added.status_code == 403
    assert changed.status_code == 403
    request.refresh_from_db()
    assert request.name == "Pat Jones"


def test_a_nul_character_in_the_practitioner_slug_is_a_400_naming_it(api, db):
    response = api.post(
        "/api/v1/consultation-requests/",
        {"practitioner": "dana\x00", "location": 1, "name": "Pat", "email": "pat@example.com", "message": "Hi"},
        format="json",
    )
    assert response.status_code == 400 and "practitioner" in response.json()["errors"]


# --- the outbox ---------------------------------------------------------------------------


def broker_down():
    """The broker refuses: the notification cannot even be enqueued."""
    return mock.patch.object(tasks.consultation_request_notify, "delay", side_effect=ConnectionRefusedError(111))


def test_with_the_broker_down_the_request_is_taken_and_the_sweep_delivers_it_once(send, listing):
    with broker_down():
        response = send(valid_body(listing))
    assert response.status_code == 201
    assert ConsultationRequest.objects.get().notified_at is None
    assert mail.outbox == []

    assert tasks.deliver_consultation_requests.delay().get() == {"mailed": 1, "failed": 0}
    assert tasks.deliver_consultation_requests.delay().get() == {"mailed": 0, "failed": 0}

    assert len(mail.outbox) == 1
    assert ConsultationRequest.objects.get().notified_at is not None


def test_a_failed_delivery_is_counted_and_kept_for_the_admins(send, listing):
    refusing = mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=smtplib.SMTPServerDisconnected("mail server went away"),
    )
    with broker_down():
        send(valid_body(listing))
    with refusing:
        assert tasks.deliver_consultation_requests.delay().get() == {"mailed": 0, "failed": 1}
    request = ConsultationRequest.objects.get()
    assert (request.notified_at, request.delivery_attempts) == (None, 1)
    assert "mail server went away" in request.last_delivery_error


def test_an_admin_can_mail_a_waiting_request_now(admin_client, send, listing):
    with broker_down():
        send(valid_body(listing))
    request = ConsultationRequest.objects.get()

    response = admin_client.post(
        "/admin/directory/consultationrequest/",
        {"action": "send_now", "_selected_action": [request.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 request(s) mailed to their clinic" in response.content.decode()
    assert len(mail.outbox) == 1
    request.refresh_from_db()
    assert request.notified_at is not None
