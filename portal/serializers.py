"""Shapes that show the directory and the credentials together: the public profile and the
roster import's report."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import clock
from credentials.selectors import public_credentials, qualification_basis
from credentials.serializers import PublicCredentialSerializer
from directory.models import Practitioner
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


class PractitionerProfileSerializer(serializers.ModelSerializer):
    profession_name = serializers.CharField(source="get_profession_display", read_only=True)
    specialties = VocabularySerializer(many=True, read_only=True)
    techniques = VocabularySerializer(many=True, read_only=True)
    languages = LanguageSerializer(many=True, read_only=True)
    qualified = serializers.SerializerMethodField()
    locations = serializers.SerializerMethodField()
    credentials = serializers.SerializerMethodField()

    class Meta:
        model = Practitioner
        fields = [
            "id",
            "slug",
            "name",
            "profession",
            "profession_name",
            "npi",
            "bio",
            "years_dry_needling",
            "typical_sessions",
            "qualified",
            "verified_training_hours",
            "specialties",
            "techniques",
            "languages",
            "locations",
            "credentials",
        ]

    def _locations(self, obj):
        # Asked twice (qualified, locations): worked out once per practitioner.
        cached = getattr(obj, "_profile_locations", None)
        if cached is not None:
            return cached
        today = clock.today_from(self.context)
        listings = list(obj.listings.all())
        basis = qualification_basis(obj, listings, today=today)
        locations = []
        for listing in listings:
            location = listing.location
            location.qualified = listing.is_qualified(today)
            location.qualification = basis[listing.pk]
            locations.append(location)
        obj._profile_locations = locations
        return locations

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_qualified(self, obj):
        return any(location.qualified for location in self._locations(obj))

    @extend_schema_field(PractitionerLocationSerializer(many=True))
    def get_locations(self, obj):
        return PractitionerLocationSerializer(self._locations(obj), many=True, context=self.context).data

    @extend_schema_field(PublicCredentialSerializer(many=True))
    def get_credentials(self, obj):
        """The public part of each verified, unexpired credential (composed from the credentials app)."""
        return PublicCredentialSerializer(public_credentials(obj, today=clock.today_from(self.context)), many=True).data


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
