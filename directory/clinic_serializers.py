"""Shapes of what clinic staff read and write: the clinic, its members, locations and
practitioners. Input and output are separate; ids in a body are resolved by the views
within the user's clinics, never here."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import clock
from core.fields import SlugRelatedField

from .models import (
    Clinic,
    ClinicInvitation,
    ClinicMembership,
    Language,
    Location,
    Practitioner,
    Profession,
    Specialty,
    Technique,
)
from .serializers import LanguageSerializer, LocationSerializer, VocabularySerializer
from .states import USState
from .validators import postal_code_validator, validate_npi


class ClinicInputSerializer(serializers.ModelSerializer):
    """A clinic's name and contact details (its slug and id are the server's)."""

    class Meta:
        model = Clinic
        fields = ["name", "website", "phone", "email"]


class ClinicStaffSerializer(serializers.ModelSerializer):
    """A clinic as its staff see it right after a change."""

    # Plain strings: an unset website or email is "", which is not a URI or an address.
    website = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True)

    class Meta:
        model = Clinic
        fields = ["id", "name", "slug", "website", "phone", "email", "created_at", "updated_at"]
        read_only_fields = fields


class MemberInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="An existing user's username.")
    role = serializers.ChoiceField(choices=ClinicMembership.Role.choices, default=ClinicMembership.Role.STAFF)


class InvitationInputSerializer(serializers.Serializer):
    email = serializers.EmailField(help_text="Where the invitation goes; the person need not have an account yet.")
    role = serializers.ChoiceField(choices=ClinicMembership.Role.choices, default=ClinicMembership.Role.STAFF)


class InvitationSerializer(serializers.ModelSerializer):
    detail = serializers.SerializerMethodField()

    class Meta:
        model = ClinicInvitation
        fields = ["id", "email", "role", "created_at", "expires_at", "accepted_at", "detail"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_detail(self, obj):
        return f"An invitation to join as {obj.get_role_display().lower()} was sent to {obj.email}."


class InvitationAcceptSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, help_text="The code from the invitation email.")
    username = serializers.CharField(
        max_length=150, required=False, default="", help_text="A new account's username (when not signed in)."
    )
    password = serializers.CharField(
        max_length=128, required=False, default="", write_only=True, style={"input_type": "password"}
    )


class MemberSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(source="user.id", read_only=True)
    username = serializers.CharField(source="user.get_username", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = ClinicMembership
        fields = ["user_id", "username", "email", "role", "created_at"]
        read_only_fields = fields


class LocationInputSerializer(serializers.Serializer):
    """A location's address; lat and lon are optional (both or neither): without them the
    location is placed at its ZIP code's centroid."""

    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    address = serializers.CharField(max_length=255)
    city = serializers.CharField(max_length=120, required=False, allow_blank=True, help_text="Default: the ZIP's city.")
    state = serializers.ChoiceField(choices=USState.choices)
    postal_code = serializers.CharField(max_length=5, validators=[postal_code_validator])
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    lon = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    accepting_new_patients = serializers.BooleanField(required=False)

    def validate(self, attrs):
        if ("lat" in attrs) != ("lon" in attrs) or (attrs.get("lat") is None) != (attrs.get("lon") is None):
            missing = "lon" if attrs.get("lat") is not None else "lat"
            raise serializers.ValidationError({missing: "Give both lat and lon, or neither."})
        return attrs


class PractitionerInputSerializer(serializers.Serializer):
    """A practitioner's details, terms (by slug or language code) and the ids of the
    clinic's locations where they work."""

    name = serializers.CharField(max_length=200)
    profession = serializers.ChoiceField(choices=Profession.choices)
    npi = serializers.CharField(max_length=10, required=False, allow_blank=True, validators=[validate_npi])
    email = serializers.EmailField(required=False, allow_blank=True)
    bio = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    years_dry_needling = serializers.IntegerField(min_value=0, max_value=70, required=False, allow_null=True)
    typical_sessions = serializers.IntegerField(min_value=1, max_value=100, required=False, allow_null=True)
    specialties = SlugRelatedField(slug_field="slug", queryset=Specialty.objects.all(), many=True, required=False)
    techniques = SlugRelatedField(slug_field="slug", queryset=Technique.objects.all(), many=True, required=False)
    languages = SlugRelatedField(slug_field="code", queryset=Language.objects.all(), many=True, required=False)
    locations = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=200,
        help_text="Ids of this clinic's locations where the practitioner works (at least one).",
    )


class ListingStaffSerializer(serializers.Serializer):
    """Where the practitioner works at this clinic and whether patients see them there today."""

    location = serializers.IntegerField(source="location_id")
    qualified = serializers.SerializerMethodField()
    qualified_from = serializers.DateField()
    qualified_until = serializers.DateField()

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_qualified(self, obj):
        return obj.is_qualified(clock.today_from(self.context))


class PractitionerStaffSerializer(serializers.ModelSerializer):
    """A practitioner as their clinic sees them, with private fields (email) and their
    listings at this clinic only."""

    specialties = VocabularySerializer(many=True, read_only=True)
    techniques = VocabularySerializer(many=True, read_only=True)
    languages = LanguageSerializer(many=True, read_only=True)
    email = serializers.CharField(read_only=True, help_text="Private; empty when not known.")
    locations = serializers.SerializerMethodField()
    listings = serializers.SerializerMethodField()

    class Meta:
        model = Practitioner
        fields = [
            "id",
            "slug",
            "name",
            "profession",
            "npi",
            "email",
            "bio",
            "years_dry_needling",
            "typical_sessions",
            "verified_training_hours",
            "specialties",
            "techniques",
            "languages",
            "locations",
            "listings",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _listings(self, obj):
        return getattr(obj, "clinic_listings", [])

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_locations(self, obj):
        return [listing.location_id for listing in self._listings(obj)]

    @extend_schema_field(ListingStaffSerializer(many=True))
    def get_listings(self, obj):
        return ListingStaffSerializer(self._listings(obj), many=True, context=self.context).data


class LocationStaffSerializer(LocationSerializer):
    """A location as its clinic sees it."""

    class Meta(LocationSerializer.Meta):
        model = Location
        fields = [*LocationSerializer.Meta.fields, "created_at", "updated_at"]
