"""Reading a FHIR search's query string: every parameter known, every value well formed, or a
400 OperationOutcome naming the parameter (a search never ignores what it does not understand)."""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils import timezone

# UCUM codes `near` accepts, in metres.
METRES_PER_UNIT = {"m": 1.0, "km": 1000.0, "[mi_i]": 1609.344, "[mi_us]": 1609.3472186944373}
DEFAULT_COUNT = 20
MAX_COUNT = 100
CURSOR_SALT = "fhirapi.page"


class BadParameter(Exception):
    """A parameter the search cannot answer: unknown, or its value malformed (HTTP 400)."""

    def __init__(self, name: str, message: str, code: str = "invalid"):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Near:
    lat: float
    lon: float
    radius_m: float
    unit: str


@dataclass(frozen=True)
class Bound:
    """One `_lastUpdated` bound: `op` is gt, ge, lt or le, `at` an aware datetime."""

    op: str
    at: datetime.datetime


def values(name: str, raw: list[str]) -> list[str]:
    """The comma-separated alternatives of every occurrence (FHIR's OR), none empty."""
    out = []
    for item in raw:
        parts = item.split(",")
        if any(not part.strip() for part in parts):
            raise BadParameter(name, "Give a value (empty values are not allowed).")
        out.extend(part.strip() for part in parts)
    return out


def single(name: str, raw: list[str]) -> str:
    if len(raw) != 1:
        raise BadParameter(name, "Give this parameter once.")
    if not raw[0].strip():
        raise BadParameter(name, "Give a value.")
    return raw[0].strip()


def ids(name: str, raw: list[str]) -> list[int]:
    out = []
    for value in values(name, raw):
        if not value.isdigit() or len(value) > 18:
            raise BadParameter(name, f"'{value}' is not an id of this server (ids are whole numbers).")
        out.append(int(value))
    return out


def count(raw: list[str]) -> int:
    value = single("_count", raw)
    if not value.isdigit() or not 1 <= int(value) <= MAX_COUNT:
        raise BadParameter("_count", f"Give a whole number from 1 to {MAX_COUNT}.")
    return int(value)


def boolean(name: str, raw: list[str]) -> bool:
    value = single(name, raw)
    if value not in ("true", "false"):
        raise BadParameter(name, "Give true or false.")
    return value == "true"


def token(name: str, value: str, *, system: str) -> str:
    """The code of a `system|code` or `code` token whose system must be `system`."""
    if "|" in value:
        given, _, code = value.partition("|")
        if given and given != system:
            raise BadParameter(name, f"Unknown system '{given}'; this parameter's system is {system}.")
        value = code
    if not value:
        raise BadParameter(name, "Give a code.")
    return value


def reference(name: str, value: str, resource_type: str) -> int:
    """The id of `Type/123` or `123` (a reference to `resource_type`)."""
    prefix = f"{resource_type}/"
    if value.startswith(prefix):
        value = value[len(prefix) :]
    if not value.isdigit() or len(value) > 18:
        raise BadParameter(name, f"Give a {resource_type} id or {resource_type}/<id>.")
    return int(value)


_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_PREFIXES = ("gt", "ge", "lt", "le")


def last_updated(raw: list[str]) -> list[Bound]:
    """`_lastUpdated` bounds: a prefix gt, ge, lt or le and a date (a whole day, UTC) or an
    instant with its time zone (2026-03-02T10:00:00Z). A date's day is widened as FHIR says:
    gt a day is after its end, ge from its start, lt before its start, le up to its end."""
    bounds = []
    for value in raw:
        if "," in value:
            raise BadParameter("_lastUpdated", "Give one bound per occurrence (no commas).")
        prefix, rest = value[:2], value[2:]
        if prefix not in _PREFIXES:
            raise BadParameter("_lastUpdated", f"'{value}': start with a prefix gt, ge, lt or le.")
        match = _DATE.match(rest)
        if match:
            try:
                day = datetime.date(*map(int, match.groups()))
            except ValueError:
                raise BadParameter("_lastUpdated", f"'{rest}' is not a date.") from None
            start = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)
            end = start + datetime.timedelta(days=1)
            bounds.append(
                {"gt": Bound("ge", end), "ge": Bound("ge", start), "lt": Bound("lt", start), "le": Bound("lt", end)}[
                    prefix
                ]
            )
            continue
        at = parse_instant("_lastUpdated", rest)
        bounds.append(Bound(prefix, at))
    return bounds


def parse_instant(name: str, value: str) -> datetime.datetime:
    if "T" not in value:
        raise BadParameter(name, f"'{value}' is neither a date (YYYY-MM-DD) nor an instant (YYYY-MM-DDThh:mm:ssZ).")
    try:
        at = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(name, f"'{value}' is not an instant (YYYY-MM-DDThh:mm:ss with Z or an offset).") from None
    if timezone.is_naive(at):
        raise BadParameter(name, f"'{value}': give the time zone (Z or an offset such as -05:00).")
    return at


def _number(name: str, text: str, part: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise BadParameter(name, f"The {part} '{text}' is not a number.") from None
    if not math.isfinite(number):
        raise BadParameter(name, f"The {part} '{text}' is not a number.")
    return number


def near(name: str, raw: list[str]) -> Near:
    """`lat|lon|distance|unit`; distance and unit may be left out (the default radius, in km),
    the unit alone too (km). Units are UCUM: km, m, [mi_i], [mi_us]."""
    value = single(name, raw)
    parts = value.split("|")
    if not 2 <= len(parts) <= 4:
        raise BadParameter(name, "Give lat|lon, lat|lon|distance or lat|lon|distance|unit.")
    lat = _number(name, parts[0], "latitude")
    lon = _number(name, parts[1], "longitude")
    if not -90 <= lat <= 90:
        raise BadParameter(name, f"The latitude {parts[0]} is not between -90 and 90.")
    if not -180 <= lon <= 180:
        raise BadParameter(name, f"The longitude {parts[1]} is not between -180 and 180.")
    unit = parts[3] if len(parts) == 4 else "km"
    if unit not in METRES_PER_UNIT:
        raise BadParameter(name, f"Unknown unit '{unit}'; give a UCUM unit: {', '.join(METRES_PER_UNIT)}.")
    limit_m = settings.SEARCH_MAX_RADIUS_KM * 1000
    if len(parts) >= 3 and parts[2] != "":
        distance = _number(name, parts[2], "distance")
        radius_m = distance * METRES_PER_UNIT[unit]
        if not 0 < radius_m <= limit_m + 1e-6:
            raise BadParameter(
                name,
                f"The distance must be greater than 0 and at most {limit_m / METRES_PER_UNIT[unit]:g} {unit}.",
            )
    elif len(parts) == 4:
        raise BadParameter(name, "Give the distance before its unit (lat|lon|distance|unit).")
    else:
        radius_m = settings.SEARCH_DEFAULT_RADIUS_KM * 1000
    return Near(lat=lat, lon=lon, radius_m=radius_m, unit=unit)


def cursor_dumps(data: dict) -> str:
    return signing.dumps(data, salt=CURSOR_SALT, compress=True)


def cursor_loads(raw: list[str]) -> dict:
    value = single("_cursor", raw)
    try:
        data = signing.loads(value, salt=CURSOR_SALT)
    except signing.BadSignature:
        raise BadParameter("_cursor", "Not a page of this search: follow the Bundle's next link as it is.") from None
    if not isinstance(data, dict):
        raise BadParameter("_cursor", "Not a page of this search: follow the Bundle's next link as it is.")
    return data
