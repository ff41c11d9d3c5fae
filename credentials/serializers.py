"""Shapes of credentials, decisions and state rules. Input and output are separate:
server-owned fields (status, verification, submitter) are never read from a body."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers, status

from core import clock
from core.fields import SlugRelatedField
from directory.models import Profession, Technique
from directory.states import USState

from .models import DOCUMENT_MAX_BYTES, Credential, Kind, Method, StateRule, Verification, document_too_large


class DocumentTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self):
        message = f"The document is larger than {DOCUMENT_MAX_BYTES // 2**20} MB."
        super().__init__({"detail": f"document: {message}", "errors": {"document": [message]}})


class CredentialInputSerializer(serializers.Serializer):
    """What a clinic gives when it submits a credential, or corrects a pending one."""

    practitioner = serializers.IntegerField(min_value=1, help_text="The id of a practitioner at one of your clinics.")
    kind = serializers.ChoiceField(choices=Kind.choices)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    issuer = serializers.CharField(max_length=200)
    jurisdiction = serializers.ChoiceField(choices=USState.choices, required=False, allow_blank=True)
    license_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    profession = serializers.ChoiceField(choices=Profession.choices, required=False, allow_blank=True)
    hours = serializers.IntegerField(min_value=0, max_value=100000, required=False, allow_null=True)
    technique = SlugRelatedField(slug_field="slug", queryset=Technique.objects.all(), required=False, allow_null=True)
    issued_on = serializers.DateField()
    expires_on = serializers.DateField(required=False, allow_null=True)
    document = serializers.FileField(required=False, allow_null=True, allow_empty_file=False, max_length=200)

    def validate_document(self, value):
        if value is not None and document_too_large(value):
            raise DocumentTooLarge()
        return value


class CredentialUpdateSerializer(CredentialInputSerializer):
    """A pending credential's details; its practitioner and kind stay as submitted."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["practitioner"]
        del self.fields["kind"]


class PractitionerSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    profession = serializers.CharField()


class ExpiredMixin(serializers.Serializer):
    """`expired`: whether the credential is past its expiry on the request's day."""

    expired = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_expired(self, obj):
        return obj.is_expired(clock.today_from(self.context))


class CredentialSerializer(ExpiredMixin, serializers.ModelSerializer):
    """A credential as its clinic and the admins see it (never public)."""

    practitioner = PractitionerSummarySerializer(read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)
    # Blank where the kind has none (a certification has no state, profession or, while
    # pending, method): declared so, or the schema would promise one of the choices.
    jurisdiction = serializers.ChoiceField(choices=USState.choices, allow_blank=True, read_only=True)
    profession = serializers.ChoiceField(choices=Profession.choices, allow_blank=True, read_only=True)
    method = serializers.ChoiceField(choices=Method.choices, allow_blank=True, read_only=True)
    technique = SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    has_document = serializers.SerializerMethodField()
    document_url = serializers.SerializerMethodField()
    review_due = serializers.SerializerMethodField()

    class Meta:
        model = Credential
        fields = [
            "id",
            "practitioner",
            "kind",
            "name",
            "issuer",
            "jurisdiction",
            "license_number",
            "profession",
            "hours",
            "technique",
            "issued_on",
            "expires_on",
            "has_document",
            "document_url",
            "status",
            "verified_at",
            "method",
            "next_review_due",
            "expired",
            "review_due",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_has_document(self, obj):
        return bool(obj.document)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_document_url(self, obj):
        if not obj.document:
            return None
        url = reverse("credential-document", kwargs={"pk": obj.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_review_due(self, obj):
        return obj.is_review_due(clock.today_from(self.context))


class QueueItemSerializer(CredentialSerializer):
    """A credential in the verification queue, with why it is there."""

    queue_status = serializers.SerializerMethodField()

    class Meta(CredentialSerializer.Meta):
        fields = ["queue_status", *CredentialSerializer.Meta.fields]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["pending", "review_due"]))
    def get_queue_status(self, obj):
        return "pending" if obj.status == "pending" else "review_due"


class DecisionInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=Method.choices)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReasonedDecisionInputSerializer(DecisionInputSerializer):
    """Rejecting or revoking must say why."""

    reason = serializers.CharField(max_length=2000, allow_blank=False)


class VerificationSerializer(serializers.ModelSerializer):
    """One decision in a credential's history."""

    decided_by = serializers.CharField(source="decided_by.get_username", read_only=True)

    class Meta:
        model = Verification
        fields = [
            "id",
            "credential",
            "action",
            "method",
            "reason",
            "decided_by",
            "decided_at",
            "status_before",
            "status_after",
        ]
        read_only_fields = fields


class PublicCredentialSerializer(serializers.ModelSerializer):
    """The public part of a verified credential, as the profile shows it.

    An allow-list: no license number, no document, no status other than
    verified ever reaches this serializer (see selectors.public_credentials).
    """

    name = serializers.CharField(source="display_name", read_only=True)
    # Blank for a certification or a training record, which no state issues.
    jurisdiction = serializers.ChoiceField(choices=USState.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Credential
        fields = [
            "kind",
            "name",
            "issuer",
            "jurisdiction",
            "issued_on",
            "expires_on",
            "hours",
            "verified_at",
            "method",
            "next_review_due",
        ]
        read_only_fields = fields


class StateRuleSerializer(serializers.ModelSerializer):
    """A state's rule; `effective_min_training_hours` applies the platform default to an empty minimum."""

    state_name = serializers.CharField(source="get_state_display", read_only=True)
    permitted_professions = serializers.ListField(
        child=serializers.ChoiceField(choices=Profession.choices), required=False, allow_empty=True
    )
    min_training_hours = serializers.IntegerField(min_value=0, max_value=10000, required=False, allow_null=True)
    min_years_licensed = serializers.IntegerField(min_value=0, max_value=50, required=False, allow_null=True)
    effective_min_training_hours = serializers.IntegerField(read_only=True)

    class Meta:
        model = StateRule
        fields = [
            "state",
            "state_name",
            "dry_needling_permitted",
            "permitted_professions",
            "min_training_hours",
            "effective_min_training_hours",
            "min_years_licensed",
            "source",
            "source_url",
            "checked_on",
            "notes",
            "updated_at",
        ]
        read_only_fields = ["state_name", "effective_min_training_hours", "updated_at"]


class ExpiringCredentialSerializer(ExpiredMixin, serializers.ModelSerializer):
    """A credential the clinic must renew: when it expires and how many days are left
    (negative once expired)."""

    practitioner = PractitionerSummarySerializer(read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)
    days_left = serializers.SerializerMethodField()
    renewal_pending = serializers.BooleanField(read_only=True)

    class Meta:
        model = Credential
        fields = [
            "id",
            "practitioner",
            "kind",
            "name",
            "jurisdiction",
            "status",
            "expires_on",
            "days_left",
            "expired",
            "renewal_pending",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_days_left(self, obj):
        return (obj.expires_on - clock.today_from(self.context)).days
