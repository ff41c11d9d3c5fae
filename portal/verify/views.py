"""The verification workspace's pages. Staff only: anyone else signed in gets a 403 page,
anyone signed out the admin's sign-in page. Reads come from the credentials selectors,
decisions go through credentials.services (and the screening services), as the API's do."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.clickjacking import xframe_options_sameorigin

from core import clock
from core.permissions import is_admin
from core.workdays import business_days_between, older_than_cutoff
from credentials import selectors, services
from credentials.documents import document_response, document_type
from credentials.models import Credential, ExclusionMatch, Kind, Status
from credentials.screening import selectors as checks
from credentials.screening.services import MatchConflict, exclusion_match_decide
from directory.models import Listing

from .forms import DecisionForm, MatchDecisionForm, QueueFilter

QUEUE_PAGE_SIZE = 50


class StaffOnly(AccessMixin):
    """Admins (staff users) only: signed out, the admin's sign-in page; signed in as
    anyone else, a 403 page that says whose workspace this is."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not is_admin(request.user):
            return render(request, "portal/verify/forbidden.html", status=403)
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def today(self):
        return clock.today()


def queue_filter(query: QueryDict, today) -> QueueFilter:
    return QueueFilter(query, queryset=selectors.workspace_queue(today=today), today=today)


def annotate_items(items: list[Credential], today) -> None:
    """Put on each queue item what the queue shows beside it: its age in business days, and
    the checks' flags (exclusion match, unrecognised provider, NPPES disagreeing)."""
    sla = settings.VERIFY_SLA_BUSINESS_DAYS
    names = checks.recognised_provider_names()
    records = checks.nppes_records(item.practitioner.npi for item in items if item.kind == Kind.LICENSE)
    for item in items:
        item.age = business_days_between(selectors.waiting_day(item), today)
        item.over_sla = item.age > sla
        item.provider_unrecognised = item.kind != Kind.LICENSE and not checks.provider_recognised(item.issuer, names)
        item.nppes = None
        if item.kind == Kind.LICENSE:
            npi = item.practitioner.npi
            item.nppes = checks.nppes_check(item, record=records.get(npi), looked_up=True)


