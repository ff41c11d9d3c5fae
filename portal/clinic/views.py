"""The clinic workspace: the pages a clinic manager uses in a browser, under /clinic/.

Server-rendered on the services and selectors the clinic API uses (no rule is written
here): every clinic is found within the user's clinics (portal.clinic.access), every
object within its clinic, every write goes through a service, and a service's refusal
is shown next to the field it names.
"""

from __future__ import annotations

import csv
import datetime
import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.exceptions import APIException

from core import clock
from core.auth import throttled_login
from credentials import qualification
from credentials import selectors as credential_selectors
from credentials import services as credential_services
from credentials.documents import document_response
from credentials.models import DOCUMENT_MAX_BYTES, Action, Credential, Kind, Status
from directory import selectors as directory_selectors
from directory import services as directory_services
from directory.models import Listing
from portal import roster
from portal import services as portal_services
from portal.models import RosterImport
from portal.pages import map_config

from . import forms
from .access import clinic_page, may_manage_members

PAGE_SIZE = 50
EXPIRY_WINDOWS = (30, 60, 90)
# Each section of the expiring view lists its soonest this many (all with ?all=1).
EXPIRING_SHOWN = 100
TERMINAL = (RosterImport.Status.DONE, RosterImport.Status.REJECTED, RosterImport.Status.FAILED)


def render_page(request, template, context=None, status=200):
    """A workspace page: the clinic, the user's role and whether they may manage members."""
    clinic = getattr(request, "clinic", None)
    base = {}
    if clinic is not None:
        base = {"clinic": clinic, "role": request.clinic_role, "manages_members": may_manage_members(request)}
    return render(request, f"portal/clinic/{template}", {**base, **(context or {})}, status=status)


# --- signing in -------------------------------------------------------------


class SignInView(auth_views.LoginView):
    template_name = "portal/clinic/sign_in.html"

    def get_default_redirect_url(self):
        return reverse("clinic:home")


sign_in = throttled_login(SignInView.as_view())
sign_out = auth_views.LogoutView.as_view(next_page=reverse_lazy("clinic:sign-in"))
password_reset = auth_views.PasswordResetView.as_view(
    template_name="portal/clinic/password_reset.html",
    email_template_name="portal/clinic/password_reset_email.txt",
    subject_template_name="portal/clinic/password_reset_subject.txt",
    success_url=reverse_lazy("clinic:password-reset-sent"),
)
password_reset_sent = auth_views.PasswordResetDoneView.as_view(template_name="portal/clinic/password_reset_sent.html")
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="portal/clinic/password_reset_confirm.html",
    success_url=reverse_lazy("clinic:password-reset-complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="portal/clinic/password_reset_complete.html"
)


