"""Reference data the verifier checks credentials against, and the exclusion matches
found by screening.

- NppesRecord: one NPI of the public NPPES data dissemination file, reduced to
  what a license check needs (names, licenses with their states, deactivation).
- Exclusion: one row of the OIG's List of Excluded Individuals/Entities (LEIE).
- ExclusionMatch: a practitioner found on the exclusion list; it stands (the
  practitioner is listed as qualified nowhere) until an admin dismisses it.
- ExclusionDecision: an admin's confirmation or dismissal of a match, append-only.
- TrainingProvider: course providers and certifying bodies admins recognise.
- BoardLookup: where a state's boards publish their license lookup.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from directory.models import Practitioner
from directory.states import USState


class NppesRecord(models.Model):
    """An NPI as the NPPES file last said it. `licenses` is a list of
    {"taxonomy", "number", "state", "primary"} in the file's order."""

    npi = models.CharField("NPI", max_length=10, primary_key=True)
    entity_type = models.CharField(max_length=1, help_text="1 an individual, 2 an organisation.")
    last_name = models.CharField(max_length=120, blank=True)
    first_name = models.CharField(max_length=120, blank=True)
    organization_name = models.CharField(max_length=300, blank=True)
    licenses = models.JSONField(default=list, blank=True)
    deactivated_on = models.DateField(null=True, blank=True)
    reactivated_on = models.DateField(null=True, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "NPPES record"
        ordering = ["npi"]

    def __str__(self):
        return f"{self.npi} {self.display_name}"

    @property
    def display_name(self) -> str:
        return self.organization_name or " ".join(part for part in (self.first_name, self.last_name) if part)

    def is_deactivated(self) -> bool:
        return self.deactivated_on is not None and (
            self.reactivated_on is None or self.reactivated_on < self.deactivated_on
        )


class Exclusion(models.Model):
    """One row of the LEIE. The list has no key of its own: `row_key` is a digest of the
    row's fields, so re-importing the same file finds every row already there."""

    row_key = models.CharField(max_length=64, unique=True, editable=False)
    last_name = models.CharField(max_length=120, blank=True)
    first_name = models.CharField(max_length=120, blank=True)
    middle_name = models.CharField(max_length=120, blank=True)
    business_name = models.CharField(max_length=300, blank=True)
    general = models.CharField(max_length=120, blank=True)
    specialty = models.CharField(max_length=120, blank=True)
    npi = models.CharField("NPI", max_length=10, blank=True, db_index=True)
    date_of_birth = models.DateField(null=True, blank=True)
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=120, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    exclusion_type = models.CharField(max_length=20, blank=True, help_text="The statute, e.g. 1128a1.")
    excluded_on = models.DateField()
    reinstated_on = models.DateField(null=True, blank=True)
    waiver_on = models.DateField(null=True, blank=True)
    waiver_state = models.CharField(max_length=2, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [models.Index(fields=["last_name", "first_name", "state"], name="exclusion_name_state")]

    def __str__(self):
        name = self.business_name or ", ".join(part for part in (self.last_name, self.first_name) if part)
        return f"{name} (excluded {self.excluded_on}, {self.exclusion_type or 'type unknown'})"


class MatchBasis(models.TextChoices):
    NPI = "npi", "Same NPI"
    NAME_STATE = "name_state", "Same name, in a state where they are listed or licensed"


class MatchStatus(models.TextChoices):
    OPEN = "open", "To be reviewed"
    CONFIRMED = "confirmed", "Confirmed: the same person"
    DISMISSED = "dismissed", "Dismissed: not the same person"


class ExclusionMatchQuerySet(models.QuerySet):
    def standing(self):
        """Matches that keep a practitioner from being listed as qualified: confirmed ones, and
        open ones whose exclusion is still on the list (an open match is acted on at once,
        the same day, and an admin clears a wrong one by dismissing it)."""
        return self.filter(Q(status=MatchStatus.CONFIRMED) | Q(status=MatchStatus.OPEN, exclusion__isnull=False))


class ExclusionMatch(models.Model):
    """A practitioner found on the exclusion list by screening. `status` is the latest
    ExclusionDecision's (written by the screening services only)."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="exclusion_matches")
    # Kept when the exclusion leaves the list (reinstated): the summary says what matched.
    exclusion = models.ForeignKey(Exclusion, on_delete=models.SET_NULL, null=True, blank=True, related_name="matches")
    summary = models.CharField(max_length=400, help_text="The exclusion as it read when matched.")
    basis = models.CharField(max_length=16, choices=MatchBasis.choices)
    status = models.CharField(max_length=16, choices=MatchStatus.choices, default=MatchStatus.OPEN, editable=False)
    found_at = models.DateTimeField(default=timezone.now)

    objects = ExclusionMatchQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "exclusion matches"
        ordering = ["-found_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["practitioner", "exclusion"], name="exclusion_match_unique"),
        ]
        indexes = [models.Index(fields=["practitioner", "status"], name="exclusion_match_practitioner")]

    def __str__(self):
        return f"{self.practitioner} ~ {self.summary} ({self.get_status_display()})"


class ExclusionDecisionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Exclusion decisions are append-only: they cannot be updated.")

    def delete(self):
        raise PermissionError("Exclusion decisions are append-only: they cannot be deleted.")

    def _raw_delete(self, using):
        raise PermissionError("Exclusion decisions are append-only: they cannot be deleted.")


class ExclusionDecision(models.Model):
    """An admin's confirmation or dismissal of a match, with the reason. Append-only."""

    match = models.ForeignKey(ExclusionMatch, on_delete=models.PROTECT, related_name="decisions")
    status_after = models.CharField(
        max_length=16, choices=[(MatchStatus.CONFIRMED, "Confirm"), (MatchStatus.DISMISSED, "Dismiss")]
    )
    reason = models.TextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    objects = ExclusionDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["decided_at", "id"]

    def __str__(self):
        return f"{self.get_status_after_display()} by {self.decided_by} at {self.decided_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Exclusion decisions are append-only: an existing one cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Exclusion decisions are append-only: they cannot be deleted.")


class TrainingProvider(models.Model):
    """A course provider or certifying body the admins recognise. A training record or
    certification whose issuer is not one of these (by name or alias, ignoring case) is
    flagged in the verification queue."""

    name = models.CharField(max_length=200, unique=True)
    aliases = models.JSONField(default=list, blank=True, help_text="Other spellings of the name, as a list.")
    certifies = models.CharField(max_length=300, help_text="What it teaches or certifies.")
    source = models.CharField(max_length=300, help_text="Where the admins learnt of it.")
    source_url = models.URLField(max_length=500, blank=True)
    added_on = models.DateField(default=timezone.localdate)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def names(self) -> list[str]:
        return [self.name, *[alias for alias in (self.aliases or []) if isinstance(alias, str)]]


class BoardLookup(models.Model):
    """A state's public license lookup: where a verifier checks a license at its source.

    `url` may hold `{number}`, replaced by the license number where the board's
    site accepts it in the address; otherwise it is the search page itself.
    """

    state = models.CharField(max_length=2, choices=USState.choices, unique=True)
    board = models.CharField(max_length=200)
    url = models.CharField(max_length=500, help_text="The lookup page; may contain {number}.")
    source = models.CharField(max_length=300)
    checked_on = models.DateField(null=True, blank=True, help_text="When someone last opened the page and saw it work.")

    class Meta:
        ordering = ["state"]

    def __str__(self):
        return f"{self.get_state_display()}: {self.board}"

    def url_for(self, number: str) -> str:
        from urllib.parse import quote

        return self.url.replace("{number}", quote(number or "", safe=""))
