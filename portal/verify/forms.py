"""The workspace's forms: the queue's filters (the API queue's, plus clinic and age) and the
decisions. Their choices come from the credentials app's tables, never restated here."""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.db.models import Exists, OuterRef

from core.workdays import older_than_cutoff
from credentials import selectors
from credentials.filters import IntegerFilter, VerificationQueueFilter
from credentials.models import Action, MatchStatus, Method
from credentials.services import DECISIONS
from directory.models import Listing


class QueueFilter(VerificationQueueFilter):
    """The API queue's filters, and two for the workspace: a clinic (by name) and an age."""

    clinic = filters.CharFilter(
        method="filter_clinic", max_length=200, label="Clinic", help_text="Part of the clinic's name."
    )
    older_than = IntegerFilter(
        method="filter_older_than",
        min_value=0,
        max_value=3650,
        label="Waiting more than (business days)",
    )

    LABELS = {"kind": "Kind", "state": "State", "status": "Status"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in self.LABELS.items():
            self.filters[name].label = label
            self.filters[name].extra["empty_label"] = "Any"

    def filter_clinic(self, queryset, name, value):
        at_clinic = Listing.objects.filter(
            practitioner_id=OuterRef("practitioner_id"), location__clinic__name__icontains=value
        )
        return queryset.filter(Exists(at_clinic))

    def filter_older_than(self, queryset, name, value):
        return selectors.waiting_before(queryset, older_than_cutoff(self.today, value))


DECISION_CHOICES = [(action, Action(action).label) for action in DECISIONS]


class DecisionForm(forms.Form):
    """Verify, reject or revoke, as the API's decision endpoints take them. `seen_status` and
    `seen_events` are what the verifier's screen showed: if the credential has moved on since,
    the decision is refused as a conflict instead of overwriting someone else's."""

    action = forms.ChoiceField(choices=DECISION_CHOICES, widget=forms.RadioSelect, label="Decision")
    method = forms.ChoiceField(choices=Method.choices, label="Method", initial=Method.DOCUMENT_REVIEW)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        label="Reason",
        help_text="Required to reject or revoke; the clinic sees it.",
    )
    seen_status = forms.CharField(widget=forms.HiddenInput)
    seen_events = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    queue = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action and DECISIONS[action].reason_required and not (data.get("reason") or "").strip():
            self.add_error("reason", f"Give a reason to {action}.")
        return data


class MatchDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(MatchStatus.CONFIRMED, "Confirm: the same person"), (MatchStatus.DISMISSED, "Dismiss: not them")],
        widget=forms.RadioSelect,
        label="Decision",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label="Reason")
    back = forms.CharField(widget=forms.HiddenInput, required=False, max_length=500)
