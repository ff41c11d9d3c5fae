"""The directory: clinics, their locations, practitioners and where they practise.

A practitioner practises at one or more locations; each (practitioner,
location) pair is a Listing, the row that patients search. The listing
carries a copy of the location's point and the qualification facts that the
credentials app keeps up to date, so the search is one indexed query on one
table with no join into credentials.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex, OpClass
from django.core.exceptions import ValidationError
from django.db.models import F, Q, TextField, Value
from django.db.models.functions import Concat, Now

from core.lookups import INTARRAY_SCHEMA

from . import geocoding
from .states import USState
from .validators import phone_validator, postal_code_validator, validate_npi

# The longest message a patient may send with a consultation request.
CONSULTATION_MESSAGE_MAX_LENGTH = 2000


class Profession(models.TextChoices):
    PT = "PT", "Physical therapist"
    DC = "DC", "Doctor of chiropractic"
    MD = "MD", "Doctor of medicine"
    DO = "DO", "Doctor of osteopathic medicine"
    LAC = "LAc", "Licensed acupuncturist"
    ATC = "ATC", "Certified athletic trainer"
    NP = "NP", "Nurse practitioner"
    PA = "PA", "Physician assistant"


class Vocabulary(models.Model):
    """A controlled term patients filter on; the slug is the public identifier."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name


class Specialty(Vocabulary):
    """A condition treated (neck pain, sciatica, ...)."""

    class Meta(Vocabulary.Meta):
        verbose_name_plural = "specialties"


class Technique(Vocabulary):
    """A dry needling technique (superficial, deep, IMS, electrical)."""


class Language(models.Model):
    """A language a practitioner consults in, by ISO 639-1 code."""

    code = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=64)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    # Indexed: a directory's incremental sync asks for the rows changed since its last one.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class Clinic(TimeStamped):
    """An organisation that employs practitioners at one or more locations."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    website = models.URLField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["name", "id"]
        # The clinic list without a place is by name.
        indexes = [models.Index(fields=["name", "id"], name="clinic_name_order")]

    def __str__(self):
        return self.name


class Location(TimeStamped):
    """A street address with a WGS84 point; distances are measured to locations."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=200, blank=True, help_text="Optional branch name, e.g. 'Capitol Hill'.")
    address = models.CharField(max_length=255)
    city = models.CharField(max_length=120)
    state = models.CharField(max_length=2, choices=USState.choices)
    postal_code = models.CharField(max_length=5, validators=[postal_code_validator])
    point = models.PointField(
        geography=True,
        srid=4326,
        blank=True,
        help_text="WGS84; left empty, it is geocoded from the ZIP code's centroid.",
    )
    phone = models.CharField(max_length=32, blank=True)
    accepting_new_patients = models.BooleanField(default=True)

    class Meta:
        ordering = ["clinic_id", "id"]

    def __str__(self):
        return f"{self.clinic.name}: {self.address}, {self.city}, {self.state}"

    def clean(self):
        """Check the ZIP against the state, so errors land on postal_code.

        1. A ZIP in the bundled table must lie in the location's state: the
           state decides which licenses count, so a typo in either would
           list the practitioner under the wrong board's rules.
        2. A ZIP missing from the table is accepted only with coordinates
           (the location services place a location without them at its
           ZIP's centroid before validating).
        """
        if not self.postal_code or not geocoding.ZIP_RE.match(self.postal_code):
            return
        try:
            _, _, _, state = geocoding.zip_record(self.postal_code)
        except geocoding.UnknownPlace as exc:
            if self.point is None:
                raise ValidationError({"postal_code": f"{exc} Give the location's lat and lon."}) from exc
            return
        if self.state and state != self.state:
            raise ValidationError({"postal_code": f"ZIP code {self.postal_code} is in {state}, not {self.state}."})


