"""API views that show the directory and the credentials together: the public profile and
the roster import."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, generics, status
from rest_framework.response import Response

from core.schema import NOT_FOUND
from credentials.views import ClinicScopedView
from directory.selectors import terms_copied, terms_held
from directory.views import PatientReadMixin

from . import roster, selectors, services
from .models import RosterImport
from .serializers import PractitionerProfileSerializer, RosterImportInputSerializer, RosterImportJobSerializer


@extend_schema_view(get=extend_schema(responses={200: PractitionerProfileSerializer, 404: NOT_FOUND}))
class PractitionerDetailView(PatientReadMixin, generics.RetrieveAPIView):
    """A practitioner's profile: every location and whether they are qualified there."""

    queryset = selectors.practitioner_profile_rows()
    serializer_class = PractitionerProfileSerializer
    lookup_field = "slug"

    def get_object(self):
        practitioner = super().get_object()
        # Every listing carries a copy of the practitioner's term ids; one not listed
        # anywhere has their terms read from the link tables.
        listings = practitioner.listings.all()
        if listings:
            practitioner.terms = terms_copied(listings[0])
        else:
            practitioner.terms = terms_held([practitioner.pk])[practitioner.pk]
        return practitioner


class RosterFileProblem(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_roster"

    def __init__(self, message: str, *, too_large: bool = False):
        if too_large:
            self.status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        super().__init__({"detail": f"file: {message}", "errors": {"file": [message]}})


class RosterImportView(ClinicScopedView):
    """Import practitioners (and their licenses) from a CSV, as a job: 202 with the job to
    poll (GET its `url`): status, rows done of rows total, and once it ends the report
    row by row (created, updated, unchanged, rejected with the reason).

    `dry_run=true` reports and writes nothing. A real run is all or nothing: with any
    rejected row the job ends `rejected`, with the report and nothing written.
    Re-importing a file changes nothing. A file that cannot be read as a roster at all
    (encoding, header, size) is a 400 or 413 at once, and no job is made.
    """

    serializer_class = RosterImportInputSerializer

    @extend_schema(
        request={"multipart/form-data": RosterImportInputSerializer},
        responses={202: RosterImportJobSerializer},
    )
    def post(self, request, *args, **kwargs):
        clinic = self.clinic
        serializer = RosterImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        try:
            roster.check_size(upload.size)  # before reading it into memory
            job = services.roster_import_start(
                clinic=clinic,
                content=upload.read(),
                dry_run=serializer.validated_data["dry_run"],
                user=request.user,
                file_name=upload.name or "",
                today=self.today,
            )
        except roster.RosterFileError as exc:
            raise RosterFileProblem(str(exc), too_large=exc.too_large) from None
        job.refresh_from_db()  # without a broker it has already run
        body = RosterImportJobSerializer(job).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class RosterImportJobView(ClinicScopedView, generics.RetrieveAPIView):
    """One roster import of the clinic: poll it until its status is done, rejected or failed."""

    serializer_class = RosterImportJobSerializer

    def get_queryset(self):
        return RosterImport.objects.filter(clinic=self.clinic)
