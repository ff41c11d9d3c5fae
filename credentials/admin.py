"""Django admin for credentials: the verification queue with its decisions, and the state rules.

Every decision goes through credentials.services, exactly as the API's do,
so it writes the same Verification row and requalifies the practitioner.
Status and the verification fields are never editable here.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from core import clock
from directory.models import Profession
from directory.states import USState

from . import services
from .models import (
    Credential,
    Method,
    StateRule,
    Status,
    Verification,
)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(getattr(exc, "detail", exc))


class StaffOnlyMixin:
    """Admins are staff users (the API's rule too), whatever their model permissions."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


class ExpiresWithinFilter(admin.SimpleListFilter):
    title = "expires within"
    parameter_name = "expires_within"

    def lookups(self, request, model_admin):
        return [("30", "30 days"), ("60", "60 days"), ("90", "90 days")]

    def queryset(self, request, queryset):
        if self.value() not in {"30", "60", "90"}:
            return queryset
        today = clock.today()
        return queryset.filter(
            expires_on__gte=today, expires_on__lte=today + datetime.timedelta(days=int(self.value()))
        )


class QueueFilter(admin.SimpleListFilter):
    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("needs_decision", "Needs a decision"), ("pending", "Pending"), ("review_due", "Review due")]

    def queryset(self, request, queryset):
        today = clock.today()
        if self.value() == "needs_decision":
            return queryset.needing_decision(today)
        if self.value() == "pending":
            return queryset.filter(status=Status.PENDING)
        if self.value() == "review_due":
            return queryset.review_due(today)
        return queryset


class ListedStateFilter(admin.SimpleListFilter):
    """The states where the practitioner is listed (a license's own state is the jurisdiction filter)."""

    title = "listed in state"
    parameter_name = "listed_state"

    def lookups(self, request, model_admin):
        return USState.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(practitioner__listings__location__state=self.value()).distinct()
        return queryset


class ReadOnlyInline(admin.TabularInline):
    """Rows of a record shown on its parent's page: never added, changed or deleted here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


class VerificationInline(ReadOnlyInline):
    """The credential's decisions."""

    model = Verification
    fields = readonly_fields = [
        "decided_at",
        "decided_by",
        "action",
        "method",
        "reason",
        "status_before",
        "status_after",
    ]
    ordering = ["decided_at", "id"]


class DecisionForm(forms.Form):
    method = forms.ChoiceField(choices=Method.choices, initial=Method.DOCUMENT_REVIEW)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), max_length=2000)


CREDENTIAL_FORM_FIELDS = ["practitioner", *services.CREDENTIAL_FIELDS]
SERVER_FIELDS = ["status", "verified_at", "method", "next_review_due", "submitted_by", "created_at", "updated_at"]