class Practitioner(TimeStamped):
    """A person who dry-needles, listed at the locations where they practise."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    profession = models.CharField(max_length=3, choices=Profession.choices)
    npi = models.CharField(
        "NPI", max_length=10, blank=True, validators=[validate_npi], help_text="National Provider Identifier."
    )
    email = models.EmailField(blank=True, help_text="Private: for the clinic and the admins, never shown to patients.")
    bio = models.TextField(blank=True)
    years_dry_needling = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Years practising dry needling."
    )
    typical_sessions = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Typical number of sessions in a course of treatment."
    )
    languages = models.ManyToManyField(Language, blank=True, related_name="practitioners")
    specialties = models.ManyToManyField(Specialty, blank=True, related_name="practitioners")
    techniques = models.ManyToManyField(Technique, blank=True, related_name="practitioners")
    locations = models.ManyToManyField(Location, through="Listing", related_name="practitioners")
    # Kept up to date by the credentials app; the search filters on it.
    verified_training_hours = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name", "id"]
        # The search without a place lists practitioners by name.
        indexes = [models.Index(fields=["name", "id"], name="practitioner_name_order")]
        constraints = [
            models.UniqueConstraint(fields=["npi"], condition=~Q(npi=""), name="practitioner_unique_npi"),
        ]

    def __str__(self):
        return self.name


def names_key() -> Concat:
    """A listing's names as one text, `practitioner_name / clinic_name`, for the name
    search's trigram index, which serves both halves of the match (substring and word
    similarity).

    The name search matches a text against each name by substring
    (`name ILIKE '%text%'`, core.lookups) or pg_trgm word similarity
    (`name %> text`). The joined names match wherever either name does, so
    the index finds a superset of the matching listings, which the search
    then checks with the exact condition on the copies themselves:

    - a substring of either name is one of the joined text, and ILIKE
      folds the case of each character on its own;
    - pg_trgm splits text into words at the separator, so the text's
      trigrams are each name's in order, and word similarity (the best run
      of the text's trigrams against the searched words, found by a scan
      that only ever moves its start forward) is never lower over a
      concatenation than over a part.

    tests/directory/test_name_search_copies.py checks both claims against
    PostgreSQL itself. An expression, not a column: the index holds it, the
    listing's row only the two names.
    """
    return Concat(F("practitioner_name"), Value(" / "), F("clinic_name"), output_field=TextField())


class ListingQuerySet(models.QuerySet):
    def qualified_on(self, day: datetime.date) -> ListingQuerySet:
        return self.filter(qualified_from__lte=day, qualified_until__gte=day)


class Listing(models.Model):
    """A practitioner at one location: the row a patient's search returns.

    `point` and `state` copy the location's (the location services keep
    them in step) so the nearest-first search is a single-table KNN scan.
    `qualified_from` and `qualified_until` bound the days the practitioner
    is qualified here, as the credentials app computes them whenever a
    credential or state rule changes (None: not qualified on any day it
    can foresee). Comparing them with the day of the search makes
    "qualified" right that day with no nightly job: a license expiring ends
    the run, and passing a state's years-licensed mark starts it.

    The search's other filters are copied here too: the practitioner's
    term ids, profession and verified training hours, and the location's
    accepting_new_patients. The KNN walk then tests every filter on the row
    it has just read, where it otherwise looked up each candidate's link
    rows, practitioner and location (two to five index lookups a candidate,
    and again for the nearer-listing test). The practitioner's and the clinic's
    names are copied for the name search (`q`), which then reads one table
    through its trigram indexes (see names_key). They are derived facts, never
    edited here: `services.listings_refresh_filters` recomputes them from
    their sources, and every service that changes a source calls it (the
    database defaults let a bulk COPY leave them to one refresh).
    """

    # No index of its own: the unique (practitioner, location) index begins with it.
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="listings", db_index=False)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="listings")
    point = models.PointField(geography=True, srid=4326)
    state = models.CharField(max_length=2, choices=USState.choices)
    qualified_from = models.DateField(null=True, blank=True)
    qualified_until = models.DateField(null=True, blank=True, db_index=True)
    # When what a directory client syncs of this listing last changed: set on every save,
    # and by the services that write listings in bulk (their qualified days, their point).
    # A qualification beginning or ending with the date is not written here: the FHIR sync
    # derives it from the dates (fhirapi.changes). Indexed: a PractitionerRole sync
    # (`_lastUpdated`) finds the listings changed since through it (migration 0022).
    updated_at = models.DateTimeField(auto_now=True, db_default=Now(), db_index=True)
    # Copies for the search's filters (see the docstring); arrays of the terms' ids, sorted.
    specialty_ids = ArrayField(
        models.IntegerField(), default=list, db_default=Value([], ArrayField(models.IntegerField()))
    )
    technique_ids = ArrayField(
        models.IntegerField(), default=list, db_default=Value([], ArrayField(models.IntegerField()))
    )
    language_ids = ArrayField(
        models.IntegerField(), default=list, db_default=Value([], ArrayField(models.IntegerField()))
    )
    profession = models.CharField(max_length=3, choices=Profession.choices, blank=True, default="", db_default="")
    verified_training_hours = models.PositiveIntegerField(default=0, db_default=0)
    accepting_new_patients = models.BooleanField(default=True, db_default=True)
    # Copies for the name search (`q`): the practitioner's name and the location's clinic's.
    practitioner_name = models.CharField(max_length=200, blank=True, default="", db_default="")
    clinic_name = models.CharField(max_length=200, blank=True, default="", db_default="")

    objects = ListingQuerySet.as_manager()

    class Meta:
        ordering = ["practitioner_id", "id"]
        indexes = [
            # The patient search's KNN walk, over the listings qualified on some day only.
            # Half the demo's listings (every one in a state that does not allow dry
            # needling, and everyone without credentials) are qualified on no day; the
            # full index made a walk from Manhattan read 4,300 of them to find 66
            # qualified ones (115 ms at 200k practitioners; 0.8 ms with this index).
            # "qualified_until >= day" implies NOT NULL, so the planner picks it for
            # every qualified-only search; include_unqualified uses the full index.
            GistIndex(fields=["point"], name="listing_qualified_point", condition=Q(qualified_until__isnull=False)),
            # The same walk for a search by language: the index tests each listing's languages
            # (intarray's operator class, migration 0027), where listing_qualified_point has
            # the walk read every listing nearest first until enough speak it. Near Manhattan
            # at 1M practitioners, 21 speaking Haitian Creole took 11.4 ms that way and 1.9
            # ms this way, Spanish 2.6 and 1.7 (bench/README.md, "Languages in the spatial index").
            # The specialties and techniques stay out: common pairs walked slower through
            # a three-array index (2.7 -> 4.0 ms), as its entries are three times the size.
            GistIndex(
                F("point"),
                OpClass(F("language_ids"), name=f"{INTARRAY_SCHEMA}.gist__int_ops"),
                name="listing_qualified_languages",
                condition=Q(qualified_until__isnull=False),
            ),
            # The questions by day: the listings whose qualification began that day (the
            # nightly scan counts them), or in a range of days (the FHIR sync's changes
            # with the date, fhirapi.changes); qualified_until has its own index. Without it, each read every listing
            # (bench/scan.py: 2.4 s for the count at 1M practitioners).
            models.Index(fields=["qualified_from"], name="listing_qualified_from"),
            # The name search's candidates: see names_key.
            GinIndex(OpClass(names_key(), name="gin_trgm_ops"), name="listing_names_trgm"),
            # A search without a place comes in this order: walked through this index,
            # and a name search reads the candidates in the first names of the alphabet
            # only (selectors.RangedNameSearch): its bitmap of a range of names, ANDed
            # with the trigram indexes'.
            models.Index(fields=["practitioner_name"], name="listing_practitioner_name"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["practitioner", "location"], name="listing_unique_practitioner_location"),
            models.CheckConstraint(
                condition=Q(qualified_from__isnull=True, qualified_until__isnull=True)
                | Q(qualified_from__lte=models.F("qualified_until")),
                name="listing_qualified_days_in_order",
            ),
        ]

    def __str__(self):
        return f"{self.practitioner} at {self.location}"

    def is_qualified(self, on: datetime.date) -> bool:
        return (
            self.qualified_from is not None
            and self.qualified_until is not None
            and self.qualified_from <= on <= self.qualified_until
        )


class ClinicMembership(models.Model):
    """A user's access to a clinic: owners may add staff; staff manage the clinic's data."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        STAFF = "staff", "Staff"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinic_memberships")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "user"], name="membership_unique_clinic_user")]

    def __str__(self):
        return f"{self.user} ({self.role}) at {self.clinic}"


