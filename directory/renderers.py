"""GeoJSON output, chosen by `?format=geojson` or `Accept: application/geo+json`."""

from core.renderers import JSONRenderer


class GeoJSONRenderer(JSONRenderer):
    media_type = "application/geo+json"
    format = "geojson"
