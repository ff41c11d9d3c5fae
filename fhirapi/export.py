"""The bulk export (FHIR Bulk Data `$export`): a job per request, run by a Celery worker,
writing one NDJSON file per resource type.

Rows are read with `.iterator(chunk_size=EXPORT_CHUNK)` (a server-side cursor) and written
chunk by chunk, so memory stays bounded by one chunk whatever the directory's size: there
is no cap on rows. `_since` keeps the resources whose `meta.lastUpdated` is after it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import clock

from . import params, search
from .models import ExportJob
from .params import BadParameter

logger = logging.getLogger(__name__)

EXPORT_CHUNK = 2000
OUTPUT_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
EXPORT_PARAMETERS = ("_type", "_since", "_outputFormat", "_format")


def file_path(job: ExportJob, resource_type: str) -> Path:
    return Path(settings.FHIR_EXPORT_ROOT) / str(job.pk) / f"{resource_type}.ndjson"


def export_start(*, query: dict[str, list[str]], request_url: str, prefer: str = "") -> ExportJob:
    """Check the kick-off's parameters (a BadParameter names a wrong one) and queue the job."""
    for name in query:
        if name not in EXPORT_PARAMETERS:
            raise BadParameter(name, f"Unknown $export parameter. Known: {', '.join(EXPORT_PARAMETERS)}.")
    if prefer and "respond-async" not in prefer:
        raise BadParameter("Prefer", "An export is asynchronous: send Prefer: respond-async (or no Prefer).")
    if "_outputFormat" in query and params.single("_outputFormat", query["_outputFormat"]) not in OUTPUT_FORMATS:
        raise BadParameter("_outputFormat", f"Only NDJSON is written: {', '.join(OUTPUT_FORMATS)}.")
    types = list(search.SEARCHES)
    if "_type" in query:
        wanted = params.values("_type", query["_type"])
        unknown = [name for name in wanted if name not in search.SEARCHES]
        if unknown:
            raise BadParameter("_type", f"Not exported: {', '.join(unknown)}. Known: {', '.join(search.SEARCHES)}.")
        types = [name for name in types if name in wanted]
    since = params.parse_instant("_since", params.single("_since", query["_since"])) if "_since" in query else None
    job = ExportJob.objects.create(types=types, since=since, request_url=request_url[:2000])

    from .tasks import run_export  # tasks import this module

    if settings.CELERY_TASK_ALWAYS_EAGER:
        run_export.delay(str(job.pk))
    else:
        transaction.on_commit(lambda: run_export.delay(str(job.pk)))
    return job


def export_run(*, job_id: str) -> ExportJob:
    """Write the job's files. Claimed first (queued -> running), so a duplicate task does nothing;
    a failure marks the job failed (the client's poll says so) and is logged."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING
    )
    job = ExportJob.objects.get(pk=job_id)
    if not claimed:
        return job
    try:
        job.transaction_time = timezone.now()
        context = search.Context(today=clock.today())
        job.output = [
            {"type": resource_type, "count": write_type(job, resource_type, context)} for resource_type in job.types
        ]
        job.status = ExportJob.Status.DONE
    except Exception as exc:
        logger.exception("FHIR export %s failed", job.pk)
        job.status = ExportJob.Status.FAILED
        job.error = repr(exc)[:2000]
    job.finished_at = timezone.now()
    job.save()
    return job


def export_rows(resource_type: str, context: search.Context, *, since=None, until=None):
    definition = search.SEARCHES[resource_type]
    queryset = definition.queryset(context)
    if since is not None:
        queryset = search.updated(definition, queryset, params.Bound("gt", since), context)
    if until is not None:
        queryset = search.updated(definition, queryset, params.Bound("le", until), context)
    return search.prepared(definition, queryset.order_by("pk"))


def write_type(job: ExportJob, resource_type: str, context: search.Context) -> int:
    """Write one type's NDJSON file, chunk by chunk; returns how many resources it holds."""
    definition = search.SEARCHES[resource_type]
    path = file_path(job, resource_type)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = export_rows(resource_type, context, since=job.since, until=job.transaction_time)
    written = 0
    with path.open("w", encoding="utf-8") as out:
        batch = []
        for row in rows.iterator(chunk_size=EXPORT_CHUNK):
            batch.append(row)
            if len(batch) == EXPORT_CHUNK:
                written += _write(out, definition, batch, context)
                batch = []
        if batch:
            written += _write(out, definition, batch, context)
    return written


def _write(out, definition, batch, context) -> int:
    lines = [json.dumps(resource, separators=(",", ":")) for resource in definition.build(batch, context)]
    out.write("\n".join(lines))
    out.write("\n")
    return len(lines)
