"""Records of the composition layer: roster imports run as jobs, and the demo load's index
builds still to run."""

from django.conf import settings
from django.db import models


class RosterImport(models.Model):
    """One uploaded roster, imported (or dry-run) by a Celery worker while the clinic polls.

    The file itself is kept (a roster is at most ROSTER_MAX_BYTES) so the
    worker reads exactly what was uploaded; the report, row by row, is kept
    once the run ends. Progress while it runs lives in the cache (the run is
    one transaction, so rows written to this table during it would not be seen).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        REJECTED = "rejected", "Rejected: some rows are wrong, nothing was imported"
        FAILED = "failed", "Failed"

    clinic = models.ForeignKey("directory.Clinic", on_delete=models.CASCADE, related_name="roster_imports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file_name = models.CharField(max_length=255, blank=True)
    content = models.BinaryField(editable=False)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    report = models.JSONField(null=True, blank=True, editable=False)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Roster import {self.pk} for {self.clinic} ({self.status})"


class DeferredSchemaStatement(models.Model):
    """An index or constraint the demo load set aside and has not built again yet.

    `seed_demo` commits the rows first and then builds the indexes two at a
    time, each in its own connection (portal.demo.sinks). The statements are
    written here in the load's transaction, and each one's row is deleted in
    the transaction that builds it: a seed stopped between the two leaves
    here exactly what is missing, and the next seed builds it first.
    """

    table = models.CharField(max_length=63)
    sql = models.TextField()
    # Indexes before the constraints that may rely on them.
    constraint = models.BooleanField(default=False)

    class Meta:
        ordering = ["constraint", "id"]

    def __str__(self):
        return self.sql
