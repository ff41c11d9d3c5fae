"""A consultation request made while the broker was down reaches the clinic once it is back:
a real Celery worker on Redis runs the outbox sweep (as Celery beat enqueues it)."""

import time

import pytest

from config.celery import app
from directory.models import ConsultationRequest
from directory.tasks import deliver_consultation_requests
from tests.credentials.factories import MembershipFactory, UserFactory
from tests.credentials.test_scan_worker import broker, queue, worker
from tests.factories import ClinicFactory, ListingFactory, LocationFactory, PractitionerFactory

__all__ = ["broker", "queue", "worker"]  # the real worker's fixtures


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_request_made_while_the_broker_was_down_is_mailed_when_it_is_back(api, tmp_path, request):
    clinic = ClinicFactory(name="Harbor Physical Therapy")
    MembershipFactory(clinic=clinic, user=UserFactory(username="olga", email="olga@harbor.example"), role="owner")
    listing = ListingFactory(
        location=LocationFactory(clinic=clinic), practitioner=PractitionerFactory(name="Dana Whitfield")
    )
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url="redis://127.0.0.1:1/0", task_always_eager=False)
    try:
        response = api.post(
            "/api/v1/consultation-requests/",
            {
                "practitioner": listing.practitioner.slug,
                "location": listing.location_id,
                "name": "Pat Jones",
                "email": "pat@example.com",
                "message": "Stiff neck for months.",
            },
            format="json",
        )
    finally:
        app.conf.update(saved)
    assert response.status_code == 201
    assert ConsultationRequest.objects.get().notified_at is None

    # The broker is back: a worker runs, and beat enqueues the sweep.
    mail_dir = request.getfixturevalue("worker")
    connection = request.getfixturevalue("broker")
    deliver_consultation_requests.apply_async(connection=connection, queue=request.getfixturevalue("queue"))

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and ConsultationRequest.objects.filter(notified_at__isnull=True).exists():
        time.sleep(0.3)
    files = sorted(mail_dir.iterdir()) if mail_dir.exists() else []
    assert files, "no email within 90 s; worker log:\n" + (tmp_path / "worker.log").read_text()[-3000:]
    messages = "".join(path.read_text() for path in files)
    assert messages.count("Consultation request for Dana Whitfield (Harbor Physical Therapy)") == 1
    assert "To: olga@harbor.example" in messages and "Stiff neck for months." in messages
