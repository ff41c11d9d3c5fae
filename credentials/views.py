"""Credentials API: clinics submit and correct credentials, admins decide on them and keep
the state rules. Views are thin: reads from selectors, writes through services."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import FieldNotFound
from core.pagination import LookaheadPagination
from core.permissions import IsAdmin
from core.views import TodayMixin
from directory.clinic_views import ClinicScopedMixin

from . import selectors, services
from .documents import document_response
from .filters import CredentialFilter, ExpiringCredentialFilter, VerificationQueueFilter
from .permissions import IsAdminOrReadOnly, IsClinicMemberOrAdmin
from .serializers import (
    CredentialInputSerializer,
    CredentialSerializer,
    CredentialUpdateSerializer,
    DecisionInputSerializer,
    ExpiringCredentialSerializer,
    QueueItemSerializer,
    ReasonedDecisionInputSerializer,
    StateRuleSerializer,
    VerificationSerializer,
)


class ScopedCredentialMixin:
    """Credentials the user may see; anyone else's answer 404, so ids cannot be probed."""

    permission_classes = [IsAuthenticated, IsClinicMemberOrAdmin]

    def get_queryset(self):
        return selectors.credentials_visible_to(self.request.user)


class CredentialListCreateView(TodayMixin, ScopedCredentialMixin, generics.ListCreateAPIView):
    """Credentials of the practitioners at your clinics (admins: all); submit one, with an optional document."""

    filterset_class = CredentialFilter
    pagination_class = LookaheadPagination

    def get_serializer_class(self):
        return CredentialInputSerializer if self.request.method == "POST" else CredentialSerializer

    def get_queryset(self):
        return super().get_queryset().order_by("-created_at", "-id")

    @extend_schema(request=CredentialInputSerializer, responses={201: CredentialSerializer})
    def post(self, request, *args, **kwargs):
        serializer = CredentialInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        # Another clinic's practitioner answers 404, like one that does not exist.
        practitioner = selectors.practitioners_managed_by(request.user).filter(pk=data.pop("practitioner")).first()
        if practitioner is None:
            raise FieldNotFound("practitioner", "No such practitioner at your clinics.")
        credential = services.credential_submit(
            practitioner=practitioner, submitted_by=request.user, today=self.today, **data
        )
        output = CredentialSerializer(credential, context=self.get_serializer_context())
        return Response(output.data, status=status.HTTP_201_CREATED)


class CredentialDetailView(TodayMixin, ScopedCredentialMixin, generics.RetrieveAPIView):
    """One credential. PATCH changes its details: a pending one stays pending; a verified one
    goes back to pending and into the queue (its history says what changed); a rejected or
    revoked one is a 409."""

    serializer_class = CredentialSerializer
    http_method_names = ["get", "patch", "head", "options"]

    @extend_schema(request=CredentialUpdateSerializer, responses={200: CredentialSerializer})
    def patch(self, request, *args, **kwargs):
        credential = self.get_object()
        serializer = CredentialUpdateSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        credential = services.credential_update(
            credential=credential, changes=serializer.validated_data, changed_by=request.user, today=self.today
        )
        return Response(CredentialSerializer(credential, context=self.get_serializer_context()).data)


class CredentialDocumentView(ScopedCredentialMixin, generics.GenericAPIView):
    """The credential's document, for its clinic and the admins only."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, *args, **kwargs):
        return document_response(self.get_object())


DECISIONS = {
    "verify": (services.credential_verify, DecisionInputSerializer),
    "reject": (services.credential_reject, ReasonedDecisionInputSerializer),
    "revoke": (services.credential_revoke, ReasonedDecisionInputSerializer),
}


class CredentialDecisionView(TodayMixin, APIView):
    """POST a decision (verify, reject or revoke) with a method and, to reject or revoke, a reason."""

    permission_classes = [IsAdmin]
    decision = "verify"

    def get_serializer(self, *args, **kwargs):
        return DECISIONS[self.decision][1](*args, **kwargs)

    @extend_schema(request=ReasonedDecisionInputSerializer, responses={200: CredentialSerializer})
    def post(self, request, pk):
        credential = get_object_or_404(selectors.credentials_visible_to(request.user), pk=pk)
        service, input_serializer = DECISIONS[self.decision]
        serializer = input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credential = service(
            credential=credential, decided_by=request.user, today=self.today, **serializer.validated_data
        )
        return Response(CredentialSerializer(credential, context={"request": request, "today": self.today}).data)


class CredentialHistoryView(ScopedCredentialMixin, generics.ListAPIView):
    """Every decision on one credential, oldest first. Append-only: nothing here is ever edited."""

    serializer_class = VerificationSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        credential = get_object_or_404(selectors.credentials_visible_to(self.request.user), pk=self.kwargs["pk"])
        return selectors.credential_history(credential)


class VerificationQueueView(TodayMixin, generics.ListAPIView):
    """Credentials awaiting a decision: pending first (oldest first), then verified ones due for review."""

    permission_classes = [IsAdmin]
    serializer_class = QueueItemSerializer
    filterset_class = VerificationQueueFilter
    pagination_class = LookaheadPagination

    def get_queryset(self):
        return selectors.verification_queue(today=self.today)


STATE_RULES_RESPONSE = inline_serializer(
    "StateRuleList",
    fields={
        "platform_default_min_training_hours": serializers.IntegerField(),
        "results": StateRuleSerializer(many=True),
    },
)


class StateRuleListCreateView(TodayMixin, generics.GenericAPIView):
    """Every state's rule, and the platform default for states without one. Admins add rules.

    Not a ListAPIView: the answer is one object (the default beside the rules), which a
    list view would publish in the schema as an array.
    """

    permission_classes = [IsAdminOrReadOnly]
    serializer_class = StateRuleSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return selectors.state_rules()

    @extend_schema(operation_id="v1_state_rules_list", responses={200: STATE_RULES_RESPONSE})
    def get(self, request, *args, **kwargs):
        rules = self.get_serializer(self.get_queryset(), many=True).data
        return Response(
            {"platform_default_min_training_hours": settings.PLATFORM_DEFAULT_MIN_TRAINING_HOURS, "results": rules}
        )

    @extend_schema(responses={201: StateRuleSerializer})
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = services.state_rule_create(**serializer.validated_data, today=self.today)
        return Response(self.get_serializer(rule).data, status=status.HTTP_201_CREATED)


class StateRuleDetailView(TodayMixin, generics.RetrieveAPIView):
    """One state's rule, by its two-letter code; admins PATCH it, and its listings are requalified."""

    permission_classes = [IsAdminOrReadOnly]
    serializer_class = StateRuleSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return get_object_or_404(selectors.state_rules(), state=self.kwargs["state"].upper())

    def patch(self, request, *args, **kwargs):
        rule = self.get_object()
        serializer = self.get_serializer(rule, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        rule = services.state_rule_update(rule=rule, changes=serializer.validated_data, today=self.today)
        return Response(self.get_serializer(rule).data)


class ClinicScopedView(ClinicScopedMixin, generics.GenericAPIView):
    """Under /clinics/{clinic_pk}/: the clinic's members and admins; any other clinic is a 404."""


class ExpiringCredentialsView(ClinicScopedView, generics.ListAPIView):
    """The clinic's credentials that expire within `within_days` (default 90) or have expired,
    soonest first, with the days left; renewed ones are left out."""

    serializer_class = ExpiringCredentialSerializer
    filterset_class = ExpiringCredentialFilter

    def get_queryset(self):
        return selectors.expiring_credentials(clinic=self.clinic)
