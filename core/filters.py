"""The FilterSet every list endpoint builds on: unknown query parameters are a 400.

A misspelt filter (`speciality=`, `stauts=`) silently ignored would return
the unfiltered list as if it were the answer; naming it in a 400 is the
same rule on every list endpoint.
"""

import datetime

import django_filters as filters
from django import forms
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend

from core import clock

# Read by the paginator and the renderer, not by a filter.
PAGING_PARAMETERS = frozenset({"limit", "offset", "format"})


def literal_error(text: str) -> forms.ValidationError:
    """A form error whose text may quote the client's input.

    django-filter formats every message with `%`, so a '%' the client typed
    (`city=%`) in a plain message would be a 500; as a parameter it is text.
    """
    return forms.ValidationError("%(text)s", params={"text": text})


class StrictForm(forms.Form):
    def clean(self):
        data = super().clean()
        for name in sorted(set(self.data) - set(self.fields) - PAGING_PARAMETERS):
            self._errors[name] = self.error_class([literal_error(f"Unknown query parameter '{name}'.")])
        return data


class StrictFilterSet(filters.FilterSet):
    """A FilterSet that refuses unknown parameters and knows the request's day (`today`)."""

    class Meta:
        form = StrictForm

    def __init__(self, *args, today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or clock.today()


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, handing the view's `today` (core.views.TodayMixin) to the
    filterset, so the filters and the serializers of one request see one day."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        if hasattr(view, "today"):
            kwargs["today"] = view.today
        return kwargs

    def filter_queryset(self, request, queryset, view):
        """django-filter's, except that a FilterSet with `results` hands the view that (a
        search that pages itself, say) rather than its queryset."""
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid() and self.raise_exception:
            raise utils.translate_validation(filterset.errors)
        return filterset.results if hasattr(type(filterset), "results") else filterset.qs
