"""Bulk exports (FHIR Bulk Data `$export`), run as jobs by a Celery worker while the client polls."""

import uuid

from django.db import models


class ExportJob(models.Model):
    """One `$export` request: which types, changed since when, and once done, its files.

    The files are NDJSON, one per resource type, under MEDIA_ROOT/fhir-export/<id>/;
    `output` lists them with their counts (the manifest's `output`).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    types = models.JSONField(default=list)
    since = models.DateTimeField(null=True, blank=True)
    request_url = models.CharField(max_length=2000)
    # The transaction time of the manifest: resources changed after it are not promised.
    transaction_time = models.DateTimeField(null=True, blank=True)
    output = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"FHIR export {self.pk} ({self.status})"
