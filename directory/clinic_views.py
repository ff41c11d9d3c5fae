"""Clinic self-service API: a clinic's staff keep their clinic, members, locations and
practitioners right. Every id in a path or body is looked up within the clinics the
user manages, so another clinic's objects answer 404, exactly like missing ones."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, permissions, status
from rest_framework.response import Response

from core.exceptions import FieldNotFound
from core.pagination import LookaheadPagination
from core.permissions import IsAdmin, is_admin
from core.views import TodayMixin

from . import selectors, services, views
from .clinic_serializers import (
    ClinicInputSerializer,
    ClinicStaffSerializer,
    InvitationAcceptSerializer,
    InvitationInputSerializer,
    InvitationSerializer,
    LocationInputSerializer,
    LocationStaffSerializer,
    MemberInputSerializer,
    MemberSerializer,
    PractitionerInputSerializer,
    PractitionerStaffSerializer,
)
from .filters import ClinicLocationFilter, ClinicMemberFilter, ClinicPractitionerFilter
from .models import Clinic, ClinicInvitation, Location

PRACTITIONER_TERMS = services.PRACTITIONER_TERMS


def managed_clinic(request, pk):
    """The clinic with this id if the user may manage it; 404 otherwise (even if it exists)."""
    return get_object_or_404(selectors.clinics_managed_by(request.user), pk=pk)


class ClinicListCreateView(views.ClinicSearchView):
    """Clinics near a place (anyone); POST creates a clinic (admins)."""

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsAdmin()]
        return super().get_permissions()

    @extend_schema(request=ClinicInputSerializer, responses={201: ClinicStaffSerializer})
    def post(self, request, *args, **kwargs):
        serializer = ClinicInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        clinic = services.clinic_create(**serializer.validated_data)
        return Response(ClinicStaffSerializer(clinic).data, status=status.HTTP_201_CREATED)


class ClinicDetailUpdateView(views.ClinicDetailView):
    """A clinic's public profile (anyone); PATCH changes its details (its staff and admins)."""

    http_method_names = ["get", "patch", "head", "options"]

    def get_permissions(self):
        if self.request.method == "PATCH":
            return [permissions.IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(request=ClinicInputSerializer, responses={200: ClinicStaffSerializer})
    def patch(self, request, *args, **kwargs):
        clinic = managed_clinic(request, kwargs["pk"])
        serializer = ClinicInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        clinic = services.clinic_update(clinic=clinic, changes=serializer.validated_data)
        return Response(ClinicStaffSerializer(clinic).data)


class ClinicScopedMixin(TodayMixin):
    """Views under /clinics/{clinic_pk}/: logged in, and a member of that clinic or an admin."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = LookaheadPagination

    @cached_property
    def clinic(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no clinic id
            return Clinic(pk=0)
        return managed_clinic(self.request, self.kwargs["clinic_pk"])


class ClinicMemberListView(ClinicScopedMixin, generics.ListCreateAPIView):
    """Who has access to the clinic. POST `username` and `role`: admins add owners and staff,
    the clinic's owners add staff."""

    serializer_class = MemberSerializer
    filterset_class = ClinicMemberFilter

    def get_queryset(self):
        return selectors.clinic_members(self.clinic)

    @extend_schema(request=MemberInputSerializer, responses={201: MemberSerializer, 200: MemberSerializer})
    def post(self, request, *args, **kwargs):
        """Admins give an existing user access by username. Owners invite by email instead
        (POST .../invitations/): adding by username would tell them which accounts exist."""
        clinic = self.clinic  # another clinic's members are a 404, before any 403
        if not is_admin(request.user):
            raise exceptions.PermissionDenied(f"Invite staff by email: POST /api/v1/clinics/{clinic.pk}/invitations/.")
        serializer = MemberInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership, created = services.membership_add(clinic=clinic, added_by=request.user, **serializer.validated_data)
        return Response(
            MemberSerializer(membership).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class ClinicInvitationListCreateView(ClinicScopedMixin, generics.ListCreateAPIView):
    """Invitations of the clinic (owners and admins). POST `email` and `role` sends one:
    the answer is the same whether or not that address has an account."""

    serializer_class = InvitationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return ClinicInvitation.objects.none()
        if not (is_admin(self.request.user) or selectors.clinic_role(self.request.user, self.clinic) == "owner"):
            raise exceptions.PermissionDenied("Only the clinic's owners and admins see its invitations.")
        return selectors.clinic_invitations(self.clinic)

    @extend_schema(request=InvitationInputSerializer, responses={202: InvitationSerializer})
    def post(self, request, *args, **kwargs):
        clinic = self.clinic
        serializer = InvitationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = services.invitation_create(clinic=clinic, invited_by=request.user, **serializer.validated_data)
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_202_ACCEPTED)


class InvitationAcceptView(generics.GenericAPIView):
    """Accept an invitation with the code from its email: signed in, as yourself; otherwise
    with a `username` and `password` for a new account (the invitation's address)."""

    permission_classes = [permissions.AllowAny]
    serializer_class = InvitationAcceptSerializer

    @extend_schema(responses={201: MemberSerializer})
    def post(self, request):
        serializer = InvitationAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = request.user if request.user.is_authenticated else None
        membership = services.invitation_accept(user=user, **serializer.validated_data)
        return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)


