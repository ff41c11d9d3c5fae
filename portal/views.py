"""API views that show the directory and the credentials together: the public profile and
the roster import."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, generics, status
from rest_framework.response import Response

from core.schema import NOT_FOUND
from credentials.views import ClinicScopedView
from directory.views import PatientReadMixin

from . import roster, selectors
from .serializers import PractitionerProfileSerializer, RosterImportInputSerializer, RosterReportSerializer


@extend_schema_view(get=extend_schema(responses={200: PractitionerProfileSerializer, 404: NOT_FOUND}))
class PractitionerDetailView(PatientReadMixin, generics.RetrieveAPIView):
    """A practitioner's profile: every location and whether they are qualified there."""

    queryset = selectors.practitioner_profiles()
    serializer_class = PractitionerProfileSerializer
    lookup_field = "slug"


class RosterFileProblem(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_roster"

    def __init__(self, message: str, *, too_large: bool = False):
        if too_large:
            self.status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        super().__init__({"detail": f"file: {message}", "errors": {"file": [message]}})


class RosterImportView(ClinicScopedView):
    """Import practitioners (and their licenses) from a CSV; `dry_run=true` reports, row by
    row, what would be created, updated and rejected, and writes nothing.

    A real run is all or nothing: with any rejected row it is a 400 with the
    same report and nothing is written. Re-importing a file changes nothing.
    """

    serializer_class = RosterImportInputSerializer

    @extend_schema(
        request={"multipart/form-data": RosterImportInputSerializer},
        responses={200: RosterReportSerializer, 400: RosterReportSerializer},
    )
    def post(self, request, *args, **kwargs):
        clinic = self.clinic
        serializer = RosterImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        try:
            roster.check_size(upload.size)  # before reading it into memory
            roster_file = roster.read_roster(upload.read())
        except roster.RosterFileError as exc:
            raise RosterFileProblem(str(exc), too_large=exc.too_large) from None
        report = roster.roster_import(
            clinic=clinic,
            roster=roster_file,
            dry_run=serializer.validated_data["dry_run"],
            user=request.user,
            today=self.today,
        )
        body = RosterReportSerializer(report).data
        if report.dry_run or report.applied:
            return Response(body)
        rejected = report.rejected
        body["detail"] = f"{len(rejected)} row(s) rejected, so nothing was imported; first at line {rejected[0].line}."
        body["errors"] = {"file": [f"Line {row.line}: {row.reason}" for row in rejected[:20]]}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
