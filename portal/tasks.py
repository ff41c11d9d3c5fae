"""Celery tasks of the composition layer: they take ids and call one service."""

import datetime

from celery import shared_task

from . import services


@shared_task
def run_roster_import(job_id: int, day: str) -> str:
    """Import one uploaded roster (claimed first, so a duplicate task does nothing)."""
    job = services.roster_import_run(job_id=job_id, today=datetime.date.fromisoformat(day))
    return job.status
