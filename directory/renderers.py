"""GeoJSON output, chosen by `?format=geojson` or `Accept: application/geo+json`."""

from rest_framework.renderers import JSONRenderer


class GeoJSONRenderer(JSONRenderer):
    media_type = "application/geo+json"
    format = "geojson"
