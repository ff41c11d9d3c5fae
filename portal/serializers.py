"""Shapes that show the directory and the credentials together: the public profile and the
roster import's report."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import clock
from credentials.selectors import public_credentials, qualification_basis
from credentials.serializers import PublicCredentialSerializer
from directory.models import Practitioner, Profession
from directory.results import LOCATION, Out, attribute, integer, result_serializer, text
from directory.serializers import LanguageSerializer, LocationSerializer, VocabularySerializer

from .models import RosterImport


class QualificationRuleSerializer(serializers.Serializer):
    dry_needling_permitted = serializers.BooleanField()
    professions_permitted = serializers.ListField(
        child=serializers.CharField(), allow_null=True, help_text="Null: every profession (no state rule on record)."
    )
    min_training_hours = serializers.IntegerField()
    min_years_licensed = serializers.IntegerField(allow_null=True)
    source = serializers.CharField()
    checked_on = serializers.DateField(allow_null=True)


class QualificationLicenseSerializer(serializers.Serializer):
    """The license that counts in the location's state; never its number."""

    jurisdiction = serializers.CharField()
    profession = serializers.CharField()
    expires_on = serializers.DateField(allow_null=True)


class QualificationSerializer(serializers.Serializer):
    """Why the practitioner is (or is not) listed as qualified at this location."""

    state = serializers.CharField()
    qualified = serializers.BooleanField()
    qualified_until = serializers.DateField(
        allow_null=True, help_text="The last qualified day; null when not qualified, or with no end in sight."
    )
    rule = QualificationRuleSerializer()
    license = QualificationLicenseSerializer(allow_null=True)
    verified_training_hours = serializers.IntegerField()


class PractitionerLocationSerializer(LocationSerializer):
    """A location on a practitioner's profile, with whether they are qualified there and why."""

    qualified = serializers.BooleanField(read_only=True)
    qualification = QualificationSerializer(read_only=True)

    class Meta(LocationSerializer.Meta):
        fields = [*LocationSerializer.Meta.fields, "qualified", "qualification"]


# The profile, declared once (directory.results): each field's schema, and how a
# practitioner gives its value. DRF's ModelSerializer built its fields, and those of
# every nested serializer, anew for each request: a third of a profile's time at 1M
# practitioners (bench/profiles.py). The nested parts keep their serializers above (and
# credentials') as their schema; tests/portal/test_profile_fast.py checks that the JSON
# written here is what those serializers write.

_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()


def _date(value):
    return None if value is None else _DATE.to_representation(value)


def _rule(rule: dict) -> dict:
    return {
        "dry_needling_permitted": rule["dry_needling_permitted"],
        "professions_permitted": rule["professions_permitted"],
        "min_training_hours": rule["min_training_hours"],
        "min_years_licensed": rule["min_years_licensed"],
        "source": rule["source"],
        "checked_on": _date(rule["checked_on"]),
    }


def _qualification(basis) -> dict:
    license_ = basis.license
    return {
        "state": basis.state,
        "qualified": basis.qualified,
        "qualified_until": _date(basis.qualified_until),
        "rule": _rule(basis.rule),
        "license": None
        if license_ is None
        else {
            "jurisdiction": license_["jurisdiction"],
            "profession": license_["profession"],
            "expires_on": _date(license_["expires_on"]),
        },
        "verified_training_hours": basis.verified_training_hours,
    }


# A location as the search results write it (directory.results.LOCATION), the same fields
# as LocationSerializer.
_LOCATION_FIELDS = tuple((field, out.value) for field, out in LOCATION.items())


def _location(location, context) -> dict:
    row = {field: get(location, context) for field, get in _LOCATION_FIELDS}
    row["qualified"] = location.qualified
    row["qualification"] = _qualification(location.qualification)
    return row


def _credential(credential) -> dict:
    return {
        "kind": credential.kind,
        "name": credential.display_name,
        "issuer": credential.issuer,
        "jurisdiction": credential.jurisdiction,
        "issued_on": _date(credential.issued_on),
        "expires_on": _date(credential.expires_on),
        "hours": credential.hours,
        "verified_at": None if credential.verified_at is None else _DATETIME.to_representation(credential.verified_at),
        "method": credential.method,
        "next_review_due": _date(credential.next_review_due),
    }


def profile_locations(practitioner: Practitioner, today) -> list:
    """The practitioner's listed locations, each with `qualified` and `qualification` (why) on
    `today`; worked out once per practitioner (`qualified` and `locations` both ask)."""
    cached = getattr(practitioner, "_profile_locations", None)
    if cached is not None:
        return cached
    listings = list(practitioner.listings.all())
    basis = qualification_basis(practitioner, listings, today=today)
    locations = []
    for listing in listings:
        location = listing.location
        location.qualified = listing.is_qualified(today)
        location.qualification = basis[listing.pk]
        locations.append(location)
    practitioner._profile_locations = locations
    return locations


def _terms(relation: str, key: str):
    return lambda practitioner, context: [{key: slug, "name": name} for slug, name in practitioner.terms[relation]]


