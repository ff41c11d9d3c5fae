"""Celery tasks of the FHIR API: they take ids and call one service."""

from celery import shared_task

from . import export


@shared_task
def run_export(job_id: str) -> str:
    """Write one bulk export's files (claimed first, so a duplicate task does nothing)."""
    return export.export_run(job_id=job_id).status
