"""Where demo clinics go: the bundled ZIP table by population, metro anchors and jitter."""

from __future__ import annotations

import math
import random
import struct
from dataclasses import dataclass
from functools import cache
from itertools import accumulate

import zipcodes
from django.contrib.gis.geos import Point

from directory import geocoding
from directory.states import USState

# Big metros (downtown ZIP, metro population in millions); clinics cluster here.
METROS: tuple[tuple[str, float], ...] = (
    ("10001", 19.8),
    ("90012", 13.2),
    ("60601", 9.6),
    ("75201", 7.6),
    ("77002", 7.1),
    ("20001", 6.3),
    ("19103", 6.2),
    ("33130", 6.1),
    ("30303", 6.1),
    ("02108", 4.9),
    ("85004", 4.8),
    ("94103", 4.7),
    ("92501", 4.6),
    ("48226", 4.4),
    ("98101", 4.0),
    ("55401", 3.7),
    ("92101", 3.3),
    ("33602", 3.2),
    ("80202", 3.0),
    ("21201", 2.8),
    ("63101", 2.8),
    ("32801", 2.7),
    ("28202", 2.7),
    ("78205", 2.6),
    ("97204", 2.5),
    ("95814", 2.4),
    ("15222", 2.4),
    ("78701", 2.3),
    ("89101", 2.3),
    ("45202", 2.3),
    ("64106", 2.2),
    ("43215", 2.1),
    ("46204", 2.1),
    ("44114", 2.1),
    ("95113", 2.0),
    ("37203", 2.0),
    ("23451", 1.8),
    ("02903", 1.7),
    ("32202", 1.6),
    ("53202", 1.6),
    ("27601", 1.4),
    ("73102", 1.4),
    ("38103", 1.3),
    ("23219", 1.3),
    ("40202", 1.3),
    ("70112", 1.3),
    ("84101", 1.3),
    ("06103", 1.2),
    ("14202", 1.2),
    ("35203", 1.1),
    ("14604", 1.1),
    ("85701", 1.0),
    ("96813", 1.0),
    ("74103", 1.0),
    ("68102", 1.0),
    ("87102", 0.9),
    ("29401", 0.8),
    ("49503", 1.1),
    ("37902", 0.9),
    ("83702", 0.8),
    ("99501", 0.4),
    ("00901", 2.0),
    ("04101", 0.55),
    ("03101", 0.42),
    ("05401", 0.22),
    ("59101", 0.18),
    ("82001", 0.1),
    ("57104", 0.27),
    ("58102", 0.25),
    ("19801", 0.7),
    ("25301", 0.2),
    ("39201", 0.6),
    ("72201", 0.75),
    ("66603", 0.23),
    ("50309", 0.7),
)
# The first clinics sit here, so even a tiny demo has practitioners in these cities.
ANCHOR_ZIPS = ("98101", "10001", "60601", "78701", "80202")
METRO_SHARE = 0.75  # the rest spread over every ZIP code uniformly
JITTER_M = 600  # a location lies within this distance of its ZIP centroid
BRANCH_RADIUS_KM = 20  # a clinic's other locations are within this of its first

EARTH_RADIUS_KM = 6371.0088


# --------------------------------------------------------------------------
# Geography helpers
# --------------------------------------------------------------------------


_EWKB_POINT = struct.Struct("<BIIdd")


@dataclass(frozen=True, slots=True)
class LonLat:
    """A WGS84 coordinate in the rows handed to a sink (converted per backend)."""

    lon: float
    lat: float

    def ewkt(self) -> str:
        return f"SRID=4326;POINT({self.lon!r} {self.lat!r})"

    def ewkb(self) -> bytes:
        """Little-endian EWKB: a point (type 1) with its SRID (flag 0x20000000), then x and y."""
        return _EWKB_POINT.pack(1, 0x20000001, 4326, self.lon, self.lat)

    def point(self) -> Point:
        return Point(self.lon, self.lat, srid=4326)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


@dataclass(frozen=True, slots=True)
class Zip:
    code: str
    lat: float
    lon: float
    city: str
    state: str
    area_codes: tuple[str, ...]


