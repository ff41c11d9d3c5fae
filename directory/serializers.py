"""Shapes of directory resources. Serializers shape data; selectors and filters decide."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import clock
from core.fields import SlugRelatedField

from .models import (
    CONSULTATION_MESSAGE_MAX_LENGTH,
    Clinic,
    ConsultationRequest,
    Language,
    Listing,
    Location,
    Practitioner,
    Specialty,
)
from .selectors import KM_PER_MILE


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


def km_away(row) -> float | None:
    """The search's exact `distance` annotation in km (None without a place), to the metre."""
    distance = getattr(row, "distance", None)
    return None if distance is None else round(distance.m / 1000, 3)


def miles_away(row) -> float | None:
    distance = getattr(row, "distance", None)
    return None if distance is None else round(distance.m / 1000 / KM_PER_MILE, 3)


class DistanceMixin(serializers.Serializer):
    """distance_km / distance_mi from the search's exact `distance` annotation (null without a place)."""

    distance_km = serializers.SerializerMethodField()
    distance_mi = serializers.SerializerMethodField()

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_distance_km(self, obj):
        return km_away(obj)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_distance_mi(self, obj):
        return miles_away(obj)


class PractitionerResultSerializer(DistanceMixin, serializers.ModelSerializer):
    """One search result: a practitioner at their nearest matching location."""

    id = serializers.IntegerField(source="practitioner.id", read_only=True)
    slug = serializers.CharField(source="practitioner.slug", read_only=True)
    name = serializers.CharField(source="practitioner.name", read_only=True)
    profession = serializers.CharField(source="practitioner.profession", read_only=True)
    profession_name = serializers.CharField(source="practitioner.get_profession_display", read_only=True)
    qualified = serializers.SerializerMethodField()
    verified_training_hours = serializers.IntegerField(source="practitioner.verified_training_hours", read_only=True)
    years_dry_needling = serializers.IntegerField(
        source="practitioner.years_dry_needling", read_only=True, allow_null=True
    )
    specialties = VocabularySerializer(many=True, read_only=True)
    techniques = VocabularySerializer(many=True, read_only=True)
    languages = LanguageSerializer(many=True, read_only=True)
    location = LocationSerializer(read_only=True)

    class Meta:
        model = Listing
        fields = [
            "id",
            "slug",
            "name",
            "profession",
            "profession_name",
            "qualified",
            "verified_training_hours",
            "years_dry_needling",
            "specialties",
            "techniques",
            "languages",
            "distance_km",
            "distance_mi",
            "location",
        ]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_qualified(self, obj):
        return obj.is_qualified(clock.today_from(self.context))

    def to_representation(self, listing):
        """The fields declared above, written out for speed.

        DRF's field-by-field walk over a page of 20 results (with the nested
        location, clinic and term lists) cost more than the search query
        itself at 1M practitioners (bench/search.py), so the hot path builds
        the dict directly. The declarations above still describe it in the
        OpenAPI schema; tests hold the two together.
        """
        practitioner, location = listing.practitioner, listing.location
        terms = practitioner.terms
        point = location.point
        return {
            "id": practitioner.id,
            "slug": practitioner.slug,
            "name": practitioner.name,
            "profession": practitioner.profession,
            "profession_name": practitioner.get_profession_display(),
            "qualified": listing.is_qualified(clock.today_from(self.context)),
            "verified_training_hours": practitioner.verified_training_hours,
            "years_dry_needling": practitioner.years_dry_needling,
            "specialties": [{"slug": slug, "name": name} for slug, name in terms["specialties"]],
            "techniques": [{"slug": slug, "name": name} for slug, name in terms["techniques"]],
            "languages": [{"code": code, "name": name} for code, name in terms["languages"]],
            "distance_km": km_away(listing),
            "distance_mi": miles_away(listing),
            "location": {
                "id": location.id,
                "clinic": {"id": location.clinic.id, "name": location.clinic.name, "slug": location.clinic.slug},
                "name": location.name,
                "address": location.address,
                "city": location.city,
                "state": location.state,
                "postal_code": location.postal_code,
                "lat": round(point.y, 6),
                "lon": round(point.x, 6),
                "phone": location.phone,
                "accepting_new_patients": location.accepting_new_patients,
            },
        }


class PractitionerResultGeoSerializer(PractitionerResultSerializer):
    """The same result as a GeoJSON Feature at the location's point.

    Not djangorestframework-gis's GeoFeatureModelSerializer: it rebuilds
    the properties field by field, which the fast path above exists to
    avoid, and the Feature around them is three keys.
    """

    def to_representation(self, listing):
        point = listing.location.point
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(point.x, 6), round(point.y, 6)]},
            "properties": super().to_representation(listing),
        }


class ClinicResultSerializer(DistanceMixin, serializers.ModelSerializer):
    """One clinic in a search, at its nearest matching location."""

    id = serializers.IntegerField(source="clinic.id", read_only=True)
    name = serializers.CharField(source="clinic.name", read_only=True)
    slug = serializers.CharField(source="clinic.slug", read_only=True)
    website = serializers.CharField(source="clinic.website", read_only=True)
    phone = serializers.CharField(source="clinic.phone", read_only=True)
    location = LocationSerializer(source="*", read_only=True)

    class Meta:
        model = Location
        fields = ["id", "name", "slug", "website", "phone", "distance_km", "distance_mi", "location"]


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
