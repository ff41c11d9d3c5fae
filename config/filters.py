"""The FilterSet every list endpoint builds on: unknown query parameters are a 400.

A misspelt filter (`speciality=`, `stauts=`) silently ignored would return
the unfiltered list as if it were the answer; naming it in a 400 is the
same rule on every list endpoint.
"""
import django_filters as filters
from django import forms

# Read by the paginator and the renderer, not by a filter.
PAGING_PARAMETERS = frozenset({"limit", "offset", "format"})


class StrictForm(forms.Form):
    def clean(self):
        data = super().clean()
        for name in sorted(set(self.data) - set(self.fields) - PAGING_PARAMETERS):
            self._errors[name] = self.error_class([f"Unknown query parameter '{name}'."])
        return data


class StrictFilterSet(filters.FilterSet):
    class Meta:
        form = StrictForm
