"""Paging of the nearest-first searches: the page is fetched under the KNN plan, and the
GeoJSON page is a FeatureCollection."""

from rest_framework.response import Response

from core.pagination import LookaheadPagination

from . import selectors

GEOJSON_PAGE_TITLE = "GeoJSONSearchPage"


class SearchPagination(LookaheadPagination):
    """A page of a search: fetched with the planner told to walk the KNN index, then (with the
    view's `attach_to_page`) what the results show of related rows."""

    def fetch(self, queryset, *, start: int, stop: int, view=None) -> list:
        return selectors.fetch_page(queryset, start=start, stop=stop, attach=getattr(view, "attach_to_page", None))

    def get_paginated_response_schema(self, schema):
        # drf-spectacular wraps every list response of a list view; the
        # GeoJSON page already is the whole body (a FeatureCollection).
        if schema.get("items", {}).get("title") == GEOJSON_PAGE_TITLE:
            return schema["items"]
        return super().get_paginated_response_schema(schema)


class GeoJSONSearchPagination(SearchPagination):
    """The same page as a GeoJSON FeatureCollection, paging links alongside."""

    def get_paginated_response(self, data):
        next_url, previous_url = self._links()
        return Response({"type": "FeatureCollection", "features": data, "next": next_url, "previous": previous_url})
