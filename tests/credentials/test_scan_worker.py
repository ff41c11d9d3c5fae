"""The scan through the real components: a Celery worker on the Redis broker, and the
directory still working with the broker down."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command

from config.celery import app
from credentials.expiry.models import ClinicDigest, DigestStatus
from credentials.models import Status
from credentials.tasks import scan_credentials
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

BROKER_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgis://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def clinic_with_an_expiring_license():
    clinic = ClinicFactory(name="Harbor Physical Therapy")
    MembershipFactory(clinic=clinic, user=UserFactory(username="olga", email="olga@harbor.example"), role="owner")
    practitioner = PractitionerFactory(name="Dana Whitfield")
    listing_in("WA", practitioner=practitioner, location_kwargs={"clinic": clinic})
    credential = CredentialFactory(practitioner=practitioner, expires_on=TODAY.replace(day=20))
    return verified(credential, by=AdminFactory(), today=TODAY)


@pytest.fixture
def queue():
    """A queue of this test run's own: another run of the suite on the same Redis (another
    checkout, CI on a shared host) neither takes its tasks nor purges them."""
    return f"test-scan-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def broker(queue):
    """A connection to the real broker, with tasks sent to it instead of run in-process."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with app.connection_for_write(url=BROKER_URL) as connection:
            yield connection
            connection.default_channel.queue_delete(queue)
    finally:
        app.conf.task_always_eager = eager


@pytest.fixture
def worker(broker, queue, tmp_path):
    """`celery worker` in a subprocess, on the test database, writing emails to files."""
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        # The scan's own send tasks go to the same private queue.
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_URL": f"filemail:///{mail_dir}",
        "DJANGO_SECRET_KEY": "worker-test-key",
    }
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield mail_dir
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_scan_enqueued_through_redis_is_run_by_a_worker_that_sends_the_digest(worker, broker, queue, tmp_path):
    credential = clinic_with_an_expiring_license()
    scan_credentials.apply_async(args=[TODAY.isoformat()], connection=broker, queue=queue)

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not (worker.exists() and any(worker.iterdir())):
        time.sleep(0.5)
    files = sorted(worker.iterdir()) if worker.exists() else []
    assert files, "no email within 90 s; worker log:\n" + (tmp_path / "worker.log").read_text()[-3000:]
    # The worker marks the digest sent just after the mail backend returns.
    while time.monotonic() < deadline and ClinicDigest.objects.filter(status=DigestStatus.SENT).count() == 0:
        time.sleep(0.2)
    messages = "".join(path.read_text() for path in files)
    assert messages.count("Subject: 1 credential at Harbor Physical Therapy needs attention") == 1
    assert "To: olga@harbor.example" in messages
    assert "Dana Whitfield: license" in messages and "expires 2026-03-20, 19 days left" in messages
    digest = ClinicDigest.objects.get()
    assert (digest.status, digest.recipients, digest.clinic.name) == (
        DigestStatus.SENT,
        "olga@harbor.example",
        "Harbor Physical Therapy",
    )
    assert credential.expiry_notifications.get().threshold == "30d"


@pytest.mark.django_db
def test_with_the_broker_down_the_directory_serves_and_the_command_still_scans(client_for, api, settings, today):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url="redis://127.0.0.1:1/0", task_always_eager=False)
    try:
        credential = clinic_with_an_expiring_license()
        pending = CredentialFactory(practitioner=credential.practitioner, license_number="FL-NEW", jurisdiction="FL")
        assert api.get("/api/v1/practitioners/", {"zip": "98101"}).status_code == 200
        admin = client_for(AdminFactory(username="on-call"))
        response = admin.post(f"/api/v1/credentials/{pending.pk}/verify", {"method": "primary_source"})
        assert response.status_code == 200 and response.json()["status"] == Status.VERIFIED
        call_command("scan_credentials", "--today", TODAY.isoformat(), verbosity=0)
        assert [m.to for m in mail.outbox] == [["olga@harbor.example"]]
    finally:
        app.conf.update(saved)
