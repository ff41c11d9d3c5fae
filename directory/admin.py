"""Django admin for the directory: clinics with their locations, practitioners with their listings,
and the consultation requests patients sent (read-only)."""
from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.db import models

from .models import (
    Clinic,
    ClinicMembership,
    ConsultationRequest,
    Language,
    Listing,
    Location,
    Practitioner,
    Specialty,
    Technique,
)


class LocationInline(admin.StackedInline):
    model = Location
    extra = 0
    fields = ["name", "address", "city", "state", "postal_code", "phone", "accepting_new_patients"]
    show_change_link = True


class MembershipInline(admin.TabularInline):
    model = ClinicMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "website", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [LocationInline, MembershipInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Location)
class LocationAdmin(GISModelAdmin):
    list_display = ["__str__", "city", "state", "postal_code", "accepting_new_patients"]
    list_filter = ["state", "accepting_new_patients"]
    search_fields = ["clinic__name", "address", "city", "postal_code"]
    list_select_related = ["clinic"]
    autocomplete_fields = ["clinic"]
    # Offline map widget: the bundled OpenLayers needs tiles from the
    # internet, so coordinates are edited as text (or left empty to geocode
    # from the ZIP code).
    gis_widget_kwargs = {"attrs": {"display_raw": True}}


class ListingInline(admin.TabularInline):
    model = Listing
    extra = 0
    fields = ["location", "qualified_from", "qualified_until"]
    readonly_fields = ["qualified_from", "qualified_until"]
    autocomplete_fields = ["location"]


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ["name", "profession", "npi", "verified_training_hours", "updated_at"]
    list_filter = ["profession", "specialties", "techniques"]
    search_fields = ["name", "slug", "npi"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["specialties", "techniques", "languages"]
    readonly_fields = ["verified_training_hours"]
    inlines = [ListingInline]


@admin.register(Specialty, Technique)
class VocabularyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(ConsultationRequest)
class ConsultationRequestAdmin(admin.ModelAdmin):
    """What patients asked for, and whether the clinic was mailed. Read-only: a request is
    the patient's words; admins may delete one (a patient asking to be forgotten)."""

    list_display = ["created_at", "name", "practitioner", "location", "notified_at"]
    list_filter = [("notified_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "email", "practitioner__name", "location__clinic__name"]
    list_select_related = ["practitioner", "location__clinic"]
    date_hierarchy = "created_at"
    fields = ["practitioner", "location", "name", "email", "phone", "message", "created_at", "notified_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