class ClinicInvitation(models.Model):
    """An invitation to join a clinic, sent by email; whoever holds its link may accept it once.

    Only a digest of the token is stored, so the table cannot be used to join
    a clinic; the link in the email carries the token itself.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=8, choices=ClinicMembership.Role.choices, default=ClinicMembership.Role.STAFF)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.email} to {self.clinic} as {self.role}"


class ConsultationRequest(models.Model):
    """A patient's request to be contacted about a consultation with a practitioner at a location.

    Private: the patient's details go to the clinic by email and to the admins in
    the Django admin, never into a public response. An outbox: `notified_at` is
    claimed with a conditional update before the clinic is mailed, so a retried
    notification never mails twice, and a periodic sweep delivers any request
    whose first attempt failed (the broker or the mail server down), counting
    attempts and keeping the last error for the admins.
    """

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="consultation_requests")
    # The clinic that is mailed is the location's; a request about a location
    # the clinic has since removed goes with it.
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="consultation_requests")
    name = models.CharField(max_length=120)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True, validators=[phone_validator])
    message = models.TextField(max_length=CONSULTATION_MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    delivery_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    last_delivery_error = models.TextField(blank=True, editable=False)
    # When someone at the clinic marked the patient as contacted (the clinic's inbox).
    contacted_at = models.DateTimeField(null=True, blank=True, editable=False)
    contacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(email="") | ~Q(phone=""), name="consultation_request_has_contact"),
        ]

    def __str__(self):
        return f"{self.name} for {self.practitioner} ({self.created_at:%Y-%m-%d})"

    def clean(self):
        if not self.email and not self.phone:
            message = "Give an email address or a phone number (or both) so the clinic can reply."
            raise ValidationError({"email": message, "phone": message})