class ClinicMemberDetailView(ClinicScopedMixin, generics.RetrieveDestroyAPIView):
    """One member, by user id; DELETE takes their access away (owners: staff only)."""

    serializer_class = MemberSerializer
    lookup_field = "user_id"
    lookup_url_kwarg = "user_id"

    def get_queryset(self):
        return selectors.clinic_members(self.clinic)

    def perform_destroy(self, instance):
        services.membership_remove(membership=instance, removed_by=self.request.user)


def _coordinates(data: dict) -> dict:
    return {"lat": data.pop("lat", None), "lon": data.pop("lon", None)}


class LocationListCreateView(ClinicScopedMixin, generics.ListCreateAPIView):
    """The clinic's locations. POST an address; without lat/lon it is placed at its ZIP's centroid."""

    serializer_class = LocationStaffSerializer
    filterset_class = ClinicLocationFilter

    def get_queryset(self):
        return selectors.clinic_locations(self.clinic)

    @extend_schema(request=LocationInputSerializer, responses={201: LocationStaffSerializer})
    def post(self, request, *args, **kwargs):
        clinic = self.clinic
        serializer = LocationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        location = services.location_create(clinic=clinic, **serializer.validated_data)
        return Response(LocationStaffSerializer(location).data, status=status.HTTP_201_CREATED)


class LocationDetailView(ClinicScopedMixin, generics.RetrieveDestroyAPIView):
    """One of the clinic's locations; PATCH changes it, DELETE removes it and its listings."""

    serializer_class = LocationStaffSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.clinic_locations(self.clinic)

    @extend_schema(request=LocationInputSerializer, responses={200: LocationStaffSerializer})
    def patch(self, request, *args, **kwargs):
        location = self.get_object()
        serializer = LocationInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        location = services.location_update(location=location, changes=changes, **_coordinates(changes))
        return Response(LocationStaffSerializer(location).data)

    def perform_destroy(self, instance):
        services.location_delete(location=instance)


class PractitionerWriteMixin(ClinicScopedMixin):
    def get_queryset(self):
        return selectors.clinic_practitioners(self.clinic)

    def resolve(self, validated: dict) -> dict:
        """Split validated input into the service's arguments, finding location ids within
        this clinic only (any other id, another clinic's included, is a 404)."""
        data = dict(validated)
        arguments = {relation: data.pop(relation) for relation in PRACTITIONER_TERMS if relation in data}
        if "locations" in data:
            ids = data.pop("locations")
            found = {location.pk: location for location in Location.objects.filter(clinic=self.clinic, pk__in=ids)}
            missing = [pk for pk in ids if pk not in found]
            if missing:
                raise FieldNotFound("locations", f"No location {missing[0]} at this clinic.")
            arguments["locations"] = [found[pk] for pk in dict.fromkeys(ids)]
        return {"changes": data, **arguments}

    def respond(self, practitioner, code=status.HTTP_200_OK):
        practitioner = self.get_queryset().get(pk=practitioner.pk)
        return Response(
            PractitionerStaffSerializer(practitioner, context=self.get_serializer_context()).data, status=code
        )


class PractitionerListCreateView(PractitionerWriteMixin, generics.ListCreateAPIView):
    """Practitioners working at the clinic; POST adds one at some of its locations."""

    serializer_class = PractitionerStaffSerializer
    filterset_class = ClinicPractitionerFilter

    @extend_schema(request=PractitionerInputSerializer, responses={201: PractitionerStaffSerializer})
    def post(self, request, *args, **kwargs):
        clinic = self.clinic
        serializer = PractitionerInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        arguments = self.resolve(serializer.validated_data)
        practitioner = services.practitioner_create(clinic=clinic, **arguments.pop("changes"), **arguments)
        return self.respond(practitioner, status.HTTP_201_CREATED)


class PractitionerDetailView(PractitionerWriteMixin, generics.RetrieveDestroyAPIView):
    """One of the clinic's practitioners; PATCH changes them (and where they work here);
    DELETE means they no longer work at this clinic (their listings here go)."""

    serializer_class = PractitionerStaffSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    @extend_schema(request=PractitionerInputSerializer, responses={200: PractitionerStaffSerializer})
    def patch(self, request, *args, **kwargs):
        practitioner = self.get_object()
        serializer = PractitionerInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        practitioner = services.practitioner_update(
            clinic=self.clinic, practitioner=practitioner, **self.resolve(serializer.validated_data)
        )
        return self.respond(practitioner)

    def perform_destroy(self, instance):
        services.practitioner_remove(clinic=self.clinic, practitioner=instance)
