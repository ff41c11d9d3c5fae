"""The expiry outbox in the Django admin: read-only records of what each scan did and sent."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from ..admin import ReadOnlyAdmin, ReadOnlyInline
from .models import ClinicDigest, DigestItem, ExpiryNotification, ScanRun


@admin.register(ScanRun)
class ScanRunAdmin(ReadOnlyAdmin):
    list_display = (
        "day",
        "started_at",
        "finished_at",
        "notifications",
        "digests",
        "review_due",
        "listings_lapsed",
        "listings_returned",
        "practitioners_requalified",
        "listings_repaired",
    )
    date_hierarchy = "day"


class DigestItemInline(ReadOnlyInline):
    """What the digest's email listed: one row per credential, as the clinic read it."""

    model = DigestItem
    fields = readonly_fields = ["practitioner", "credential_link", "threshold", "expires_on"]
    ordering = ["notification__credential__expires_on", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("notification__credential__practitioner")

    @admin.display(description="practitioner")
    def practitioner(self, item):
        return item.notification.credential.practitioner.name

    @admin.display(description="credential")
    def credential_link(self, item):
        credential = item.notification.credential
        url = reverse("admin:credentials_credential_change", args=[credential.pk])
        return format_html('<a href="{}">{}: {}</a>', url, credential.get_kind_display(), credential.display_name)

    @admin.display(description="threshold")
    def threshold(self, item):
        return item.notification.get_threshold_display()

    @admin.display(description="expires on")
    def expires_on(self, item):
        return item.notification.credential.expires_on


@admin.register(ClinicDigest)
class ClinicDigestAdmin(ReadOnlyAdmin):
    """Each clinic's digest: to whom and when it went (or why not yet), and what it listed."""

    inlines = [DigestItemInline]
    list_display = ("clinic", "scan_day", "status", "attempts", "sent_at", "recipients", "last_error")
    list_filter = ("status", "scan_day")
    search_fields = ("clinic__name", "recipients")
    list_select_related = ("clinic",)
    date_hierarchy = "scan_day"


@admin.register(ExpiryNotification)
class ExpiryNotificationAdmin(ReadOnlyAdmin):
    list_display = ("credential", "threshold", "scan_day", "created_at")
    list_filter = ("threshold", "scan_day")
    search_fields = ("credential__practitioner__name", "credential__license_number")
    list_select_related = ("credential__practitioner",)
    raw_id_fields = ("credential",)
