"""Shapes of directory resources. Serializers shape data; selectors and filters decide."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import SlugRelatedField

from .models import (
    CONSULTATION_MESSAGE_MAX_LENGTH,
    Clinic,
    ConsultationRequest,
    Language,
    Location,
    Practitioner,
    Specialty,
)


class VocabularySerializer(serializers.ModelSerializer):
    class Meta:
        model = Specialty
        fields = ["slug", "name"]


class LanguageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Language
        fields = ["code", "name"]


class ClinicSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Clinic
        fields = ["id", "name", "slug"]


class LocationSerializer(serializers.ModelSerializer):
    clinic = ClinicSummarySerializer(read_only=True)
    lat = serializers.SerializerMethodField()
    lon = serializers.SerializerMethodField()

    class Meta:
        model = Location
        fields = [
            "id",
            "clinic",
            "name",
            "address",
            "city",
            "state",
            "postal_code",
            "lat",
            "lon",
            "phone",
            "accepting_new_patients",
        ]

    @extend_schema_field(OpenApiTypes.DOUBLE)
    def get_lat(self, obj):
        return round(obj.point.y, 6)

    @extend_schema_field(OpenApiTypes.DOUBLE)
    def get_lon(self, obj):
        return round(obj.point.x, 6)


class ClinicPractitionerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Practitioner
        fields = ["id", "slug", "name", "profession"]


class ClinicLocationSerializer(LocationSerializer):
    practitioners = serializers.SerializerMethodField()

    class Meta(LocationSerializer.Meta):
        fields = [f for f in LocationSerializer.Meta.fields if f != "clinic"] + ["practitioners"]

    @extend_schema_field(ClinicPractitionerSerializer(many=True))
    def get_practitioners(self, obj):
        return ClinicPractitionerSerializer([listing.practitioner for listing in obj.listings.all()], many=True).data


class ClinicProfileSerializer(serializers.ModelSerializer):
    locations = ClinicLocationSerializer(many=True, read_only=True)
    # Plain strings: an unset website or email is "", which is not a URI or an address.
    website = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True)

    class Meta:
        model = Clinic
        fields = ["id", "name", "slug", "website", "phone", "email", "locations"]


class ConsultationRequestInputSerializer(serializers.Serializer):
    """What a patient sends; whether the location is the practitioner's is the service's to decide."""

    practitioner = SlugRelatedField(
        slug_field="slug", queryset=Practitioner.objects.all(), help_text="The practitioner's slug."
    )
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.select_related("clinic"), help_text="The id of one of the practitioner's locations."
    )
    name = serializers.CharField(max_length=120)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=32)
    message = serializers.CharField(max_length=CONSULTATION_MESSAGE_MAX_LENGTH)


class ConsultationRequestSerializer(serializers.ModelSerializer):
    """The answer to the patient who sent it: what happens next, and none of their details."""

    practitioner = serializers.CharField(source="practitioner.slug", read_only=True)
    location = serializers.IntegerField(source="location_id", read_only=True)
    detail = serializers.SerializerMethodField()

    class Meta:
        model = ConsultationRequest
        fields = ["id", "practitioner", "location", "created_at", "detail"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_detail(self, obj):
        return f"Thank you. {obj.location.clinic.name} has your request and will contact you about a consultation."
