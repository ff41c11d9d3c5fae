"""Celery tasks of the expiry scan: thin, by id, each calling one service.

Their names stay those they had in credentials.tasks, so a deployment's
queued tasks and beat schedule keep working across the move."""

import datetime

from celery import shared_task
from django.db import transaction

from core import clock

from . import scan


@shared_task(
    name="credentials.tasks.send_digest",
    autoretry_for=(Exception,),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=10,
)
def send_digest(digest_id: int) -> bool:
    """Send one clinic digest (claimed first, so a duplicate task sends nothing); a refused
    send leaves it pending and the task retries with backoff."""
    return scan.digest_send(digest_id=digest_id)


@shared_task(name="credentials.tasks.scan_credentials")
def scan_credentials(day: str | None = None) -> dict:
    """The nightly scan for `day` (ISO date, default today) and the repair of stored
    qualification, then one send task per waiting digest."""
    today = datetime.date.fromisoformat(day) if day else clock.today()
    run = scan.nightly_scan(today=today)
    ids = scan.sendable_digest_ids()
    transaction.on_commit(lambda: [send_digest.delay(digest_id) for digest_id in ids])
    return {
        "day": today.isoformat(),
        "notifications": run.notifications,
        "digests": run.digests,
        "listings_repaired": run.listings_repaired,
        "sending": len(ids),
    }