PROFILE = {
    "id": integer("id"),
    "slug": Out(serializers.SlugField(max_length=220, read_only=True), attribute("slug")),
    "name": text("name", max_length=200),
    "profession": Out(serializers.ChoiceField(choices=Profession.choices, read_only=True), attribute("profession")),
    "profession_name": Out(
        serializers.CharField(read_only=True), lambda practitioner, context: practitioner.get_profession_display()
    ),
    "npi": text("npi", max_length=10, help_text="National Provider Identifier."),
    "bio": text("bio"),
    "years_dry_needling": integer(
        "years_dry_needling", allow_null=True, min_value=0, max_value=32767, help_text="Years practising dry needling."
    ),
    "typical_sessions": integer(
        "typical_sessions",
        allow_null=True,
        min_value=0,
        max_value=32767,
        help_text="Typical number of sessions in a course of treatment.",
    ),
    "qualified": Out(
        serializers.BooleanField(read_only=True),
        lambda practitioner, context: any(
            location.qualified for location in profile_locations(practitioner, clock.today_from(context))
        ),
    ),
    "verified_training_hours": integer("verified_training_hours", min_value=0, max_value=2147483647),
    "specialties": Out(VocabularySerializer(many=True, read_only=True), _terms("specialties", "slug")),
    "techniques": Out(VocabularySerializer(many=True, read_only=True), _terms("techniques", "slug")),
    "languages": Out(LanguageSerializer(many=True, read_only=True), _terms("languages", "code")),
    "locations": Out(
        PractitionerLocationSerializer(many=True, read_only=True),
        lambda practitioner, context: [
            _location(location, context) for location in profile_locations(practitioner, clock.today_from(context))
        ],
    ),
    "credentials": Out(
        PublicCredentialSerializer(many=True, read_only=True),
        lambda practitioner, context: [
            _credential(credential) for credential in public_credentials(practitioner, today=clock.today_from(context))
        ],
    ),
}

PractitionerProfileSerializer = result_serializer(
    "PractitionerProfileSerializer",
    PROFILE,
    "A practitioner's public profile: terms, every listed location with whether (and why) they are "
    "qualified there, and their verified credentials.",
)


class RosterImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False, help_text="The roster as CSV (UTF-8); columns in the README.")
    dry_run = serializers.BooleanField(default=False, help_text="true: report what would change, write nothing.")


class RosterRowSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The row's line in the file (the header is line 1).")
    name = serializers.CharField()
    action = serializers.ChoiceField(choices=["created", "updated", "unchanged", "rejected"])
    practitioner_id = serializers.IntegerField(allow_null=True, help_text="Empty for a row not (yet) written.")
    license = serializers.ChoiceField(choices=["submitted", "updated", "unchanged"], allow_null=True)
    reason = serializers.CharField(help_text="Why the row was rejected.")


class RosterReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    applied = serializers.BooleanField(help_text="Whether anything was written: a real run with no rejected row.")
    created = serializers.SerializerMethodField()
    updated = serializers.SerializerMethodField()
    unchanged = serializers.SerializerMethodField()
    rejected = serializers.SerializerMethodField()
    rows = RosterRowSerializer(many=True)

    @extend_schema_field(OpenApiTypes.INT)
    def get_created(self, obj):
        return obj.count("created")

    @extend_schema_field(OpenApiTypes.INT)
    def get_updated(self, obj):
        return obj.count("updated")

    @extend_schema_field(OpenApiTypes.INT)
    def get_unchanged(self, obj):
        return obj.count("unchanged")

    @extend_schema_field(OpenApiTypes.INT)
    def get_rejected(self, obj):
        return obj.count("rejected")


class RosterImportJobSerializer(serializers.ModelSerializer):
    """A roster import as the clinic polls it: its status and progress, and once it ends,
    the report row by row (the keys of RosterReport at the top level)."""

    url = serializers.SerializerMethodField()
    rows_done = serializers.SerializerMethodField()

    class Meta:
        model = RosterImport
        fields = ["id", "url", "status", "dry_run", "file_name", "rows_total", "rows_done", "created_at", "finished_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_url(self, job):
        return f"/api/v1/clinics/{job.clinic_id}/roster-imports/{job.pk}/"

    @extend_schema_field(serializers.IntegerField())
    def get_rows_done(self, job):
        from .services import rows_done

        return rows_done(job)

    def to_representation(self, job):
        body = super().to_representation(job)
        if job.report is not None:
            body.update(job.report)
            rejected = [row for row in job.report["rows"] if row["action"] == "rejected"]
            if job.status == RosterImport.Status.REJECTED and rejected:
                body["detail"] = (
                    f"{len(rejected)} row(s) rejected, so nothing was imported; first at line {rejected[0]['line']}."
                )
                body["errors"] = {"file": [f"Line {row['line']}: {row['reason']}" for row in rejected[:20]]}
        if job.error:
            body["detail"] = "The import failed on our side; nothing was imported. Try again, or ask an admin."
        return body