@admin.register(Credential)
class CredentialAdmin(StaffOnlyMixin, admin.ModelAdmin):
    """The verification queue: filter, open a credential, read its document, decide."""

    list_display = [
        "id",
        "practitioner",
        "kind",
        "display_name",
        "jurisdiction",
        "status",
        "issued_on",
        "expires_on",
        "next_review_due",
        "review_due",
        "created_at",
    ]
    list_display_links = ["id", "display_name"]
    list_filter = [QueueFilter, "status", "kind", "jurisdiction", ListedStateFilter, ExpiresWithinFilter]
    list_select_related = ["practitioner"]
    search_fields = ["practitioner__name", "name", "issuer", "license_number"]
    ordering = ["created_at", "id"]
    autocomplete_fields = ["practitioner"]
    fields = [*CREDENTIAL_FORM_FIELDS, "document_link", *SERVER_FIELDS]
    inlines = [VerificationInline]
    actions = ["verify_by_document_review", "reject", "revoke"]

    @admin.display(description="name")
    def display_name(self, obj):
        return obj.display_name

    @admin.display(boolean=True, description="review due")
    def review_due(self, obj):
        return obj.is_review_due(clock.today())

    @admin.display(description="document")
    def document_link(self, obj):
        if not obj or not obj.document:
            return "-"
        return format_html('<a href="{}">Download</a>', reverse("credential-document", kwargs={"pk": obj.pk}))

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_delete_permission(self, request, obj=None):
        # A credential is a record; a decided one is referenced by its history.
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != Status.PENDING:
            return [*CREDENTIAL_FORM_FIELDS, "document_link", *SERVER_FIELDS]
        if obj is not None:
            return ["practitioner", "kind", "document_link", *SERVER_FIELDS]
        return ["document_link", *SERVER_FIELDS]

    def save_model(self, request, obj, form, change):
        """Through the services: submit when adding, update (pending only) when changing."""
        data = {name: form.cleaned_data[name] for name in CREDENTIAL_FORM_FIELDS if name in form.cleaned_data}
        if "document" in data and not data["document"]:
            data.pop("document")
        if change:
            changed = {name: data[name] for name in form.changed_data if name in data}
            saved = services.credential_update(credential=obj, changes=changed) if changed else obj
        else:
            saved = services.credential_submit(submitted_by=request.user, **data)
        obj.pk = saved.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        # The service saved the credential (it has no many-to-many fields, so
        # there is no form.save_m2m); the read-only inline saves nothing.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def _decide_each(self, request, queryset, decide, done: str):
        ok = 0
        for credential in queryset:
            try:
                decide(credential)
                ok += 1
            except Exception as exc:  # a 409 or a validation error on one row must not stop the rest
                if not isinstance(exc, (ValidationError, services.CredentialConflict)):
                    raise
                self.message_user(
                    request, f"#{credential.pk} {credential.display_name}: {_error_text(exc)}", messages.ERROR
                )
        if ok:
            self.message_user(request, f"{ok} credential(s) {done}.", messages.SUCCESS)

    @admin.action(description="Verify (document review)")
    def verify_by_document_review(self, request, queryset):
        today = clock.today()
        self._decide_each(
            request,
            queryset,
            lambda credential: services.credential_verify(
                credential=credential, decided_by=request.user, method=Method.DOCUMENT_REVIEW, today=today
            ),
            "verified",
        )

    def _decide_with_reason(self, request, queryset, *, action: str, service, done: str, title: str):
        """An intermediate page asking for the method and the reason, then the service per credential."""
        form = DecisionForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            today = clock.today()
            self._decide_each(
                request,
                queryset,
                lambda credential: service(
                    credential=credential,
                    decided_by=request.user,
                    method=form.cleaned_data["method"],
                    reason=form.cleaned_data["reason"],
                    today=today,
                ),
                done,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "credentials": queryset,
            "form": form,
            "action": action,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/credentials/credential/decision_reason.html", context)

    @admin.action(description="Reject (asks for a reason)")
    def reject(self, request, queryset):
        return self._decide_with_reason(
            request,
            queryset,
            action="reject",
            service=services.credential_reject,
            done="rejected",
            title="Reject credentials",
        )

    @admin.action(description="Revoke (asks for a reason)")
    def revoke(self, request, queryset):
        return self._decide_with_reason(
            request,
            queryset,
            action="revoke",
            service=services.credential_revoke,
            done="revoked",
            title="Revoke credentials",
        )


class ReadOnlyAdmin(StaffOnlyMixin, admin.ModelAdmin):
    """A record (decisions, what the scan did): admins read it; only the services write it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Verification)
class VerificationAdmin(ReadOnlyAdmin):
    """The audit trail, read-only: decisions are made on the credential, never edited here."""

    list_display = ["decided_at", "credential", "action", "method", "decided_by", "status_before", "status_after"]
    list_filter = ["action", "method"]
    list_select_related = ["credential__practitioner", "decided_by"]
    search_fields = ["credential__practitioner__name", "reason", "decided_by__username"]
    date_hierarchy = "decided_at"
    actions = None


class StateRuleForm(forms.ModelForm):
    permitted_professions = forms.MultipleChoiceField(
        choices=Profession.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    source_url = forms.URLField(max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = StateRule
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}
        fields = list(services.STATE_RULE_FIELDS)


@admin.register(StateRule)
class StateRuleAdmin(StaffOnlyMixin, admin.ModelAdmin):
    """State rules; saving or deleting one requalifies every listing in the state."""

    form = StateRuleForm
    list_display = [
        "state",
        "dry_needling_permitted",
        "professions",
        "min_training_hours",
        "effective_min_training_hours",
        "min_years_licensed",
        "checked_on",
    ]
    list_filter = ["dry_needling_permitted"]
    search_fields = ["state", "source", "notes"]
    ordering = ["state"]

    @admin.display(description="professions")
    def professions(self, obj):
        return ", ".join(obj.permitted_professions or []) or "-"

    @admin.display(description="effective minimum hours")
    def effective_min_training_hours(self, obj):
        return obj.effective_min_training_hours

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in StateRuleForm.Meta.fields if name in form.cleaned_data}
        if change:
            rule = services.state_rule_update(rule=StateRule.objects.get(pk=obj.pk), changes=data)
        else:
            rule = services.state_rule_create(**data)
        obj.pk = rule.pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.state_rule_delete(rule=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for rule in queryset:
                services.state_rule_delete(rule=rule)


# --- the expiry scan: what was found, sent, and when (read-only) --------------------


# The expiry outbox's admin (credentials/expiry/admin.py) registers with this site too.
from .expiry import admin as expiry_admin  # noqa: E402,F401

# So do the screening data's (credentials/screening/admin.py).
from .screening import admin as screening_admin  # noqa: E402,F401
