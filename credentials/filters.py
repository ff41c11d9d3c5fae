"""Query parameters of the credentials list and the verification queue.

A malformed value, or a parameter no filter knows, is a 400 naming the
parameter (django-filter's form validation, reshaped by core.exceptions).
"""

import datetime

import django_filters as filters
from django import forms

from core.filters import StrictFilterSet
from directory.states import USState

from . import selectors
from .models import Credential, Kind, Status


class CredentialFilter(StrictFilterSet):
    practitioner = filters.NumberFilter(field_name="practitioner_id", help_text="Only this practitioner's credentials.")
    kind = filters.ChoiceFilter(choices=Kind.choices, help_text="license, certification or training.")
    status = filters.ChoiceFilter(choices=Status.choices, help_text="pending, verified, rejected or revoked.")

    class Meta(StrictFilterSet.Meta):
        model = Credential
        fields: list[str] = []


class VerificationQueueFilter(StrictFilterSet):
    kind = filters.ChoiceFilter(choices=Kind.choices, help_text="license, certification or training.")
    state = filters.ChoiceFilter(
        choices=USState.choices,
        method="filter_state",
        help_text="US state: licenses it issued, and credentials of practitioners listed there.",
    )
    status = filters.ChoiceFilter(
        choices=[("pending", "Pending"), ("review_due", "Review due")],
        method="filter_status",
        help_text="pending: awaiting a first decision; review_due: verified, past its review date.",
    )

    class Meta(StrictFilterSet.Meta):
        model = Credential
        fields: list[str] = []

    def filter_state(self, queryset, name, value):
        return selectors.credentials_in_state(queryset, value)

    def filter_status(self, queryset, name, value):
        return queryset.filter(status=Status.PENDING if value == "pending" else Status.VERIFIED)


class IntegerFilter(filters.NumberFilter):
    field_class = forms.IntegerField


class ExpiringCredentialFilter(StrictFilterSet):
    """The window is always applied: `within_days` days from today, 90 when not given."""

    DEFAULT_WITHIN_DAYS = 90

    within_days = IntegerFilter(
        method="filter_within_days",
        min_value=0,
        max_value=3650,
        help_text="Credentials expiring within this many days, and those already expired (default 90).",
    )
    kind = filters.ChoiceFilter(choices=Kind.choices, help_text="license, certification or training.")

    class Meta(StrictFilterSet.Meta):
        model = Credential
        fields: list[str] = []

    def filter_queryset(self, queryset):
        if self.form.cleaned_data.get("within_days") is None:
            queryset = self.filter_within_days(queryset, "within_days", self.DEFAULT_WITHIN_DAYS)
        return super().filter_queryset(queryset)

    def filter_within_days(self, queryset, name, value):
        return queryset.filter(expires_on__lte=self.today + datetime.timedelta(days=value))
