"""Patient-facing directory endpoints: search, profiles, clinics and consultation requests."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, permissions, status
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle

from core.public_cache import PublicCacheMixin
from core.renderers import JSONRenderer
from core.schema import BAD_REQUEST, NOT_FOUND, TOO_MANY_REQUESTS
from core.throttling import SignedInRateThrottle
from core.views import TodayMixin

from . import selectors, services
from .filters import ClinicSearchFilter, PractitionerSearchFilter
from .pagination import GEOJSON_PAGE_TITLE, GeoJSONSearchPagination, SearchPagination
from .renderers import GeoJSONRenderer
from .results import ClinicResultSerializer, PractitionerResultGeoSerializer, PractitionerResultSerializer
from .serializers import (
    ClinicProfileSerializer,
    ConsultationRequestInputSerializer,
    ConsultationRequestSerializer,
)

FORMAT_PARAMETER = OpenApiParameter(
    "format",
    str,
    enum=["json", "geojson"],
    description="geojson: the same page as a GeoJSON FeatureCollection (also via Accept: application/geo+json).",
)


GEOJSON_PAGE = OpenApiResponse(
    {
        "title": GEOJSON_PAGE_TITLE,
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["type", "geometry", "properties"],
                    "properties": {
                        "type": {"type": "string", "enum": ["Feature"]},
                        "geometry": {"type": "object"},
                        "properties": {"type": "object", "description": "The fields of a JSON search result."},
                    },
                },
            },
            "next": {"type": "string", "format": "uri", "nullable": True},
            "previous": {"type": "string", "format": "uri", "nullable": True},
        },
    },
    description="The same page as a GeoJSON FeatureCollection, one Point feature per result.",
)


class PatientReadMixin(PublicCacheMixin, TodayMixin):
    """Anonymous, read-only and throttled (DEFAULT_THROTTLE_CLASSES); a repeated request is
    answered from the shared cache until the directory's data changes (core.public_cache)."""

    permission_classes = [permissions.AllowAny]


@extend_schema_view(
    get=extend_schema(
        parameters=[FORMAT_PARAMETER],
        responses={
            (200, "application/json"): PractitionerResultSerializer(many=True),
            (200, "application/geo+json"): GEOJSON_PAGE,
            400: BAD_REQUEST,
        },
    )
)
class PractitionerSearchView(PatientReadMixin, generics.ListAPIView):
    """Search practitioners near a place, nearest first, one row per practitioner.

    By default only practitioners qualified at that location today are
    listed; each result is the practitioner's nearest matching location.
    """

    queryset = selectors.listing_search_base()
    attach_to_page = staticmethod(selectors.attach_terms)
    filterset_class = PractitionerSearchFilter
    renderer_classes = [JSONRenderer, GeoJSONRenderer, BrowsableAPIRenderer]

    @property
    def wants_geojson(self):
        renderer = getattr(self.request, "accepted_renderer", None)
        return renderer is not None and renderer.format == "geojson"

    @property
    def pagination_class(self):
        return GeoJSONSearchPagination if self.wants_geojson else SearchPagination

    def get_serializer_class(self):
        return PractitionerResultGeoSerializer if self.wants_geojson else PractitionerResultSerializer


@extend_schema_view(get=extend_schema(responses={200: ClinicResultSerializer(many=True), 400: BAD_REQUEST}))
class ClinicSearchView(PatientReadMixin, generics.ListAPIView):
    """Clinics near a place, nearest first, each at its nearest matching location."""

    queryset = selectors.location_search_base()
    filterset_class = ClinicSearchFilter
    serializer_class = ClinicResultSerializer
    pagination_class = SearchPagination


@extend_schema_view(get=extend_schema(responses={200: ClinicProfileSerializer, 404: NOT_FOUND}))
class ClinicDetailView(PatientReadMixin, generics.RetrieveAPIView):
    """A clinic with its locations and the practitioners at each."""

    queryset = selectors.clinic_profiles()
    serializer_class = ClinicProfileSerializer


@extend_schema_view(
    post=extend_schema(
        request=ConsultationRequestInputSerializer,
        responses={201: ConsultationRequestSerializer, 400: BAD_REQUEST, 429: TOO_MANY_REQUESTS},
    )
)
class ConsultationRequestCreateView(generics.GenericAPIView):
    """A patient asks a practitioner's clinic for a consultation; the clinic's members are mailed.

    Anonymous, and throttled per client (THROTTLE_CONSULTATION) on top of the
    usual limits: every accepted request sends an email.
    """

    permission_classes = [permissions.AllowAny]
    throttle_classes = [AnonRateThrottle, SignedInRateThrottle, ScopedRateThrottle]
    throttle_scope = "consultation_requests"
    serializer_class = ConsultationRequestInputSerializer

    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consultation = services.consultation_request_create(**serializer.validated_data)
        return Response(ConsultationRequestSerializer(consultation).data, status=status.HTTP_201_CREATED)
