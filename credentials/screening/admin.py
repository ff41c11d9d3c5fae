"""Screening data in the Django admin (staff only).

The registries (NPPES records, the exclusion list) are read-only: they change only by
re-importing the public files. Exclusion matches are read-only too: an admin confirms or
dismisses one in the verification workspace, which records the decision. Recognised
training providers and the state boards' license lookups are kept here by admins.
"""

from django.contrib import admin
from django.db import models

from ..admin import ReadOnlyAdmin, ReadOnlyInline, StaffOnlyMixin
from .models import BoardLookup, Exclusion, ExclusionDecision, ExclusionMatch, NppesRecord, TrainingProvider


class StaffEditsMixin(StaffOnlyMixin):
    """Reference data any staff user keeps, whatever their model permissions."""

    def has_add_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


@admin.register(NppesRecord)
class NppesRecordAdmin(ReadOnlyAdmin):
    list_display = ["npi", "entity_type", "last_name", "first_name", "organization_name", "deactivated_on"]
    list_filter = ["entity_type"]
    search_fields = ["=npi", "last_name", "first_name", "organization_name"]
    show_full_result_count = False  # millions of rows: no count(*) on every page


@admin.register(Exclusion)
class ExclusionAdmin(ReadOnlyAdmin):
    list_display = ["last_name", "first_name", "business_name", "npi", "state", "exclusion_type", "excluded_on"]
    list_filter = ["exclusion_type", "state"]
    search_fields = ["=npi", "last_name", "first_name", "business_name"]
    date_hierarchy = "excluded_on"


class ExclusionDecisionInline(ReadOnlyInline):
    model = ExclusionDecision
    fields = readonly_fields = ["decided_at", "status_after", "reason", "decided_by"]


@admin.register(ExclusionMatch)
class ExclusionMatchAdmin(ReadOnlyAdmin):
    """Matches found by screening; decided in the verification workspace, not here."""

    list_display = ["found_at", "practitioner", "summary", "basis", "status"]
    list_filter = ["status", "basis"]
    list_select_related = ["practitioner"]
    search_fields = ["practitioner__name", "summary", "=practitioner__npi"]
    inlines = [ExclusionDecisionInline]


@admin.register(TrainingProvider)
class TrainingProviderAdmin(StaffEditsMixin, admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "certifies", "source", "added_on"]
    search_fields = ["name", "certifies"]


@admin.register(BoardLookup)
class BoardLookupAdmin(StaffEditsMixin, admin.ModelAdmin):
    list_display = ["state", "board", "url", "checked_on"]
    search_fields = ["state", "board"]