class QueueView(StaffOnly, View):
    """Pending first, oldest first, then review due; filters; the count over the service level."""

    def get(self, request):
        filterset = queue_filter(request.GET.copy(), self.today)
        valid = filterset.is_valid()
        queryset = filterset.qs if valid else filterset.queryset.none()
        queryset = queryset.annotate(excluded=checks.standing_match_exists())
        page = Paginator(queryset, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
        items = list(page.object_list)
        annotate_items(items, self.today)
        everything = selectors.workspace_queue(today=self.today)
        sla = settings.VERIFY_SLA_BUSINESS_DAYS
        query = request.GET.copy()
        query.pop("page", None)
        total = everything.count()
        pending = everything.filter(status=Status.PENDING).count()
        context = {
            "filter": filterset,
            "page": page,
            "items": items,
            "sla": sla,
            "total": total,
            "pending": pending,
            "review_due": total - pending,
            "over_sla": selectors.waiting_before(everything, older_than_cutoff(self.today, sla)).count(),
            "query": query.urlencode(),
            "today": self.today,
        }
        return render(request, "portal/verify/queue.html", context, status=200 if valid else 400)


def next_in_queue(query: str, today, *, after: Credential) -> Credential | None:
    """The first item of the verifier's (filtered) queue other than the one just decided."""
    filterset = queue_filter(QueryDict(query or ""), today)
    queryset = filterset.qs if filterset.is_valid() else selectors.workspace_queue(today=today)
    return queryset.exclude(pk=after.pk).first()


class CredentialView(StaffOnly, View):
    """One credential: its document beside its fields, the checks, the practitioner, the
    history, and the decision form."""

    template = "portal/verify/credential.html"

    def get_credential(self, pk) -> Credential:
        return get_object_or_404(Credential.objects.select_related("practitioner", "technique", "submitted_by"), pk=pk)

    def context(self, credential: Credential, *, form=None, conflict=None, queue=""):
        today = self.today
        history = list(selectors.credential_history(credential))
        practitioner = credential.practitioner
        if form is None:
            form = DecisionForm(initial={"seen_status": credential.status, "seen_events": len(history), "queue": queue})
        in_queue = selectors.workspace_queue(today=today).filter(pk=credential.pk).first()
        age = business_days_between(selectors.waiting_day(in_queue), today) if in_queue else None
        following = next_in_queue(queue, today, after=credential)
        listings = list(
            Listing.objects.filter(practitioner=practitioner).select_related("location__clinic").order_by("state", "id")
        )
        for listing in listings:
            listing.qualified_today = listing.is_qualified(today)
        matches = list(checks.practitioner_matches(practitioner))
        standing = {match.pk for match in ExclusionMatch.objects.standing().filter(practitioner=practitioner)}
        for match in matches:
            match.stands = match.pk in standing
        lookup = checks.board_lookup(credential.jurisdiction) if credential.kind == Kind.LICENSE else None
        return {
            "credential": credential,
            "practitioner": practitioner,
            "history": history,
            "form": form,
            "conflict": conflict,
            "in_queue": in_queue is not None,
            "age": age,
            "sla": settings.VERIFY_SLA_BUSINESS_DAYS,
            "next_item": following,
            "queue": queue,
            "queue_url": reverse("verify-queue") + (f"?{queue}" if queue else ""),
            "others": practitioner.credentials.exclude(pk=credential.pk).order_by("kind", "-issued_on", "id"),
            "listings": listings,
            "matches": matches,
            "match_form": MatchDecisionForm(initial={"back": self.request.get_full_path()}),
            "nppes": checks.nppes_check(credential) if credential.kind == Kind.LICENSE else None,
            "lookup": lookup,
            "lookup_url": lookup.url_for(credential.license_number) if lookup else "",
            "provider_recognised": credential.kind == Kind.LICENSE or checks.provider_recognised(credential.issuer),
            "document_type": document_type(credential) if credential.document else None,
            "today": today,
        }

    def get(self, request, pk):
        credential = self.get_credential(pk)
        return render(request, self.template, self.context(credential, queue=request.GET.get("queue", "")))

    def post(self, request, pk):
        credential = self.get_credential(pk)
        form = DecisionForm(request.POST)
        queue = request.POST.get("queue", "")
        if not form.is_valid():
            return render(request, self.template, self.context(credential, form=form, queue=queue), status=400)
        data = form.cleaned_data
        try:
            with transaction.atomic():
                # Read under the row lock: a decision made since the verifier's screen
                # loaded is shown to them, never overwritten.
                current = Credential.objects.select_for_update().get(pk=credential.pk)
                events = selectors.credential_history(current).count()
                if current.status != data["seen_status"] or events != data["seen_events"]:
                    return self.conflict(current, queue)
                services.credential_decide(
                    credential=current,
                    action=data["action"],
                    decided_by=request.user,
                    method=data["method"],
                    reason=data["reason"],
                    today=self.today,
                )
        except services.CredentialConflict as exc:
            return self.conflict(self.get_credential(pk), queue, message=str(exc))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return render(request, self.template, self.context(credential, form=form, queue=queue), status=400)
        messages.success(
            request, f"{credential.display_name} of {credential.practitioner.name}: {data['action']} recorded."
        )
        following = next_in_queue(queue, self.today, after=credential)
        if following is None:
            return HttpResponseRedirect(reverse("verify-queue") + (f"?{queue}" if queue else ""))
        return HttpResponseRedirect(
            reverse("verify-credential", args=[following.pk]) + (f"?{urlencode({'queue': queue})}" if queue else "")
        )

    def conflict(self, current: Credential, queue: str, message: str = ""):
        history = list(selectors.credential_history(current))
        latest = history[-1] if history else None
        if latest is not None:
            who = latest.decided_by.get_username() if latest.decided_by else "the clinic"
            text = (
                f"Someone else got here first: {latest.get_action_display().lower()} by {who} "
                f"at {timezone.localtime(latest.decided_at):%Y-%m-%d %H:%M}. It is now {current.get_status_display().lower()}; "
                "your decision was not recorded. Review the credential as it is now."
            )
        else:
            text = message or "The credential changed since you opened it; your decision was not recorded."
        context = self.context(current, conflict=text, queue=queue)
        return render(self.request, self.template, context, status=409)


@method_decorator(xframe_options_sameorigin, name="dispatch")
class DocumentView(StaffOnly, View):
    """The credential's document, shown inside the credential screen.

    Served inline with its type judged at upload (PDF, PNG or JPEG by their first
    bytes) and a policy that lets it run nothing and fetch nothing: no scripts, no
    forms, no connections, framed by our own pages only. Images are also framed with
    the `sandbox` attribute; PDFs are not, because Chromium's PDF viewer refuses to
    run in a sandboxed frame (the policy still forbids everything else).
    """

    POLICY = (
        "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; object-src 'self'; "
        "frame-ancestors 'self'; form-action 'none'; base-uri 'none'"
    )

    def get(self, request, pk):
        response = document_response(get_object_or_404(Credential, pk=pk), inline=True)
        response["Content-Security-Policy"] = self.POLICY
        response["X-Content-Type-Options"] = "nosniff"
        return response


class MatchDecisionView(StaffOnly, View):
    """Confirm or dismiss an exclusion match, with a reason; back to the screen it came from."""

    def post(self, request, pk):
        match = get_object_or_404(ExclusionMatch.objects.select_related("practitioner"), pk=pk)
        form = MatchDecisionForm(request.POST)
        back = request.POST.get("back", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith("/"):
            back = reverse("verify-queue")
        if not form.is_valid():
            errors = "; ".join(f"{field}: {' '.join(errs)}" for field, errs in form.errors.items())
            messages.error(request, f"The match decision was not recorded: {errors}")
            return HttpResponseRedirect(back)
        try:
            exclusion_match_decide(
                match=match,
                status_after=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
                decided_by=request.user,
                today=self.today,
            )
        except MatchConflict as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(back)
        messages.success(request, f"Exclusion match for {match.practitioner.name}: {match.get_status_display()}.")
        return HttpResponseRedirect(back)
