"""Search results, declared once: each field's schema and how a row gives its value.

A result's JSON is written by a plain function per field rather than by
DRF's field-by-field walk: that walk over a page of 20 results (with the
nested location, clinic and term lists) cost more than the search query
itself at 1M practitioners (bench/search.py). The same declaration also
gives drf-spectacular the serializer fields it documents, so the OpenAPI
schema and the JSON cannot drift apart: adding, renaming or retyping a
field is one edit here.

An `Out` pairs a DRF field (used only for the schema, never to serialise)
with a getter `(row, context) -> value`. `result_serializer` turns a dict
of them into a read-only Serializer class; `nested` and `listed` make an
`Out` of another such dict, for an object or a list of objects.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from rest_framework import serializers

from core import clock

from .models import Profession
from .selectors import KM_PER_MILE

Getter = Callable[[Any, dict], Any]


@dataclass(frozen=True)
class Out:
    """One output field: its schema, and how to get its value from a row."""

    schema: serializers.Field
    value: Getter


def result_serializer(name: str, fields: dict[str, Out], doc: str = "") -> type[serializers.Serializer]:
    """A read-only Serializer named `name` whose declared fields and output both come from `fields`."""
    getters = tuple((field, out.value) for field, out in fields.items())

    def to_representation(self, row):
        context = self.context
        return {field: get(row, context) for field, get in getters}

    attributes = {field: out.schema for field, out in fields.items()}
    attributes.update(to_representation=to_representation, __doc__=doc or None, __module__=__name__)
    serializer_class = type(name, (serializers.Serializer,), attributes)
    # DRF orders declared fields by when each field object was made; the declaration's
    # order is the published one (shared fields, such as the distances, are made earlier).
    serializer_class._declared_fields = {field: out.schema for field, out in fields.items()}
    return serializer_class


_components: dict[str, tuple[dict[str, Out], type[serializers.Serializer]]] = {}


def _component(name: str, fields: dict[str, Out]) -> type[serializers.Serializer]:
    """One serializer class per component name, so two results nesting the same shape (a
    location) publish one schema component rather than two that collide."""
    if name in _components:
        known, serializer_class = _components[name]
        if known is not fields:
            raise ValueError(f"Two different declarations are named {name}.")
        return serializer_class
    serializer_class = result_serializer(name, fields)
    _components[name] = (fields, serializer_class)
    return serializer_class


def nested(name: str, fields: dict[str, Out], source: Callable[[Any], Any]) -> Out:
    """An object field: `source(row)` written out with `fields`."""
    schema = _component(name, fields)(read_only=True)
    getters = tuple((field, out.value) for field, out in fields.items())

    def value(row, context):
        item = source(row)  # once, not once a field: a related row is a descriptor's lookup
        return {field: get(item, context) for field, get in getters}

    return Out(schema, value)


def listed(name: str, fields: dict[str, Out], source: Callable[[Any], Any]) -> Out:
    """A list field: each item of `source(row)` written out with `fields`."""
    schema = _component(name, fields)(many=True, read_only=True)
    getters = tuple((field, out.value) for field, out in fields.items())
    return Out(
        schema, lambda row, context: [{field: get(item, context) for field, get in getters} for item in source(row)]
    )


def attribute(path: str) -> Getter:
    """The value at a dotted attribute path of the row ("practitioner.slug")."""
    get = attrgetter(path)
    return lambda row, context: get(row)


def integer(path: str, **kwargs) -> Out:
    return Out(serializers.IntegerField(read_only=True, **kwargs), attribute(path))


def text(path: str, **kwargs) -> Out:
    return Out(serializers.CharField(read_only=True, **kwargs), attribute(path))


def boolean(path: str) -> Out:
    return Out(serializers.BooleanField(read_only=True), attribute(path))


def km_away(row) -> float | None:
    """The search's exact `distance` annotation in km (None without a place), to the metre."""
    distance = getattr(row, "distance", None)
    return None if distance is None else round(distance.m / 1000, 3)


def miles_away(row) -> float | None:
    distance = getattr(row, "distance", None)
    return None if distance is None else round(distance.m / 1000 / KM_PER_MILE, 3)


DISTANCE = {
    "distance_km": Out(serializers.FloatField(read_only=True, allow_null=True), lambda row, context: km_away(row)),
    "distance_mi": Out(serializers.FloatField(read_only=True, allow_null=True), lambda row, context: miles_away(row)),
}

