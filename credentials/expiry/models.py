"""The expiry outbox: each scan's record, the once-per-threshold notices, and the clinic
digests that deliver them (claimed before sending, so none goes out twice)."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class Threshold(models.TextChoices):
    """How close to (or past) its expiry a credential is, as a notice says it."""

    DAYS_90 = "90d", "Expires within 90 days"
    DAYS_60 = "60d", "Expires within 60 days"
    DAYS_30 = "30d", "Expires within 30 days"
    DAYS_7 = "7d", "Expires within 7 days"
    TODAY = "today", "Expires today"
    EXPIRED = "expired", "Expired"


# Thresholds before expiry, loosest first, with the days left that reach each one.
THRESHOLD_DAYS = ((Threshold.DAYS_90, 90), (Threshold.DAYS_60, 60), (Threshold.DAYS_30, 30), (Threshold.DAYS_7, 7))
# Each threshold's rank: a notice is never sent for a threshold looser than one already sent.
THRESHOLD_RANK = {threshold: rank for rank, threshold in enumerate(Threshold.values, start=1)}


class ScanRun(models.Model):
    """One run of the expiry scan for a day, with what it found (for the admins)."""

    day = models.DateField(db_index=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    notifications = models.PositiveIntegerField(default=0, help_text="New (credential, threshold) notices.")
    digests = models.PositiveIntegerField(default=0, help_text="Clinic digests created.")
    review_due = models.PositiveIntegerField(default=0, help_text="Verified credentials due for review that day.")
    listings_lapsed = models.PositiveIntegerField(default=0, help_text="Listings no longer qualified that day.")
    listings_returned = models.PositiveIntegerField(
        default=0,
        help_text="Listings whose run of qualified days begins that day (newly qualified, or recomputed that day).",
    )
    practitioners_requalified = models.PositiveIntegerField(default=0)
    listings_repaired = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Listings whose stored qualification disagreed with their credentials and was repaired "
        "(empty until the repair after the scan has run).",
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"Scan for {self.day} at {self.started_at:%Y-%m-%d %H:%M}"


class ExpiryNotification(models.Model):
    """A credential reached a threshold: noticed once, ever (the unique constraint is the claim)."""

    # No index of its own: the unique (credential, rank) index begins with it, and every
    # notice written is one index entry fewer.
    #
    # No foreign key constraint in the database either. Notices are written only by the
    # expiry scan, from the credentials the same statement reads, and removed with their
    # credential by Django's cascade (on_delete, which Django runs itself, constraint or
    # not). The constraint's checks at COMMIT lock each noticed credential's row: on the
    # first scan of 5M credentials (307k notices) the COMMIT took 4.3 s with it and 0.6 s
    # without, a year's catch-up 6.7 s and 0.5 s (bench/scan.py). The one case it would
    # catch, a credential deleted while a scan noticing it runs, leaves a notice that
    # lists nothing: digests and the admin read notices joined to their credential.
    credential = models.ForeignKey(
        "credentials.Credential",
        on_delete=models.CASCADE,
        related_name="expiry_notifications",
        db_index=False,
        db_constraint=False,
    )
    threshold = models.CharField(max_length=8, choices=Threshold.choices)
    rank = models.PositiveSmallIntegerField(help_text="The threshold's order: 1 (90 days) to 6 (expired).")
    scan_day = models.DateField(help_text="The day of the scan that noticed it.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-scan_day", "id"]
        constraints = [
            # A rank is its threshold's (THRESHOLD_RANK), so once per (credential, rank) is
            # once per (credential, threshold). One index is the claim and serves the scan's
            # "noticed at this rank or a tighter one" too. A unique (credential, threshold)
            # beside a (credential, rank) index was a fourth index entry per notice: writing
            # the 307k notices of a year's catch-up at 5M credentials took 1.49-1.67 s with
            # it and 1.26-1.35 s without (the INSERT alone, alternating, rolled back).
            models.UniqueConstraint(fields=["credential", "rank"], name="expiry_notification_once"),
            models.CheckConstraint(
                condition=models.Q(
                    *(models.Q(threshold=threshold, rank=rank) for threshold, rank in THRESHOLD_RANK.items()),
                    _connector=models.Q.OR,
                ),
                name="expiry_notification_rank_of_threshold",
            ),
        ]
        indexes = [
            models.Index(fields=["scan_day"], name="expiry_notification_day"),
        ]

    def __str__(self):
        return f"{self.get_threshold_display()}: credential {self.credential_id} ({self.scan_day})"


class DigestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    NO_RECIPIENTS = "no_recipients", "No one to send to"


class ClinicDigest(models.Model):
    """One email to a clinic's members listing its credentials that reached a threshold.

    Sent by credentials.services.digest_send, which claims it with a
    conditional update (pending -> sending) before sending, so two workers
    never both send it; a failed send puts it back to pending for a retry.
    """

    clinic = models.ForeignKey("directory.Clinic", on_delete=models.CASCADE, related_name="expiry_digests")
    scan_day = models.DateField()
    status = models.CharField(max_length=16, choices=DigestStatus.choices, default=DigestStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.TextField(blank=True, help_text="Who it went to, comma-separated.")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The digest's lines: the ids of the notices it delivers, in the order they were filed.
    # An array on the digest rather than a row per (notice, clinic): the first scan of 5M
    # credentials files 304k lines into 133k digests, and writing them as rows, each with
    # its three foreign keys checked at COMMIT, took 7.4 s and most of the COMMIT's 9.2 s
    # of its 21.7 s; it now takes 9.2 s in all (bench/scan.py).
    # A notice is filed once, by the scan that writes it (credentials.expiry.scan), so no
    # constraint is needed to keep it from a clinic's digests twice; one whose credential
    # is deleted (with its notices) simply drops out of a digest not yet sent.
    notifications = ArrayField(models.BigIntegerField(), default=list, blank=True)

    class Meta:
        ordering = ["-scan_day", "clinic_id"]
        constraints = [
            # One open digest per clinic and day: a second scan that day adds to it.
            models.UniqueConstraint(
                fields=["clinic", "scan_day"], condition=models.Q(status="pending"), name="digest_one_pending_per_day"
            ),
        ]
        indexes = [models.Index(fields=["status", "scan_day"], name="digest_status_day")]

    def __str__(self):
        return f"Digest for {self.clinic} ({self.scan_day}, {self.status})"
