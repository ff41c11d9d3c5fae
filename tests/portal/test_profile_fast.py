"""The API profile is written field by field (portal.serializers.PROFILE); it must be the
JSON that DRF's serializers of the same schema write, for every kind of practitioner the
demo has (qualified, lapsed, pending, several states, no credentials)."""

import datetime

import pytest
from django.core.management import call_command
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import clock
from credentials.selectors import public_credentials, qualification_basis
from credentials.serializers import PublicCredentialSerializer
from directory.models import Practitioner
from directory.serializers import LanguageSerializer, VocabularySerializer
from portal.selectors import practitioner_profiles
from portal.serializers import PractitionerLocationSerializer
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 1)


class ReferenceProfileSerializer(serializers.ModelSerializer):
    """The profile as DRF's ModelSerializer wrote it before it was declared field by field."""

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
        today = clock.today_from(self.context)
        listings = list(obj.listings.all())
        basis = qualification_basis(obj, listings, today=today)
        locations = []
        for listing in listings:
            location = listing.location
            location.qualified = listing.is_qualified(today)
            location.qualification = basis[listing.pk]
            locations.append(location)
        return locations

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_qualified(self, obj):
        return any(location.qualified for location in self._locations(obj))

    def get_locations(self, obj):
        return PractitionerLocationSerializer(self._locations(obj), many=True, context=self.context).data

    def get_credentials(self, obj):
        return PublicCredentialSerializer(public_credentials(obj, today=clock.today_from(self.context)), many=True).data


@pytest.fixture
def frozen_day():
    return TODAY


@pytest.fixture
def demo():
    call_command("seed_demo", "--practitioners=80", "--seed=3", f"--today={TODAY}", "--verbosity=0")
    # Someone new: listed, with no credentials and no terms yet.
    ListingFactory(qualified_from=None, qualified_until=None)


def test_every_demo_profile_is_what_drfs_serializers_write(demo, api, today):
    kinds = {"qualified": 0, "not qualified": 0, "several locations": 0, "no credentials": 0}
    for practitioner in practitioner_profiles().order_by("id"):
        reference = ReferenceProfileSerializer(practitioner, context={"today": TODAY}).data
        response = api.get(f"/api/v1/practitioners/{practitioner.slug}/")
        assert response.status_code == 200
        assert response.json() == reference, practitioner.slug
        kinds["qualified" if reference["qualified"] else "not qualified"] += 1
        kinds["several locations"] += len(reference["locations"]) > 1
        kinds["no credentials"] += not reference["credentials"]
    assert all(kinds.values()), kinds
