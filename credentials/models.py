"""Credentials behind every listing: licenses, certifications, training records,
the admins' decisions on them (append-only), and the per-state rules.

These models point at the directory's (a credential belongs to a
practitioner); the directory never points back. Status changes go through
credentials.services only: `status` and the verification fields are not
editable in any form or serializer.
"""

from __future__ import annotations

import datetime
import os
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from directory.models import Practitioner, Profession, Technique
from directory.states import USState

from . import qualification


class Kind(models.TextChoices):
    LICENSE = qualification.LICENSE, "License"
    CERTIFICATION = qualification.CERTIFICATION, "Certification"
    TRAINING = qualification.TRAINING, "Training"


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    VERIFIED = qualification.VERIFIED, "Verified"
    REJECTED = "rejected", "Rejected"
    REVOKED = "revoked", "Revoked"


class Method(models.TextChoices):
    PRIMARY_SOURCE = "primary_source", "Primary source (checked with the issuer)"
    DOCUMENT_REVIEW = "document_review", "Document review"
    ATTESTATION = "attestation", "Attestation"


class Action(models.TextChoices):
    VERIFY = "verify", "Verify"
    REJECT = "reject", "Reject"
    REVOKE = "revoke", "Revoke"
    # Not an admin's decision: the clinic changed the facts of a verified
    # credential, which sends it back to the queue.
    RESUBMIT = "resubmit", "Changed by the clinic and resubmitted"


# How long a verified certification stays good before someone looks again.
CERTIFICATION_REVIEW_YEARS = 3


