"""Writes of the composition layer: roster imports run as jobs (start, then run)."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from directory.models import Clinic

from . import roster
from .models import RosterImport
from .serializers import RosterReportSerializer

logger = logging.getLogger(__name__)

# How often a running import tells the cache how far it got (rows).
PROGRESS_EVERY = 10


def progress_key(job_id: int) -> str:
    return f"roster-import:{job_id}:done"


def roster_import_start(
    *, clinic: Clinic, content: bytes, dry_run: bool, user, file_name: str = "", today: datetime.date
) -> RosterImport:
    """Check a roster file as a whole (size, encoding, header: a 400 or 413 at once), keep it
    and queue its import; a worker runs it (in-process when there is no broker).

    A real run is all or nothing and re-importing a file changes nothing (portal.roster);
    running off the request keeps a long import from holding a web worker.
    """
    roster_file = roster.read_roster(content)
    job = RosterImport.objects.create(
        clinic=clinic,
        uploaded_by=user,
        file_name=file_name[:255],
        content=content,
        dry_run=dry_run,
        rows_total=len(roster_file.rows),
    )
    from .tasks import run_roster_import  # tasks import this module

    if settings.CELERY_TASK_ALWAYS_EAGER:
        # No broker (the demo): the import runs here and now, as the task would.
        run_roster_import.delay(job.pk, today.isoformat())
    else:
        transaction.on_commit(lambda: run_roster_import.delay(job.pk, today.isoformat()))
    return job


def roster_import_run(*, job_id: int, today: datetime.date) -> RosterImport:
    """Run a queued import: claimed first (queued -> running), so a duplicate task does nothing.

    The report is kept on the job; a run that fails for any other reason is
    marked failed with the error (and its transaction rolled back, as always).
    """
    claimed = RosterImport.objects.filter(pk=job_id, status=RosterImport.Status.QUEUED).update(
        status=RosterImport.Status.RUNNING, started_at=timezone.now()
    )
    job = RosterImport.objects.select_related("clinic", "uploaded_by").get(pk=job_id)
    if not claimed:
        return job
    done = 0

    def progress(rows: int) -> None:
        nonlocal done
        done += rows
        if done % PROGRESS_EVERY == 0 or done == job.rows_total:
            cache.set(progress_key(job_id), done, 3600)

    try:
        report = roster.roster_import(
            clinic=job.clinic,
            roster=roster.read_roster(bytes(job.content)),
            dry_run=job.dry_run,
            user=job.uploaded_by,
            today=today,
            progress=progress,
        )
    except Exception as exc:
        logger.exception("Roster import %s failed.", job_id)
        RosterImport.objects.filter(pk=job_id).update(
            status=RosterImport.Status.FAILED, error=repr(exc)[:2000], finished_at=timezone.now()
        )
        raise
    status = RosterImport.Status.DONE if report.dry_run or report.applied else RosterImport.Status.REJECTED
    RosterImport.objects.filter(pk=job_id).update(
        status=status, report=RosterReportSerializer(report).data, finished_at=timezone.now()
    )
    cache.delete(progress_key(job_id))
    job.refresh_from_db()
    return job


def rows_done(job: RosterImport) -> int:
    """How many rows a job has got through: all when it ended, the cache's count while it runs."""
    if job.status in (RosterImport.Status.DONE, RosterImport.Status.REJECTED):
        return job.rows_total
    if job.status == RosterImport.Status.RUNNING:
        return cache.get(progress_key(job.pk), 0)
    return 0
