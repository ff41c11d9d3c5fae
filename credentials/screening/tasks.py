"""Celery task of exclusion screening (registered under credentials.tasks, beside the expiry tasks)."""

import datetime

from celery import shared_task

from core import clock

from .screen import exclusions_screen


@shared_task(name="credentials.tasks.screen_exclusions")
def screen_exclusions(day: str | None = None) -> dict:
    """Screen every practitioner against the exclusion list as of `day` (ISO date, default
    today): run monthly by beat, and by hand after an import."""
    today = datetime.date.fromisoformat(day) if day else clock.today()
    result = exclusions_screen(today=today)
    return {
        "day": today.isoformat(),
        "created": result.created,
        "by_npi": result.by_npi,
        "by_name_state": result.by_name_state,
        "listings_changed": result.listings_changed,
    }
