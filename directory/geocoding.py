"""Offline geocoding: US ZIP codes and "City, ST" to WGS84 points.

The `zipcodes` package bundles the GeoNames US postal-code table (CC BY 4.0,
42,789 ZIPs with centroids), so nothing here touches the network.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache

import zipcodes
from django.contrib.gis.geos import Point

ZIP_RE = re.compile(r"^\d{5}$")


class UnknownPlace(ValueError):
    """The ZIP code or city is not in the bundled table (or is malformed)."""


def _point(lat: float, lon: float) -> Point:
    return Point(lon, lat, srid=4326)


@cache
def _zip_index() -> dict[str, tuple[float, float, str, str]]:
    """ZIP -> (lat, lon, city, state), built once per process (about 0.5 s)."""
    index = {}
    for row in zipcodes.list_all():
        if row["lat"] and row["long"]:
            index[row["zip_code"]] = (float(row["lat"]), float(row["long"]), row["city"], row["state"])
    return index


@cache
def _city_index() -> dict[tuple[str, str], tuple[float, float]]:
    """(CITY, ST) -> (lat, lon), the mean centroid of the city's ZIP codes.

    Plain tuples of floats, not Points: the garbage collector stops tracking
    them, so the table costs nothing on each full collection.
    """
    coords = defaultdict(list)
    for lat, lon, city, state in _zip_index().values():
        coords[(city.upper(), state)].append((lat, lon))
    return {
        key: (sum(lat for lat, _ in pts) / len(pts), sum(lon for _, lon in pts) / len(pts))
        for key, pts in coords.items()
    }


def warm_up() -> None:
    """Load the ZIP and city tables now (about 0.5 s) rather than in a patient's first request."""
    _city_index()


def zip_record(postal_code: str) -> tuple[float, float, str, str]:
    """(lat, lon, city, state) for a 5-digit ZIP, or UnknownPlace."""
    if not ZIP_RE.match(postal_code or ""):
        raise UnknownPlace(f"'{postal_code}' is not a 5-digit US ZIP code.")
    try:
        return _zip_index()[postal_code]
    except KeyError:
        raise UnknownPlace(f"Unknown US ZIP code '{postal_code}'.") from None


def zip_to_point(postal_code: str) -> Point:
    """The centroid of a US ZIP code."""
    lat, lon, _, _ = zip_record(postal_code)
    return _point(lat, lon)


def parse_city(text: str) -> tuple[str, str]:
    """Split "City, ST" into ("City", "ST"); UnknownPlace if the state is missing."""
    city, sep, state = (text or "").rpartition(",")
    city, state = city.strip(), state.strip().upper()
    if not sep or not city or not re.fullmatch(r"[A-Z]{2}", state):
        raise UnknownPlace(f"'{text}' is not in the form 'City,ST' (for example 'Seattle,WA').")
    return city, state


def city_to_point(text: str) -> Point:
    """The centre of a US city given as "City, ST"."""
    city, state = parse_city(text)
    try:
        return _point(*_city_index()[(city.upper(), state)])
    except KeyError:
        raise UnknownPlace(f"Unknown US city '{city}, {state}'.") from None


def all_zip_codes() -> list[str]:
    """Every ZIP code that has a centroid, sorted (used by the demo seed)."""
    return sorted(_zip_index())