@require_GET
def home(request):
    """After signing in: one clinic, its dashboard; several, a chooser; none, says so."""
    if not request.user.is_authenticated:
        return redirect("clinic:sign-in")
    clinics = directory_selectors.clinics_managed_by(request.user).order_by("name", "id")
    query = request.GET.get("q", "").strip()[:100]
    if query:
        clinics = clinics.filter(name__icontains=query)
    first_two = list(clinics[:2])
    if len(first_two) == 1 and not query:
        return redirect("clinic:dashboard", clinic_id=first_two[0].pk)
    if not first_two and not query:
        return render_page(request, "no_clinic.html")
    page = Paginator(clinics, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(request, "chooser.html", {"page": page, "q": query})


@require_http_methods(["GET", "POST"])
def join(request):
    """Accept an invitation with the code from its email: signed in as yourself, or as a new account."""
    signed_in = request.user.is_authenticated
    form = forms.JoinForm(request.POST or None, signed_in=signed_in, initial={"token": request.GET.get("code", "")})
    if request.method == "POST" and form.is_valid():
        try:
            membership = directory_services.invitation_accept(
                user=request.user if signed_in else None, **form.cleaned_data
            )
        except ValidationError as exc:
            forms.add_service_error(form, exc)
        else:
            messages.success(request, f"You joined {membership.clinic.name}.")
            if signed_in:
                return redirect("clinic:dashboard", clinic_id=membership.clinic_id)
            messages.success(request, "Sign in with your new username and password.")
            return redirect("clinic:sign-in")
    return render_page(request, "join.html", {"form": form})


# --- dashboard --------------------------------------------------------------


def expiry_counts(clinic, today: datetime.date) -> dict:
    """The clinic's unrenewed credentials expiring within 30, 60 and 90 days, and expired."""
    queryset = credential_selectors.expiring_credentials(clinic=clinic)
    return queryset.aggregate(
        expired=Count("id", filter=Q(expires_on__lt=today)),
        **{
            f"within_{days}": Count(
                "id", filter=Q(expires_on__gte=today, expires_on__lte=today + datetime.timedelta(days=days))
            )
            for days in EXPIRY_WINDOWS
        },
    )


@require_GET
@clinic_page
def dashboard(request):
    clinic, today = request.clinic, clock.today()
    practitioners = directory_selectors.clinic_practitioners(clinic)
    listings = Listing.objects.filter(location__clinic=clinic)
    qualified_here = listings.qualified_on(today).filter(practitioner_id=OuterRef("pk"))
    counts = {
        "therapists": practitioners.count(),
        "qualified": practitioners.filter(Exists(qualified_here)).count(),
        "listings": listings.count(),
        "listings_qualified": listings.qualified_on(today).count(),
        "pending": credential_selectors.clinic_credentials(clinic).filter(status=Status.PENDING).count(),
        "requests_waiting": directory_selectors.clinic_consultation_requests(clinic)
        .filter(contacted_at__isnull=True)
        .count(),
        "locations": directory_selectors.clinic_locations(clinic).count(),
        **expiry_counts(clinic, today),
    }
    counts["listings_not_qualified"] = counts["listings"] - counts["listings_qualified"]
    why = {}
    if counts["listings_not_qualified"]:
        missing = credential_selectors.qualification_shortfall_counts(clinic=clinic, today=today)
        why = [(missing[what], label) for what, label in SHORTFALL_LABELS.items() if missing.get(what)]
    return render_page(request, "dashboard.html", {"counts": counts, "today": today, "why": why})


# The dashboard's "why" of the listings not qualified, by what they miss (qualification.shortfalls).
SHORTFALL_LABELS = {
    credential_selectors.EXCLUSION_HOLD: "are on hold while the admins review a possible exclusion-list match",
    qualification.NO_LICENSE: "need a verified license for their state",
    qualification.LICENSE_EXPIRED: "have a license that expired",
    qualification.TRAINING_HOURS: "need more verified training hours",
    qualification.YEARS_LICENSED: "need more years licensed",
    qualification.PROFESSION_NOT_PERMITTED: "are of a profession their state does not allow to dry-needle",
    qualification.NOT_PERMITTED: "are in a state that does not allow dry needling",
}


# --- therapists -------------------------------------------------------------


THERAPIST_FILTERS = {
    "": "All therapists",
    "not-qualified": "Not qualified somewhere",
    "expiring": "Credentials expiring",
}


@require_GET
@clinic_page
def therapists(request):
    clinic, today = request.clinic, clock.today()
    queryset = directory_selectors.clinic_practitioners(clinic)
    query = request.GET.get("q", "").strip()[:200]
    chosen = request.GET.get("filter", "")
    if chosen not in THERAPIST_FILTERS:
        chosen = ""
    if query:
        queryset = queryset.filter(name__icontains=query)
    if chosen == "not-qualified":
        here = Listing.objects.filter(location__clinic=clinic, practitioner_id=OuterRef("pk"))
        queryset = queryset.filter(Exists(here.exclude(pk__in=here.qualified_on(today).values("pk"))))
    elif chosen == "expiring":
        expiring = credential_selectors.expiring_credentials(clinic=clinic).filter(
            expires_on__lte=today + datetime.timedelta(days=max(EXPIRY_WINDOWS))
        )
        queryset = queryset.filter(pk__in=expiring.values("practitioner_id"))
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    gaps = {}
    if chosen == "not-qualified":
        gaps = credential_selectors.qualification_gaps_many(
            {practitioner: practitioner.clinic_listings for practitioner in page.object_list}, today=today
        )
    for practitioner in page.object_list:
        practitioner.listings_here = practitioner.clinic_listings
        practitioner.qualified_count = sum(listing.is_qualified(today) for listing in practitioner.clinic_listings)
        practitioner.gaps = list(
            dict.fromkeys(line for listing in practitioner.clinic_listings for line in gaps.get(listing.pk, []))
        )
    return render_page(
        request, "therapists.html", {"page": page, "q": query, "filter": chosen, "filters": THERAPIST_FILTERS}
    )


def _therapist(request, pk):
    return get_object_or_404(directory_selectors.clinic_practitioners(request.clinic), pk=pk)


def _locations(request):
    return directory_selectors.clinic_locations(request.clinic)


@require_GET
@clinic_page
def therapist(request, pk):
    clinic, today = request.clinic, clock.today()
    practitioner = _therapist(request, pk)
    listings = list(
        Listing.objects.filter(practitioner=practitioner, location__clinic=clinic).select_related("location")
    )
    gaps = credential_selectors.qualification_gaps(practitioner, listings, today=today)
    for listing in listings:
        listing.qualified_today = listing.is_qualified(today)
        listing.gaps = gaps[listing.pk]
    credentials = list(
        Credential.objects.filter(practitioner=practitioner).select_related("technique").order_by("-created_at", "-id")
    )
    for credential in credentials:
        credential.expired = credential.is_expired(today)
    return render_page(
        request,
        "therapist.html",
        {"practitioner": practitioner, "listings": listings, "credentials": credentials, "kinds": Kind.choices},
    )


@require_http_methods(["GET", "POST"])
@clinic_page
def therapist_add(request):
    clinic = request.clinic
    form = forms.TherapistForm(request.POST or None, locations=_locations(request))
    if request.method == "POST" and form.is_valid():
        arguments = form.service_arguments()
        try:
            practitioner = directory_services.practitioner_create(
                clinic=clinic, **arguments.pop("changes"), **arguments
            )
        except (ValidationError, APIException) as exc:
            forms.add_service_error(form, exc)
        else:
            messages.success(request, f"{practitioner.name} was added. Submit their license and training next.")
            return redirect("clinic:therapist", clinic_id=clinic.pk, pk=practitioner.pk)
    return render_page(request, "therapist_form.html", {"form": form, "adding": True})


@require_http_methods(["GET", "POST"])
@clinic_page
def therapist_edit(request, pk):
    clinic = request.clinic
    practitioner = _therapist(request, pk)
    form = forms.TherapistForm(
        request.POST or None, locations=_locations(request), initial=forms.TherapistForm.initial_for(practitioner)
    )
    if request.method == "POST" and form.is_valid():
        try:
            directory_services.practitioner_update(practitioner=practitioner, clinic=clinic, **form.service_arguments())
        except (ValidationError, APIException) as exc:
            forms.add_service_error(form, exc)
        else:
            messages.success(request, f"{practitioner.name}'s details were saved.")
            return redirect("clinic:therapist", clinic_id=clinic.pk, pk=practitioner.pk)
    return render_page(request, "therapist_form.html", {"form": form, "practitioner": practitioner})


@require_http_methods(["GET", "POST"])
@clinic_page
def therapist_remove(request, pk):
    clinic = request.clinic
    practitioner = _therapist(request, pk)
    if request.method == "POST":
        directory_services.practitioner_remove(clinic=clinic, practitioner=practitioner)
        messages.success(
            request, f"{practitioner.name} no longer works at {clinic.name}: their listings here are gone."
        )
        return redirect("clinic:therapists", clinic_id=clinic.pk)
    return render_page(request, "therapist_remove.html", {"practitioner": practitioner})


# --- locations --------------------------------------------------------------


def _point(location) -> dict | None:
    if location is None or location.point is None:
        return None
    return {"lat": round(location.point.y, 6), "lon": round(location.point.x, 6)}


@require_GET
@clinic_page
def locations(request):
    rows = list(_locations(request).annotate(listed=Count("listings")))
    return render_page(request, "locations.html", {"locations": rows})


@require_http_methods(["GET", "POST"])
@clinic_page
def location_edit(request, pk=None):
    clinic = request.clinic
    location = get_object_or_404(_locations(request), pk=pk) if pk is not None else None
    initial = forms.LocationForm.initial_for(location) if location else {"accepting_new_patients": True}
    form = forms.LocationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        arguments = form.service_arguments()
        try:
            if location is None:
                location = directory_services.location_create(
                    clinic=clinic, **arguments["changes"], lat=arguments["lat"], lon=arguments["lon"]
                )
                messages.success(request, "The location was added.")
            else:
                location = directory_services.location_update(location=location, **arguments)
                messages.success(request, "The location was saved.")
        except (ValidationError, APIException) as exc:
            forms.add_service_error(form, exc)
        else:
            return redirect("clinic:location-edit", clinic_id=clinic.pk, pk=location.pk)
    return render_page(
        request,
        "location_form.html",
        {"form": form, "location": location, "map_config": map_config(), "map_point": _point(location)},
    )


# --- credentials ------------------------------------------------------------


def _credential(request, pk):
    return get_object_or_404(credential_selectors.clinic_credentials(request.clinic), pk=pk)


@require_GET
@clinic_page
def credentials(request):
    """The clinic's credentials, pending verification first (or one status)."""
    statuses = dict(Status.choices)
    chosen = request.GET.get("status", "")
    queryset = credential_selectors.clinic_credentials(request.clinic).order_by("practitioner__name", "-created_at")
    if chosen in statuses:
        queryset = queryset.filter(status=chosen)
    else:
        chosen = ""
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    today = clock.today()
    for credential in page.object_list:
        credential.expired = credential.is_expired(today)
    return render_page(request, "credentials.html", {"page": page, "status": chosen, "statuses": Status.choices})


@require_http_methods(["GET", "POST"])
@clinic_page
def credential_add(request, pk):
    """Submit a credential for a therapist; `from` starts from an earlier one (a renewal, or a
    rejected one resubmitted: its rejection reason is shown)."""
    clinic = request.clinic
    practitioner = _therapist(request, pk)
    earlier = None
    if request.GET.get("from", "").isdigit():
        earlier = get_object_or_404(
            credential_selectors.clinic_credentials(clinic).filter(practitioner=practitioner), pk=request.GET["from"]
        )
    kind = earlier.kind if earlier else request.GET.get("kind", Kind.LICENSE)
    if kind not in Kind.values:
        raise Http404("No such kind of credential.")
    initial = forms.CredentialForm.initial_from(earlier) if earlier else {}
    if kind == Kind.LICENSE and not initial.get("jurisdiction"):
        states = sorted({listing.state for listing in practitioner.clinic_listings})
        if len(states) == 1:
            initial["jurisdiction"] = states[0]
    form = forms.CredentialForm(request.POST or None, request.FILES or None, kind=kind, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            credential = credential_services.credential_submit(
                practitioner=practitioner, submitted_by=request.user, today=clock.today(), **form.service_arguments()
            )
        except (ValidationError, APIException) as exc:
            forms.add_service_error(form, exc)
        else:
            messages.success(request, f"{credential.display_name} was submitted: pending verification by an admin.")
            return redirect("clinic:credential", clinic_id=clinic.pk, pk=credential.pk)
    decision = _last_refusal(earlier) if earlier is not None else None
    return render_page(
        request,
        "credential_form.html",
        {
            "form": form,
            "practitioner": practitioner,
            "kind": kind,
            "kind_label": Kind(kind).label,
            "earlier": earlier,
            "refusal": decision,
            "max_bytes": DOCUMENT_MAX_BYTES,
        },
    )


def _last_refusal(credential):
    if credential.status not in (Status.REJECTED, Status.REVOKED):
        return None
    return (
        credential_selectors.credential_history(credential)
        .filter(action__in=[Action.REJECT, Action.REVOKE])
        .order_by("-decided_at", "-id")
        .first()
    )


@require_GET
@clinic_page
def credential(request, pk):
    credential = _credential(request, pk)
    today = clock.today()
    credential.expired = credential.is_expired(today)
    return render_page(
        request,
        "credential.html",
        {
            "credential": credential,
            "history": credential_selectors.credential_history(credential),
            "refusal": _last_refusal(credential),
            "expiring_soon": credential.expires_on is not None
            and credential.status in (Status.PENDING, Status.VERIFIED)
            and credential.expires_on <= today + datetime.timedelta(days=max(EXPIRY_WINDOWS)),
        },
    )


@require_GET
@clinic_page
def credential_document(request, pk):
    return document_response(_credential(request, pk))


@require_GET
@clinic_page
def expiring(request):
    """The 90/60/30-day and expired view, soonest first, each with a renew link."""
    today = clock.today()
    rows = list(
        credential_selectors.expiring_credentials(clinic=request.clinic).filter(
            expires_on__lte=today + datetime.timedelta(days=max(EXPIRY_WINDOWS))
        )
    )
    groups = {"expired": [], 30: [], 60: [], 90: []}
    for row in rows:
        row.days_left = (row.expires_on - today).days
        key = "expired" if row.days_left < 0 else next(days for days in EXPIRY_WINDOWS if row.days_left <= days)
        groups[key].append(row)
    show_all = request.GET.get("all") == "1"
    sections = [
        (key, title, rows if show_all else rows[:EXPIRING_SHOWN], len(rows))
        for key, title, rows in (
            ("expired", "Expired", groups["expired"]),
            ("30", "Expiring within 30 days", groups[30]),
            ("60", "Expiring in 31 to 60 days", groups[60]),
            ("90", "Expiring in 61 to 90 days", groups[90]),
        )
    ]
    return render_page(
        request,
        "expiring.html",
        {"sections": sections, "today": today, "shown": EXPIRING_SHOWN, "show_all": show_all},
    )


# --- roster import ----------------------------------------------------------


@require_http_methods(["GET", "POST"])
@clinic_page
def roster_upload(request):
    """Upload a roster: it is first run as a dry run, whose report is confirmed before the import."""
    clinic = request.clinic
    form = forms.RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = portal_services.roster_import_start(
                clinic=clinic,
                content=upload.read(),
                dry_run=True,
                user=request.user,
                file_name=upload.name or "",
                today=clock.today(),
            )
        except roster.RosterFileError as exc:
            form.add_error("file", str(exc))
            form.mark_invalid()
        else:
            return redirect("clinic:roster-job", clinic_id=clinic.pk, pk=job.pk)
    jobs = RosterImport.objects.filter(clinic=clinic).defer("content")[:10]
    return render_page(
        request,
        "roster.html",
        {
            "form": form,
            "jobs": jobs,
            "columns": roster.COLUMNS,
            "required": roster.REQUIRED_COLUMNS,
            "max_rows": roster_max_rows(),
        },
    )


def roster_max_rows() -> int:
    return settings.ROSTER_MAX_ROWS


@require_GET
@clinic_page
def roster_template(request):
    """A CSV with every column and one example row at the clinic's first location."""
    location = _locations(request).first()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(roster.COLUMNS)
    example = {
        "name": "Jordan Example",
        "profession": "PT",
        "location": (location.name or location.address) if location else "",
        "email": "jordan@example.com",
        "specialties": "neck-pain;low-back-pain",
        "techniques": "",
        "languages": "en",
    }
    writer.writerow([example.get(column, "") for column in roster.COLUMNS])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="roster-template.csv"'
    return response


def _job(request, pk):
    return get_object_or_404(RosterImport.objects.filter(clinic=request.clinic), pk=pk)


@require_GET
@clinic_page
def roster_job(request, pk):
    job = _job(request, pk)
    report = job.report or {}
    rows = report.get("rows", [])
    rejected = [row for row in rows if row["action"] == "rejected"]
    return render_page(
        request,
        "roster_job.html",
        {
            "job": job,
            "rows": rows,
            "report": report,
            "rejected": rejected,
            "running": job.status not in TERMINAL,
            "rows_done": portal_services.rows_done(job),
            "can_confirm": job.dry_run and job.status == RosterImport.Status.DONE and not rejected,
        },
    )


@require_GET
@clinic_page
def roster_job_status(request, pk):
    """What the job page polls while an import runs."""
    job = _job(request, pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "rows_done": portal_services.rows_done(job),
            "rows_total": job.rows_total,
            "finished": job.status in TERMINAL,
        }
    )


@require_POST
@clinic_page
def roster_confirm(request, pk):
    """Import for real the file a clean dry run reported on."""
    job = _job(request, pk)
    if not (job.dry_run and job.status == RosterImport.Status.DONE):
        messages.error(request, "Only a finished dry run can be confirmed.")
        return redirect("clinic:roster-job", clinic_id=request.clinic.pk, pk=job.pk)
    try:
        new = portal_services.roster_import_start(
            clinic=request.clinic,
            content=bytes(job.content),
            dry_run=False,
            user=request.user,
            file_name=job.file_name,
            today=clock.today(),
        )
    except roster.RosterFileError as exc:
        messages.error(request, str(exc))
        return redirect("clinic:roster", clinic_id=request.clinic.pk)
    return redirect("clinic:roster-job", clinic_id=request.clinic.pk, pk=new.pk)


# --- consultation requests --------------------------------------------------


@require_GET
@clinic_page
def requests_inbox(request):
    queryset = directory_selectors.clinic_consultation_requests(request.clinic)
    show = request.GET.get("show", "waiting")
    if show != "all":
        show = "waiting"
        queryset = queryset.filter(contacted_at__isnull=True)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(request, "requests.html", {"page": page, "show": show})


@require_POST
@clinic_page
def request_contacted(request, pk):
    consultation = get_object_or_404(directory_selectors.clinic_consultation_requests(request.clinic), pk=pk)
    contacted = request.POST.get("contacted", "yes") != "no"
    directory_services.consultation_request_mark_contacted(
        request=consultation, contacted_by=request.user, contacted=contacted
    )
    messages.success(
        request, f"{consultation.name}: {'marked as contacted' if contacted else 'back in the waiting list'}."
    )
    return redirect(f"{reverse('clinic:requests', kwargs={'clinic_id': request.clinic.pk})}?show=all")


# --- members (owners) ---------------------------------------------------------


def _membership(request, user_id):
    return get_object_or_404(directory_selectors.clinic_members(request.clinic), user_id=user_id)


@require_http_methods(["GET", "POST"])
@clinic_page(owners_only=True)
def members(request):
    clinic = request.clinic
    form = forms.InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = directory_services.invitation_create(
                clinic=clinic, invited_by=request.user, **form.cleaned_data
            )
        except PermissionDenied as exc:
            form.add_error("role", str(exc))
            form.mark_invalid()
        except ValidationError as exc:
            forms.add_service_error(form, exc)
        else:
            messages.success(
                request,
                f"An invitation to join as {invitation.get_role_display().lower()} was sent to {invitation.email}.",
            )
            return redirect("clinic:members", clinic_id=clinic.pk)
    rows = list(directory_selectors.clinic_members(clinic))
    for membership in rows:
        membership.role_form = forms.RoleForm(
            initial={"role": membership.role}, auto_id=f"member-{membership.user_id}-%s"
        )
    return render_page(
        request,
        "members.html",
        {"form": form, "members": rows, "invitations": directory_selectors.clinic_invitations(clinic)[:20]},
    )


@require_POST
@clinic_page(owners_only=True)
def member_role(request, user_id):
    membership = _membership(request, user_id)
    form = forms.RoleForm(request.POST)
    if form.is_valid():
        try:
            directory_services.membership_change_role(
                membership=membership, role=form.cleaned_data["role"], changed_by=request.user
            )
        except (PermissionDenied, ValidationError, APIException) as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(request, f"{membership.user.get_username()} is now {form.cleaned_data['role']}.")
    else:
        messages.error(request, "Choose owner or staff.")
    return redirect("clinic:members", clinic_id=request.clinic.pk)


@require_POST
@clinic_page(owners_only=True)
def member_remove(request, user_id):
    membership = _membership(request, user_id)
    try:
        directory_services.membership_remove(membership=membership, removed_by=request.user)
    except (PermissionDenied, APIException) as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, f"{membership.user.get_username()} no longer has access to {request.clinic.name}.")
    return redirect("clinic:members", clinic_id=request.clinic.pk)


def _message(exc) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, APIException):
        detail = exc.detail
        return str(detail.get("detail", detail)) if isinstance(detail, dict) else str(detail)
    return str(exc)