# A term from the selectors' vocabulary cache: (identifier, name) pairs (attach_terms).
TERM = {
    "slug": Out(serializers.CharField(read_only=True), lambda term, context: term[0]),
    "name": Out(serializers.CharField(read_only=True), lambda term, context: term[1]),
}
LANGUAGE = {
    "code": Out(serializers.CharField(read_only=True), lambda term, context: term[0]),
    "name": Out(serializers.CharField(read_only=True), lambda term, context: term[1]),
}

# The hex EWKB PostGIS sends for a 2D point in WGS84, little-endian, up to its coordinates.
POINT_4326_HEX = "0101000020E6100000"


def lon_lat(location) -> tuple[float, float]:
    """The location's point as (longitude, latitude).

    A kept search statement leaves each point as the hex EWKB the database sent until
    it is read (core.prepared.Instances); its two coordinates are then read from that
    text, the same doubles GEOS reads, rather than by parsing it into a GEOS point and
    asking GEOS for each ordinate: about 30 us a result at 1M practitioners. Any other
    point (another SRID, or one already parsed) is read through GEOS.
    """
    value = location.__dict__.get("point")
    if isinstance(value, str) and len(value) == 50 and value.startswith(POINT_4326_HEX):
        return struct.unpack("<dd", bytes.fromhex(value[18:]))
    point = location.point
    return point.x, point.y


CLINIC = {"id": integer("id"), "name": text("name"), "slug": text("slug")}

LOCATION = {
    "id": integer("id"),
    "clinic": nested("SearchResultClinic", CLINIC, attrgetter("clinic")),
    "name": text("name"),
    "address": text("address"),
    "city": text("city"),
    "state": text("state"),
    "postal_code": text("postal_code"),
    "lat": Out(serializers.FloatField(read_only=True), lambda location, context: round(lon_lat(location)[1], 6)),
    "lon": Out(serializers.FloatField(read_only=True), lambda location, context: round(lon_lat(location)[0], 6)),
    "phone": text("phone"),
    "accepting_new_patients": boolean("accepting_new_patients"),
}


# What Practitioner.get_profession_display() answers, without the dict of choices it
# builds on every call: about 4 of the 16 us a result's JSON took.
PROFESSION_NAMES = dict(Profession.choices)


def profession_name(listing) -> str:
    profession = listing.practitioner.profession
    return PROFESSION_NAMES.get(profession, profession)


def _terms(relation: str) -> Callable[[Any], list]:
    return lambda listing: listing.practitioner.terms[relation]


# A listing (a practitioner at their nearest matching location), as the search returns it.
PRACTITIONER_RESULT = {
    "id": integer("practitioner.id"),
    "slug": text("practitioner.slug"),
    "name": text("practitioner.name"),
    "profession": text("practitioner.profession"),
    "profession_name": Out(serializers.CharField(read_only=True), lambda listing, context: profession_name(listing)),
    "qualified": Out(
        serializers.BooleanField(read_only=True, help_text="Qualified at this location today."),
        lambda listing, context: listing.is_qualified(clock.today_from(context)),
    ),
    "verified_training_hours": integer("practitioner.verified_training_hours"),
    "years_dry_needling": integer("practitioner.years_dry_needling", allow_null=True),
    "specialties": listed("SearchResultSpecialty", TERM, _terms("specialties")),
    "techniques": listed("SearchResultTechnique", TERM, _terms("techniques")),
    "languages": listed("SearchResultLanguage", LANGUAGE, _terms("languages")),
    **DISTANCE,
    "location": nested("SearchResultLocation", LOCATION, attrgetter("location")),
}

# A location (a clinic at its nearest matching location), as the clinic search returns it.
CLINIC_RESULT = {
    "id": integer("clinic.id"),
    "name": text("clinic.name"),
    "slug": text("clinic.slug"),
    "website": text("clinic.website"),
    "phone": text("clinic.phone"),
    **DISTANCE,
    "location": nested("SearchResultLocation", LOCATION, lambda location: location),
}

PractitionerResultSerializer = result_serializer(
    "PractitionerResultSerializer",
    PRACTITIONER_RESULT,
    "One search result: a practitioner at their nearest matching location.",
)
ClinicResultSerializer = result_serializer(
    "ClinicResultSerializer", CLINIC_RESULT, "One clinic in a search, at its nearest matching location."
)


class PractitionerResultGeoSerializer(PractitionerResultSerializer):
    """The same result as a GeoJSON Feature at the location's point.

    Not djangorestframework-gis's GeoFeatureModelSerializer: it rebuilds the
    properties field by field, which this module exists to avoid, and the
    Feature around them is three keys.
    """

    def to_representation(self, listing):
        lon, lat = lon_lat(listing.location)
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            "properties": super().to_representation(listing),
        }
