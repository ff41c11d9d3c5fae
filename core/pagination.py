"""limit/offset paging for every list, validated, and without a COUNT.

DRF's LimitOffsetPagination clamps a bad `limit` silently and counts every
match; here a bad value is a 400 naming the parameter, and the next page is
detected by fetching one extra row, because counting every practitioner
within 500 km would cost more than the page itself.
"""

from django import forms
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_OFFSET = 10_000


class PageForm(forms.Form):
    limit = forms.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT)
    offset = forms.IntegerField(required=False, min_value=0, max_value=MAX_OFFSET)


class LookaheadPagination(BasePagination):
    """A page of `limit` rows from `offset`; "is there a next page" is one extra row fetched."""

    def fetch(self, queryset, *, start: int, stop: int, view=None) -> list:
        """Rows [start, stop) of the queryset; a subclass may fetch them its own way."""
        return list(queryset[start:stop])

    def paginate_queryset(self, queryset, request, view=None):
        form = PageForm(request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors)
        self.limit = form.cleaned_data["limit"] or DEFAULT_LIMIT
        self.offset = form.cleaned_data["offset"] or 0
        self.request = request
        rows = self.fetch(queryset, start=self.offset, stop=self.offset + self.limit + 1, view=view)
        self.has_next = len(rows) > self.limit
        return rows[: self.limit]

    def _links(self):
        url = self.request.build_absolute_uri()
        next_url = replace_query_param(url, "offset", self.offset + self.limit) if self.has_next else None
        if self.offset <= 0:
            previous_url = None
        elif self.offset - self.limit <= 0:
            previous_url = remove_query_param(url, "offset")
        else:
            previous_url = replace_query_param(url, "offset", self.offset - self.limit)
        return next_url, previous_url

    def get_paginated_response(self, data):
        next_url, previous_url = self._links()
        return Response({"next": next_url, "previous": previous_url, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "limit",
                "required": False,
                "in": "query",
                "description": f"Results per page (default {DEFAULT_LIMIT}, 1 to {MAX_LIMIT}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            },
            {
                "name": "offset",
                "required": False,
                "in": "query",
                "description": f"Results to skip (0 to {MAX_OFFSET}).",
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
            },
        ]
