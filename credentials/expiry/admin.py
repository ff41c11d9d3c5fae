"""The expiry outbox in the Django admin: read-only records of what each scan did and sent."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from ..admin import ReadOnlyAdmin
from .models import ClinicDigest, ExpiryNotification, ScanRun
from .scan import digest_notifications


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


@admin.register(ClinicDigest)
class ClinicDigestAdmin(ReadOnlyAdmin):
    """Each clinic's digest: to whom and when it went (or why not yet), and what it listed."""

    list_display = ("clinic", "scan_day", "status", "attempts", "sent_at", "recipients", "last_error")
    list_filter = ("status", "scan_day")
    search_fields = ("clinic__name", "recipients")
    list_select_related = ("clinic",)
    date_hierarchy = "scan_day"
    exclude = ("notifications",)
    readonly_fields = ("lines",)

    @admin.display(description="what it lists")
    def lines(self, digest):
        """One row per credential, as the clinic read it."""
        rows = format_html_join(
            "",
            '<tr><td>{}</td><td><a href="{}">{}: {}</a></td><td>{}</td><td>{}</td></tr>',
            (
                (
                    notice.credential.practitioner.name,
                    reverse("admin:credentials_credential_change", args=[notice.credential_id]),
                    notice.credential.get_kind_display(),
                    notice.credential.display_name,
                    notice.get_threshold_display(),
                    notice.credential.expires_on,
                )
                for notice in digest_notifications(digest)
            ),
        )
        return format_html(
            "<table><tr><th>practitioner</th><th>credential</th><th>threshold</th><th>expires on</th></tr>{}</table>",
            rows,
        )


@admin.register(ExpiryNotification)
class ExpiryNotificationAdmin(ReadOnlyAdmin):
    list_display = ("credential", "threshold", "scan_day", "created_at")
    list_filter = ("threshold", "scan_day")
    search_fields = ("credential__practitioner__name", "credential__license_number")
    list_select_related = ("credential__practitioner",)
    raw_id_fields = ("credential",)
