"""Celery tasks of the credentials app: thin, by id, each calling one service."""
import datetime

from celery import shared_task
from django.db import transaction

from core import clock
from . import scan


@shared_task(
    autoretry_for=(Exception,), retry_backoff=60, retry_backoff_max=3600, retry_jitter=True, max_retries=10
)
def send_digest(digest_id: int) -> bool:
    """Send one clinic digest (claimed first, so a duplicate task sends nothing); a refused
    send leaves it pending and the task retries with backoff."""
    return scan.digest_send(digest_id=digest_id)


@shared_task
def scan_credentials(day: str | None = None) -> dict:
    """The nightly scan for `day` (ISO date, default today), then one send task per waiting digest."""
    today = datetime.date.fromisoformat(day) if day else clock.today()
    run = scan.credentials_scan(today=today)
    ids = scan.sendable_digest_ids()
    transaction.on_commit(lambda: [send_digest.delay(digest_id) for digest_id in ids])
    return {"day": today.isoformat(), "notifications": run.notifications, "digests": run.digests, "sending": len(ids)}
