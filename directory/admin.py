"""Django admin for the directory: clinics with their locations, practitioners with their listings,
and the consultation requests patients sent (read-only).

Every write goes through directory.services, as the API's do: a location
edited here is geocoded and its listings follow it, a practitioner listed
or given another profession here is requalified, and slugs (public
addresses) are made once by the services and never edited.
"""

from django.contrib import admin, messages
from django.contrib.gis.admin import GISModelAdmin
from django.db import models, transaction

from . import services
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


def _changes(form, fields) -> dict:
    """The form's changed values among `fields` (the service's own list of updatable fields)."""
    return {name: form.cleaned_data[name] for name in form.changed_data if name in fields}


def _adopt(obj, saved) -> None:
    """Let the admin go on (messages, redirect) with the row the service saved."""
    obj.pk = saved.pk
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False


class LocationInline(admin.TabularInline):
    """A clinic's locations, read-only here: each is edited on its own page (its link), where
    it is geocoded and its listings follow it."""

    model = Location
    extra = 0
    fields = ["name", "address", "city", "state", "postal_code", "accepting_new_patients"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    model = ClinicMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "website", "created_at"]
    search_fields = ["name", "slug"]
    readonly_fields = ["slug"]
    inlines = [LocationInline, MembershipInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        if change:
            saved = services.clinic_update(
                clinic=Clinic.objects.get(pk=obj.pk), changes=_changes(form, services.CLINIC_FIELDS)
            )
        else:
            saved = services.clinic_create(**{name: form.cleaned_data[name] for name in services.CLINIC_FIELDS})
        _adopt(obj, saved)


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

    def get_readonly_fields(self, request, obj=None):
        # A location belongs to its clinic for good; its listings are that clinic's.
        return ["clinic"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        point = form.cleaned_data.get("point")
        coordinates = {"lat": point.y, "lon": point.x} if point is not None and "point" in form.changed_data else {}
        if change:
            saved = services.location_update(
                location=Location.objects.get(pk=obj.pk),
                changes=_changes(form, services.LOCATION_FIELDS),
                **coordinates,
            )
        else:
            saved = services.location_create(
                clinic=form.cleaned_data["clinic"],
                **{name: form.cleaned_data[name] for name in services.LOCATION_FIELDS},
                **({"lat": point.y, "lon": point.x} if point is not None else {}),
            )
        _adopt(obj, saved)

    def delete_model(self, request, obj):
        services.location_delete(location=obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for location in queryset:
            services.location_delete(location=location)


class ListingInline(admin.TabularInline):
    """Where the practitioner is listed; adding or removing a row lists or unlists them
    through the services (a new listing is qualified at once)."""

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
    filter_horizontal = ["specialties", "techniques", "languages"]
    readonly_fields = ["slug", "verified_training_hours"]
    inlines = [ListingInline]

    def save_model(self, request, obj, form, change):
        fields = services.PRACTITIONER_FIELDS
        if change:
            saved = services.practitioner_update(
                practitioner=Practitioner.objects.get(pk=obj.pk), changes=_changes(form, fields)
            )
        else:
            saved = services.practitioner_register(**{name: form.cleaned_data[name] for name in fields})
        _adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        practitioner = form.instance
        services.practitioner_update(
            practitioner=practitioner,
            **{relation: form.cleaned_data[relation] for relation in services.PRACTITIONER_TERMS},
        )
        for formset in formsets:
            self.save_formset(request, form, formset, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Listing:
            return super().save_formset(request, form, formset, change)
        # What formset.save() would set, for the admin's change message.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for listing_form in formset.deleted_forms:
            if listing_form.instance.pk:
                services.listing_remove(listing=listing_form.instance)
                formset.deleted_objects.append(listing_form.instance)
        for listing_form in formset.forms:
            if listing_form in formset.deleted_forms or not listing_form.has_changed():
                continue
            if listing_form.instance.pk is not None:
                # Another location picked on an existing row: unlist there, list here.
                services.listing_remove(listing=Listing.objects.get(pk=listing_form.instance.pk))
            listing = services.listing_add(practitioner=form.instance, location=listing_form.cleaned_data["location"])
            formset.new_objects.append(listing)


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

    list_display = ["created_at", "name", "practitioner", "location", "notified_at", "delivery_attempts"]
    list_filter = [("notified_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "email", "practitioner__name", "location__clinic__name"]
    list_select_related = ["practitioner", "location__clinic"]
    date_hierarchy = "created_at"
    fields = [
        "practitioner",
        "location",
        "name",
        "email",
        "phone",
        "message",
        "created_at",
        "notified_at",
        "delivery_attempts",
        "last_delivery_error",
    ]
    readonly_fields = fields
    actions = ["send_now"]

    @admin.action(description="Mail the clinic now (requests not yet delivered)")
    def send_now(self, request, queryset):
        mailed = failed = 0
        for consultation in queryset.filter(notified_at__isnull=True):
            try:
                mailed += bool(services.consultation_request_deliver(request_id=consultation.pk))
            except Exception as exc:  # shown to the admin; kept on the request
                failed += 1
                self.message_user(request, f"{consultation}: not sent ({exc}).", messages.ERROR)
        self.message_user(request, f"{mailed} request(s) mailed to their clinic; {failed} could not be sent.")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