class ZipTable:
    """The street-address ZIP codes of the bundled table, with metro weights and a grid for neighbours.

    Only "STANDARD" ZIPs (not PO boxes, single-firm or military codes) in a
    state or territory we know; every one is also known to `geocoding`, so a
    seeded location's ZIP geocodes to the centroid it was placed at.
    """

    CELL = 0.25  # degrees

    def __init__(self):
        known = set(geocoding.all_zip_codes())
        states = set(USState.values)
        self.zips: list[Zip] = []
        for row in zipcodes.list_all():
            code = row["zip_code"]
            if code not in known or row["zip_code_type"] != "STANDARD" or not row["active"]:
                continue
            lat, lon, city, state = geocoding.zip_record(code)
            if state not in states:
                continue
            self.zips.append(Zip(code, lat, lon, city, state, tuple(row.get("area_codes") or ())))
        self.zips.sort(key=lambda z: z.code)
        self.by_code = {z.code: z for z in self.zips}
        self.grid: dict[tuple[int, int], list[Zip]] = {}
        for z in self.zips:
            self.grid.setdefault(self._cell(z.lat, z.lon), []).append(z)
        self.metros = [self._metro(code, population) for code, population in METROS if code in self.by_code]
        self.metro_cum_weights = list(accumulate(population for _, population, _, _ in self.metros))

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        return int(math.floor(lat / self.CELL)), int(math.floor(lon / self.CELL))

    def near(self, lat: float, lon: float, radius_km: float) -> list[tuple[Zip, float]]:
        """ZIPs within radius_km of a point, with their distance, in code order."""
        reach_lat = math.ceil(radius_km / 111 / self.CELL)
        reach_lon = math.ceil(radius_km / (111 * max(math.cos(math.radians(lat)), 0.05)) / self.CELL)
        ci, cj = self._cell(lat, lon)
        found = []
        for i in range(ci - reach_lat, ci + reach_lat + 1):
            for j in range(cj - reach_lon, cj + reach_lon + 1):
                for z in self.grid.get((i, j), ()):
                    d = haversine_km(lat, lon, z.lat, z.lon)
                    if d <= radius_km:
                        found.append((z, d))
        found.sort(key=lambda item: item[0].code)
        return found

    def _metro(self, code: str, population: float):
        centre = self.by_code[code]
        radius = 15 + 10 * math.sqrt(population)
        near = self.near(centre.lat, centre.lon, radius)
        # Nearer the centre, denser: a ZIP's weight falls with its distance.
        return centre, population, [z for z, _ in near], list(accumulate(1 / (d + 3) for _, d in near))

    def pick(self, rng: random.Random) -> Zip:
        """A ZIP for a new clinic: usually in a big metro (by population), else anywhere."""
        if self.metros and rng.random() < METRO_SHARE:
            _, _, zips, cum_weights = rng.choices(self.metros, cum_weights=self.metro_cum_weights)[0]
            return rng.choices(zips, cum_weights=cum_weights)[0]
        return rng.choice(self.zips)

    # One ZipTable lives for the process (zip_table() caches it), so caching on its
    # method keeps nothing alive that would otherwise be freed.
    @cache  # noqa: B019
    def branches(self, code: str) -> list[Zip]:
        """Other ZIPs where a clinic whose first location is in `code` may open a branch."""
        z = self.by_code[code]
        return [other for other, _ in self.near(z.lat, z.lon, BRANCH_RADIUS_KM) if other.code != code]


@cache
def zip_table() -> ZipTable:
    return ZipTable()


def jitter(rng: random.Random, z: Zip) -> LonLat:
    """A point within JITTER_M of the ZIP centroid (uniform over the disc), to 0.1 m."""
    r = JITTER_M * math.sqrt(rng.random())
    theta = rng.random() * 2 * math.pi
    dlat = r * math.cos(theta) / 111_320
    dlon = r * math.sin(theta) / (111_320 * math.cos(math.radians(z.lat)))
    return LonLat(round(z.lon + dlon, 6), round(z.lat + dlat, 6))
