"""Query parameters of the credentials list and the verification queue.

A malformed value, or a parameter no filter knows, is a 400 naming the
parameter (django-filter's form validation, reshaped by config.exceptions).
"""

import django_filters as filters

from config.filters import StrictFilterSet
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