def add_years_not_after(day: datetime.date, years: int) -> datetime.date:
    """`day` plus whole years; 29 February becomes 28 February (a review comes no later)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return datetime.date(day.year + years, 2, 28)


# What a credential's document may be: checked by content, not by the name the client sent.
DOCUMENT_SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
}
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


def document_too_large(value) -> bool:
    return value.size is not None and value.size > DOCUMENT_MAX_BYTES


def validate_document(value):
    """A PDF, PNG or JPEG of at most DOCUMENT_MAX_BYTES, judged by its first bytes.

    A document already stored was checked when it was uploaded.
    """
    if getattr(value, "_committed", False):
        return
    if document_too_large(value):
        raise ValidationError(
            "The document is larger than %(limit)d MB.", code="too_large", params={"limit": DOCUMENT_MAX_BYTES // 2**20}
        )
    extension = os.path.splitext(value.name or "")[1].lower()
    upload = getattr(value, "file", value)
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(16)
    upload.seek(position)
    signatures = DOCUMENT_SIGNATURES.get(extension)
    if not signatures or not any(head.startswith(signature) for signature in signatures):
        raise ValidationError("Upload a PDF, PNG or JPEG document.", code="invalid_type")


def document_path(credential: Credential, filename: str) -> str:
    """A random name under the practitioner's folder: the client's file name is not trusted."""
    extension = os.path.splitext(filename)[1].lower()[:8]
    return f"credentials/{credential.practitioner_id}/{uuid.uuid4().hex}{extension}"


class CredentialQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(status=Status.VERIFIED)

    def valid_on(self, day: datetime.date):
        """Verified, issued by `day`, and not past expiry on `day`."""
        return self.verified().filter(issued_on__lte=day).exclude(expires_on__lt=day)

    def review_due(self, day: datetime.date):
        """Verified credentials whose review date has come: they stay verified until an admin decides."""
        return self.verified().filter(next_review_due__lte=day)

    def needing_decision(self, day: datetime.date):
        """The verification queue: pending ones, and verified ones due for review."""
        return self.filter(models.Q(status=Status.PENDING) | models.Q(status=Status.VERIFIED, next_review_due__lte=day))


class Credential(models.Model):
    """A license, certification or training record of one practitioner.

    Which fields apply depends on the kind (see clean()). Expiry is a fact
    about `expires_on` and the day you ask, never a status.
    """

    # No index of its own: the (practitioner, status) index begins with it.
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="credentials", db_index=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(
        max_length=200,
        blank=True,
        help_text="The course or certification name; a license left blank is named after its profession.",
    )
    issuer = models.CharField(
        max_length=200, help_text="State board (license), issuing body (certification) or course provider (training)."
    )
    jurisdiction = models.CharField(
        max_length=2, choices=USState.choices, blank=True, help_text="The US state that issued a license."
    )
    license_number = models.CharField(max_length=64, blank=True, help_text="Private: never shown to patients.")
    profession = models.CharField(max_length=3, choices=Profession.choices, blank=True)
    hours = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0)], help_text="Training hours (training records only)."
    )
    technique = models.ForeignKey(
        Technique, on_delete=models.PROTECT, null=True, blank=True, related_name="credentials"
    )
    issued_on = models.DateField(help_text="Issue date; for a training record, the completion date.")
    expires_on = models.DateField(null=True, blank=True)
    document = models.FileField(
        upload_to=document_path,
        blank=True,
        max_length=200,
        validators=[validate_document],
        help_text="PDF, PNG or JPEG, at most 10 MB. Private: never shown to patients.",
    )

    # Written by credentials.services only.
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, editable=False)
    verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    method = models.CharField(max_length=24, choices=Method.choices, blank=True, editable=False)
    next_review_due = models.DateField(null=True, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Indexed: a directory's incremental sync (the FHIR API's _lastUpdated) asks for the rows changed since.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = CredentialQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["practitioner", "status"], name="credential_practitioner_status"),
            models.Index(fields=["status", "created_at"], name="credential_status_created"),
            models.Index(fields=["status", "next_review_due"], name="credential_status_review"),
            models.Index(fields=["expires_on"], name="credential_expires_on"),
            # The expiry scan's refresh of verified training hours (expiry.scan._refresh_hours),
            # read from these alone: which practitioners' training lapsed between two scan
            # days, and each one's valid training. A third of the credentials.
            models.Index(
                fields=["expires_on"],
                include=["practitioner"],
                condition=models.Q(status=Status.VERIFIED, kind=Kind.TRAINING),
                name="credential_training_expiry",
            ),
            models.Index(
                fields=["practitioner"],
                include=["issued_on", "expires_on", "hours"],
                condition=models.Q(status=Status.VERIFIED, kind=Kind.TRAINING),
                name="credential_training_hours",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.display_name} ({self.practitioner})"

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        if self.kind == Kind.LICENSE and self.profession:
            return f"{self.get_profession_display()} license"
        return self.get_kind_display()

    def clean(self):
        """Check the fields a kind needs and the ones it must not have.

        1. Dates: expiry on or after issue.
        2. A license names its state, number and profession, and has an
           expiry (a renewal date): boards license for a term.
        3. Only training records carry hours, and they must carry them.
        """
        errors = {}
        if self.issued_on and self.expires_on and self.expires_on < self.issued_on:
            errors["expires_on"] = "The expiry date cannot be before the issue date."
        if self.kind == Kind.LICENSE:
            for field, message in (
                ("jurisdiction", "A license names the US state that issued it."),
                ("license_number", "A license has a number."),
                ("profession", "A license is for a profession."),
                ("expires_on", "A license has an expiry (renewal) date."),
            ):
                if not getattr(self, field) and field not in errors:
                    errors[field] = message
        if self.kind == Kind.TRAINING:
            if self.hours is None:
                errors["hours"] = "A training record has a number of hours."
            if not self.name:
                errors["name"] = "A training record names its course."
        elif self.hours is not None:
            errors["hours"] = "Only training records carry hours."
        if self.kind == Kind.CERTIFICATION and not self.name:
            errors["name"] = "A certification has a name."
        if errors:
            raise ValidationError(errors)

    def is_expired(self, on: datetime.date) -> bool:
        return self.expires_on is not None and self.expires_on < on

    def is_review_due(self, on: datetime.date) -> bool:
        return self.status == Status.VERIFIED and self.next_review_due is not None and self.next_review_due <= on

    def review_due_after_verification(self, verified_on: datetime.date) -> datetime.date | None:
        """When a credential verified on `verified_on` should be looked at again.

        A license at its expiry (renewal) date; a certification after
        CERTIFICATION_REVIEW_YEARS unless it expires sooner; a training
        record never (completed hours do not lapse).
        """
        if self.kind == Kind.LICENSE:
            return self.expires_on
        if self.kind == Kind.CERTIFICATION:
            review = add_years_not_after(verified_on, CERTIFICATION_REVIEW_YEARS)
            return min(review, self.expires_on) if self.expires_on else review
        return None

    def as_facts(self) -> qualification.CredentialFacts:
        return qualification.CredentialFacts(
            kind=self.kind,
            status=self.status,
            issued_on=self.issued_on,
            expires_on=self.expires_on,
            jurisdiction=self.jurisdiction,
            profession=self.profession,
            hours=self.hours or 0,
        )


class AppendOnlyError(Exception):
    """An attempt to change or delete a row of an append-only table."""


class VerificationQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Verifications are append-only: they cannot be updated.")

    def delete(self):
        raise AppendOnlyError("Verifications are append-only: they cannot be deleted.")

    # bulk_update goes through update(); _raw_delete is what the deletion
    # collector uses for fast deletes.
    def _raw_delete(self, using):
        raise AppendOnlyError("Verifications are append-only: they cannot be deleted.")


class Verification(models.Model):
    """One event in a credential's history: an admin's decision (who, when,
    what, how and why), or a clinic's change to a verified credential that
    sent it back to pending (the reason lists what changed).

    Append-only, so the trail can be trusted: save() refuses to change an
    existing row, delete() and the queryset's update()/delete() refuse, and
    on PostgreSQL a trigger (migration 0003) refuses UPDATE and DELETE from
    anything else.
    """

    # No index of its own: the (credential, decided_at) index begins with it.
    credential = models.ForeignKey(Credential, on_delete=models.PROTECT, related_name="verifications", db_index=False)
    action = models.CharField(max_length=8, choices=Action.choices)
    # Blank only for a resubmission, which is not a verification.
    method = models.CharField(max_length=24, choices=Method.choices, blank=True)
    reason = models.TextField(blank=True)
    # Empty only for a resubmission made by an operator's command (a roster import run
    # from the shell); every admin decision names its admin.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    status_before = models.CharField(max_length=16, choices=Status.choices)
    status_after = models.CharField(max_length=16, choices=Status.choices)

    objects = VerificationQuerySet.as_manager()

    class Meta:
        ordering = ["decided_at", "id"]
        indexes = [models.Index(fields=["credential", "decided_at"], name="verification_credential_at")]

    def __str__(self):
        return (
            f"{self.get_action_display()} {self.credential_id} by {self.decided_by} at {self.decided_at:%Y-%m-%d %H:%M}"
        )

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Verifications are append-only: an existing one cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Verifications are append-only: they cannot be deleted.")

    def clean(self):
        if self.action != Action.RESUBMIT and (self.decided_by_id is None or not self.method):
            raise ValidationError("An admin's decision names the admin and the method.")


def validate_professions(value):
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Give a list of profession codes.")
    unknown = sorted(set(value) - set(Profession.values))
    if unknown:
        raise ValidationError(
            "Unknown profession: %(unknown)s. Known: %(known)s.",
            params={"unknown": ", ".join(unknown), "known": ", ".join(Profession.values)},
        )


class StateRule(models.Model):
    """Who may dry-needle in one US state, and what training that takes.

    A state with no rule row: dry needling is assumed permitted for every
    profession, at the platform default minimum of training hours
    (settings.PLATFORM_DEFAULT_MIN_TRAINING_HOURS) and no minimum years
    licensed. Rows are data with a source and a date; admins keep them
    current, and every change requalifies the state's listings.
    """

    state = models.CharField(max_length=2, choices=USState.choices, unique=True)
    dry_needling_permitted = models.BooleanField(default=True)
    permitted_professions = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_professions],
        help_text="Profession codes allowed to dry-needle here (when permitted).",
    )
    min_training_hours = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: the platform default applies."
    )
    min_years_licensed = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Years of licensed practice required, where the state has such a rule."
    )
    source = models.CharField(max_length=300, help_text="The board, statute or rule this row is taken from.")
    source_url = models.URLField(max_length=500, blank=True)
    checked_on = models.DateField(help_text="When someone last checked the source.")
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["state"]

    def __str__(self):
        return f"{self.get_state_display()} ({self.state})"

    def clean(self):
        """A permitted state names who may dry-needle; a state that forbids it names no one."""
        professions = self.permitted_professions if isinstance(self.permitted_professions, list) else []
        if self.dry_needling_permitted and not professions:
            raise ValidationError({"permitted_professions": "Name at least one profession permitted to dry-needle."})
        if not self.dry_needling_permitted and professions:
            raise ValidationError(
                {"permitted_professions": "Dry needling is not permitted here: leave the professions empty."}
            )
        if isinstance(self.permitted_professions, list):
            self.permitted_professions = sorted(set(self.permitted_professions))

    @property
    def effective_min_training_hours(self) -> int:
        if self.min_training_hours is None:
            return platform_default_min_training_hours()
        return self.min_training_hours

    def as_rule(self) -> qualification.Rule:
        return qualification.Rule(
            permitted=self.dry_needling_permitted,
            professions=frozenset(self.permitted_professions or ()),
            min_training_hours=self.effective_min_training_hours,
            min_years_licensed=self.min_years_licensed,
        )


def platform_default_min_training_hours() -> int:
    return settings.PLATFORM_DEFAULT_MIN_TRAINING_HOURS


def default_rule() -> qualification.Rule:
    """The rule for a state without a StateRule row (see StateRule)."""
    return qualification.Rule(
        permitted=True, professions=None, min_training_hours=platform_default_min_training_hours()
    )


# The expiry outbox's models live in credentials/expiry/models.py; importing them here
# registers them with this app (app label "credentials", tables unchanged).
from .expiry.models import (  # noqa: E402
    THRESHOLD_DAYS,
    THRESHOLD_RANK,
    ClinicDigest,
    DigestStatus,
    ExpiryNotification,
    ScanRun,
    Threshold,
)
from .screening.models import (  # noqa: E402
    BoardLookup,
    Exclusion,
    ExclusionDecision,
    ExclusionMatch,
    MatchBasis,
    MatchStatus,
    NppesRecord,
    TrainingProvider,
)

__all__ = [
    "BoardLookup",
    "Exclusion",
    "ExclusionDecision",
    "ExclusionMatch",
    "MatchBasis",
    "MatchStatus",
    "NppesRecord",
    "TrainingProvider",
    "THRESHOLD_DAYS",
    "THRESHOLD_RANK",
    "ClinicDigest",
    "DigestStatus",
    "ExpiryNotification",
    "ScanRun",
    "Threshold",
]
