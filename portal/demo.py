"""A realistic, deterministic demo directory, fast enough for a million practitioners.

`seed()` runs five stages, each a function that generates its rows from its
own `random.Random` (so one stage's draws never shift another's) and hands
them to a `Sink` in batches:

1. clinics         -- size (practitioners) and kind (PT, chiro, ...) first
2. locations       -- 1-3 per clinic at real ZIP centroids, jittered
3. practitioners   -- profession by clinic kind, names, NPI, bio, hours
4. listings        -- each practitioner at 1-3 of its clinic's locations,
                      with demo qualified days
5. links           -- specialties, techniques and languages (M2M rows)

The same seed gives the same rows on any database: ids are reserved up
front and assigned here, and slugs are name + sequence number, so nothing
waits on a per-row query. The qualified days come from `demo_qualification`,
a stand-in that `seed_demo` replaces with days computed from generated
credentials (credentials.demo) unless told --no-credentials.

PostGIS loads rows with COPY (psycopg 3), everything else with bulk_create.
"""
from __future__ import annotations

import datetime
import math
import random
import sys
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate, islice

import zipcodes
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import Point
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from tqdm import tqdm

from core import clock
from directory import geocoding
from directory.models import Clinic, Language, Listing, Location, Practitioner, Specialty, Technique
from directory.states import USState
from directory.validators import npi_check_digit

# --------------------------------------------------------------------------
# Vocabulary of the generator
# --------------------------------------------------------------------------

# Every practitioner's surname and (usually) first name come from one origin;
# the origin's language is then likelier among the languages they consult in.
# origin: (weight, language code or None, first names, last names)
NAME_ORIGINS: dict[str, tuple[float, str | None, tuple[str, ...], tuple[str, ...]]] = {
    "english": (52, None, (
        "James", "Mary", "Michael", "Jennifer", "David", "Sarah", "Robert", "Emily", "John", "Jessica",
        "William", "Ashley", "Christopher", "Amanda", "Daniel", "Megan", "Matthew", "Lauren", "Andrew",
        "Rachel", "Joshua", "Hannah", "Ryan", "Nicole", "Tyler", "Samantha", "Brandon", "Elizabeth",
        "Kevin", "Katherine", "Jason", "Rebecca", "Justin", "Stephanie", "Nathan", "Heather", "Benjamin",
        "Amy", "Aaron", "Melissa", "Zachary", "Allison", "Kyle", "Brittany", "Jacob", "Olivia", "Ethan",
        "Abigail", "Logan", "Madison", "Caleb", "Chloe", "Noah", "Grace", "Dylan", "Claire", "Marcus",
        "Jasmine", "Darnell", "Imani", "Terrence", "Aaliyah", "Andre", "Keisha", "Jamal", "Tiana",
        "Malik", "Ebony", "Connor", "Molly",
    ), (
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
        "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Thompson", "White", "Harris", "Clark", "Lewis",
        "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green", "Adams",
        "Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker",
        "Evans", "Edwards", "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan",
        "Cooper", "Peterson", "Reed", "Bailey", "Bell", "Kelly", "Howard", "Ward", "Cox", "Richardson",
        "Wood", "Watson", "Brooks", "Bennett", "Gray", "Hughes", "Price", "Sanders", "Myers", "Long",
        "Foster", "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "O'Brien", "Fitzgerald",
        "McCarthy", "Washington", "Jefferson", "Banks", "Coleman",
    )),
    "hispanic": (15, "es", (
        "Carlos", "José", "Luis", "Juan", "Miguel", "Jorge", "Alejandro", "Diego", "Andrés", "Javier",
        "Ricardo", "Fernando", "María", "Sofía", "Lucía", "Isabella", "Valentina", "Camila", "Gabriela",
        "Daniela", "Ana", "Carmen", "Elena", "Rosa", "Mariana", "Adriana", "Alejandra", "Paola",
    ), (
        "García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez",
        "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Reyes", "Morales", "Cruz", "Ortiz",
        "Gutiérrez", "Chávez", "Ramos", "Mendoza", "Castillo", "Vargas", "Romero", "Herrera", "Medina",
        "Aguilar",
    )),
    "chinese": (4, "zh", (
        "Wei", "Jing", "Min", "Xiaoming", "Mei", "Yan", "Hui", "Jun", "Lei", "Ying", "Hao", "Xin",
    ), ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Lin", "Xu")),
    "vietnamese": (2, "vi", (
        "Minh", "Linh", "Thanh", "Huong", "Tuan", "Lan", "Duc", "Anh", "Quang", "Thuy", "Hoa",
    ), ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Phan", "Vu", "Dang")),
    "filipino": (2, "tl", (
        "Jericho", "Marisol", "Rodel", "Arnel", "Maricel", "Rowena", "Joy", "Lorna",
    ), ("Dela Cruz", "Bautista", "Villanueva", "Aquino", "Manalo", "Pascual", "Navarro", "Santos")),
    "korean": (2, "ko", (
        "Ji-woo", "Min-jun", "Seo-yeon", "Hyun", "Soo-jin", "Jae", "Eun-ji", "Dong-hyun",
    ), ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon")),
    "russian": (2, "ru", (
        "Dmitri", "Olga", "Sergei", "Natasha", "Alexei", "Irina", "Nikolai", "Svetlana", "Yulia", "Andrei",
    ), ("Ivanov", "Kuznetsov", "Volkov", "Morozov", "Petrov", "Sokolov", "Lebedev", "Novikov")),
    "arabic": (2, "ar", (
        "Omar", "Layla", "Ahmed", "Fatima", "Yusuf", "Nour", "Khalid", "Amira", "Samir", "Rania", "Hassan",
        "Mariam",
    ), ("Haddad", "Khalil", "Nasser", "Mansour", "Saleh", "Farah", "Aziz", "Hamdan", "Rahman")),
    "french": (1, "fr", (
        "Étienne", "Camille", "Julien", "Amélie", "Luc", "Margaux", "Antoine", "Céline",
    ), ("Dubois", "Laurent", "Moreau", "Lefebvre", "Girard", "Fontaine", "Rousseau", "Chevalier")),
    "german": (2, "de", (
        "Lukas", "Greta", "Matthias", "Anja", "Stefan", "Katrin", "Jonas", "Heike",
    ), ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Schulz")),
    "portuguese": (1, "pt", (
        "João", "Thiago", "Beatriz", "Larissa", "Rafael", "Fernanda", "Gustavo", "Juliana",
    ), ("Silva", "Oliveira", "Souza", "Costa", "Pereira", "Almeida", "Ferreira", "Carvalho")),
    "indian": (5, "hi", (
        "Priya", "Rahul", "Anjali", "Vikram", "Neha", "Arjun", "Deepa", "Sanjay", "Kavya", "Rohan",
        "Pooja", "Amit",
    ), ("Patel", "Shah", "Singh", "Kumar", "Sharma", "Gupta", "Reddy", "Iyer", "Mehta", "Desai", "Rao",
        "Joshi")),
    "japanese": (1.5, "ja", (
        "Haruto", "Yuki", "Kenji", "Aiko", "Takashi", "Emi", "Hiroshi", "Naoko",
    ), ("Tanaka", "Suzuki", "Takahashi", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi")),
    "italian": (3, "it", (
        "Giuseppe", "Giulia", "Marco", "Francesca", "Luca", "Chiara", "Alessandro", "Matteo",
    ), ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino",
        "Greco")),
    "polish": (1.5, "pl", (
        "Krzysztof", "Agnieszka", "Piotr", "Katarzyna", "Tomasz", "Magdalena", "Paweł", "Zofia",
    ), ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński",
        "Szymański")),
    "haitian": (1, "ht", (
        "Jean", "Marie-Claire", "Wilner", "Guerline", "Pierre", "Nadège", "Fritz", "Mirlande",
    ), ("Pierre", "Jean-Louis", "Joseph", "Baptiste", "Charles", "Toussaint", "Celestin", "Dorval")),
    "west_african": (2, None, (
        "Chinedu", "Ngozi", "Oluwaseun", "Adaeze", "Kwame", "Abena", "Emeka", "Folake",
    ), ("Okafor", "Adeyemi", "Mensah", "Okonkwo", "Balogun", "Asante", "Eze", "Owusu")),
}

# Clinic kinds: (weight, profession weights, name patterns). {place} is the
# location's city (sometimes "North <city>", ...), {surname}/{surname2} a
# family name, {brand} a word like "Summit".
CLINIC_KINDS: dict[str, tuple[float, dict[str, float], tuple[str, ...]]] = {
    "physical_therapy": (50, {"PT": 90, "ATC": 4, "DC": 2, "NP": 1, "PA": 1}, (
        "{place} Physical Therapy", "{place} Physical Therapy", "{surname} Physical Therapy",
        "{brand} Physical Therapy", "{place} Physical Therapy & Sports Rehab", "{brand} PT & Performance",
        "{surname} & {surname2} Physical Therapy", "{brand} Movement Physical Therapy",
        "{brand} Physical Therapy of {place}",
    )),
    "chiropractic": (20, {"DC": 82, "PT": 10, "LAc": 4, "NP": 2, "ATC": 2}, (
        "{surname} Chiropractic", "{surname} Family Chiropractic", "{place} Chiropractic Center",
        "{brand} Chiropractic & Wellness", "{brand} Spine & Joint", "{place} Spine & Posture",
    )),
    "acupuncture": (8, {"LAc": 85, "DC": 7, "NP": 4, "MD": 4}, (
        "{place} Acupuncture", "{brand} Acupuncture & Herbs", "{surname} Acupuncture Clinic",
        "{brand} Acupuncture & Integrative Care",
    )),
    "sports_medicine": (10, {"PT": 34, "MD": 22, "DO": 16, "ATC": 12, "PA": 9, "NP": 7}, (
        "{brand} Performance Sports Medicine", "{place} Sports Medicine", "{place} Orthopedics & Sports Medicine",
        "{brand} Sports & Spine", "{brand} Sports Medicine Institute",
    )),
    "integrative": (12, {"PT": 32, "DC": 20, "LAc": 14, "MD": 13, "DO": 8, "NP": 9, "PA": 4}, (
        "{place} Integrative Health", "{brand} Wellness Center", "{place} Pain & Wellness",
        "{brand} Integrative Medicine", "{brand} Pain Relief Center",
    )),
}

BRANDS = (
    "Peak", "Summit", "Evergreen", "Harbor", "Cascade", "Pinnacle", "Riverside", "Lakeside", "Keystone",
    "Cornerstone", "Horizon", "Apex", "Catalyst", "Elevate", "Momentum", "Northstar", "True North",
    "Bluebird", "Red Rock", "Sierra", "Prairie", "Magnolia", "Willow", "Cedar", "Aspen", "Ironwood",
    "Bayview", "Meridian", "Kinetic", "Align", "Restore", "Balance", "Thrive", "Optimal", "Core",
    "Precision", "Motion", "Vital", "Endurance", "Legacy", "Heritage", "Liberty", "Pacific", "Atlantic",
    "Gulf Coast", "Mountain View", "Valley", "Metro", "Compass", "Lighthouse", "Oak Tree", "Blue Ridge",
)
COMPASS = ("North", "South", "East", "West", "Downtown", "Uptown")

STREETS = (
    "Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Walnut",
    "Spring", "Center", "Church", "Market", "Broad", "Highland", "Sunset", "Lincoln", "Jefferson",
    "Madison", "Franklin", "Jackson", "River", "Meadow", "Forest", "Ridge", "Mill", "Union", "Chestnut",
    "Willow", "Cherry", "Dogwood", "Magnolia", "Vine", "Commerce", "College", "University", "Academy",
    "1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th", "10th", "12th", "14th", "23rd",
)
STREET_TYPES = ("St", "St", "Ave", "Ave", "Blvd", "Rd", "Way", "Dr", "Ln", "Pkwy", "Ct")

# Conditions treated: weight, and how a bio phrases it.
SPECIALTIES: dict[str, tuple[float, str]] = {
    "low-back-pain": (10, "low back pain"),
    "neck-pain": (9, "neck pain"),
    "shoulder-pain": (8, "shoulder pain"),
    "myofascial-pain": (7, "myofascial pain"),
    "sports-injuries": (6, "sports injuries"),
    "headaches": (5, "tension headaches"),
    "hip-pain": (5, "hip pain"),
    "knee-pain": (5, "knee pain"),
    "sciatica": (5, "sciatica"),
    "tendinopathy": (4, "tendinopathy"),
    "arthritis": (3, "arthritis"),
    "plantar-fasciitis": (3, "plantar fasciitis"),
    "tennis-elbow": (3, "tennis elbow"),
    "tmj": (2, "jaw (TMJ) pain"),
    "fibromyalgia": (2, "fibromyalgia"),
}
TECHNIQUES: dict[str, tuple[float, str]] = {
    "deep-dry-needling": (0.75, "deep dry needling"),
    "superficial-dry-needling": (0.40, "superficial dry needling"),
    "electrical-dry-needling": (0.30, "electrical dry needling"),
    "intramuscular-stimulation": (0.10, "intramuscular stimulation"),
}
# Probability of each language besides English and the name origin's language.
LANGUAGE_RATES = {
    "es": 0.15, "zh": 0.01, "vi": 0.006, "tl": 0.006, "ko": 0.005, "ru": 0.006, "ar": 0.005, "fr": 0.012,
    "de": 0.006, "pt": 0.005, "hi": 0.004, "ja": 0.003, "it": 0.004, "pl": 0.003, "ht": 0.002, "asl": 0.006,
}
SPANISH_STATES = {"TX", "CA", "FL", "NM", "AZ", "NV", "CO", "PR"}

PROFESSION_NOUNS = {
    "PT": "physical therapist", "DC": "chiropractor", "MD": "physician", "DO": "osteopathic physician",
    "LAc": "licensed acupuncturist", "ATC": "athletic trainer", "NP": "nurse practitioner",
    "PA": "physician assistant",
}
BIO_TEMPLATES = (
    "{first} is a {noun} who has used dry needling for {years} with patients who have {spec1} and {spec2}.",
    "{first} treats {spec1}, {spec2} and {spec3}, combining {tech} with manual therapy and a home exercise program.",
    "A {noun} focused on {spec1}, {first} uses {tech} to get patients back to work and sport.",
    "{first} sees runners, desk workers and weekend athletes for {spec1} and {spec2}; {tech} is part of most plans.",
    "{first} has practised dry needling for {years} and is especially interested in {spec1}.",
)

# Clinic size: how many practitioners (weights), mean about 5.
CLINIC_SIZES = ((1, 22), (2, 15), (3, 13), (4, 10), (5, 8), (range(6, 11), 20), (range(11, 21), 10), (range(21, 41), 2))

# Big metros (downtown ZIP, metro population in millions); clinics cluster here.
METROS: tuple[tuple[str, float], ...] = (
    ("10001", 19.8), ("90012", 13.2), ("60601", 9.6), ("75201", 7.6), ("77002", 7.1), ("20001", 6.3),
    ("19103", 6.2), ("33130", 6.1), ("30303", 6.1), ("02108", 4.9), ("85004", 4.8), ("94103", 4.7),
    ("92501", 4.6), ("48226", 4.4), ("98101", 4.0), ("55401", 3.7), ("92101", 3.3), ("33602", 3.2),
    ("80202", 3.0), ("21201", 2.8), ("63101", 2.8), ("32801", 2.7), ("28202", 2.7), ("78205", 2.6),
    ("97204", 2.5), ("95814", 2.4), ("15222", 2.4), ("78701", 2.3), ("89101", 2.3), ("45202", 2.3),
    ("64106", 2.2), ("43215", 2.1), ("46204", 2.1), ("44114", 2.1), ("95113", 2.0), ("37203", 2.0),
    ("23451", 1.8), ("02903", 1.7), ("32202", 1.6), ("53202", 1.6), ("27601", 1.4), ("73102", 1.4),
    ("38103", 1.3), ("23219", 1.3), ("40202", 1.3), ("70112", 1.3), ("84101", 1.3), ("06103", 1.2),
    ("14202", 1.2), ("35203", 1.1), ("14604", 1.1), ("85701", 1.0), ("96813", 1.0), ("74103", 1.0),
    ("68102", 1.0), ("87102", 0.9), ("29401", 0.8), ("49503", 1.1), ("37902", 0.9), ("83702", 0.8),
    ("99501", 0.4), ("00901", 2.0), ("04101", 0.55), ("03101", 0.42), ("05401", 0.22), ("59101", 0.18),
    ("82001", 0.1), ("57104", 0.27), ("58102", 0.25), ("19801", 0.7), ("25301", 0.2), ("39201", 0.6),
    ("72201", 0.75), ("66603", 0.23), ("50309", 0.7),
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


@dataclass(frozen=True, slots=True)
class LonLat:
    """A WGS84 coordinate in the rows handed to a sink (converted per backend)."""

    lon: float
    lat: float

    def ewkt(self) -> str:
        return f"SRID=4326;POINT({self.lon!r} {self.lat!r})"

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

    @cache
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


# --------------------------------------------------------------------------
# Sinks: where the rows go
# --------------------------------------------------------------------------


def _geo_columns(model, columns: Sequence[str]) -> list[int]:
    return [i for i, name in enumerate(columns) if isinstance(model._meta.get_field(name), GeometryField)]


class Sink:
    """Writes batches of rows (tuples in `columns` order) into a model's table."""

    def reserve_ids(self, model, count: int) -> int:
        raise NotImplementedError

    def write(self, model, columns: Sequence[str], rows: list[tuple]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Bring ids and planner statistics up to date after loading."""


class OrmSink(Sink):
    """bulk_create: any backend (SpatiaLite for the demo)."""

    def reserve_ids(self, model, count):
        from django.db.models import Max

        return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1

    def write(self, model, columns, rows):
        geo = _geo_columns(model, columns)
        objects = []
        for row in rows:
            values = dict(zip(columns, row))
            for i in geo:
                values[columns[i]] = row[i].point()
            objects.append(model(**values))
        with transaction.atomic():
            model.objects.bulk_create(objects)

    def finish(self):
        models = [Clinic, Location, Practitioner, Listing]
        with connection.cursor() as cursor:
            # Explicit ids leave a PostgreSQL sequence behind (SQLite keeps up by itself).
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
            cursor.execute("ANALYZE")


class CopySink(Sink):
    """COPY ... FROM STDIN through psycopg 3: PostgreSQL only, several times faster than INSERT."""

    def reserve_ids(self, model, count):
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            (sequence,) = cursor.fetchone()
            cursor.execute("SELECT nextval(%s)", [sequence])
            (start,) = cursor.fetchone()
            if count > 1:
                cursor.execute("SELECT setval(%s, %s)", [sequence, start + count - 1])
        return start

    def write(self, model, columns, rows):
        geo = _geo_columns(model, columns)
        quote = connection.ops.quote_name
        sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.cursor.copy(sql) as copy:
                if geo:
                    for row in rows:
                        row = list(row)
                        for i in geo:
                            row[i] = row[i].ewkt()
                        copy.write_row(row)
                else:
                    for row in rows:
                        copy.write_row(row)

    def finish(self):
        # The vocabularies too: they never change enough for autovacuum to
        # analyze them, and without statistics the planner guesses that a
        # slug matches ~1% of practitioners and picks a hash join over every
        # practitioner with a term instead of the KNN index scan.
        vocabularies = [Specialty._meta.db_table, Technique._meta.db_table, Language._meta.db_table]
        tables = ", ".join(connection.ops.quote_name(t) for t in directory_tables() + vocabularies)
        with connection.cursor() as cursor:
            # VACUUM also sets hint bits and the visibility map, so the first
            # searches do not pay for that; it cannot run inside a transaction.
            cursor.execute(f"ANALYZE {tables}" if connection.in_atomic_block else f"VACUUM (ANALYZE) {tables}")


def directory_tables() -> list[str]:
    models = [Clinic, Location, Practitioner, Listing]
    through = [Practitioner.specialties.through, Practitioner.techniques.through, Practitioner.languages.through]
    return [m._meta.db_table for m in models + through]


def default_sink() -> Sink:
    return CopySink() if connection.vendor == "postgresql" else OrmSink()


def flush_directory() -> None:
    """Delete every clinic, location, practitioner and listing, and whatever refers to them.

    PostgreSQL: TRUNCATE ... CASCADE (also empties tables with foreign keys
    to these, such as credentials) and restarts the ids at 1. Elsewhere:
    ordinary cascading deletes.
    """
    if connection.vendor == "postgresql":
        tables = ", ".join(connection.ops.quote_name(t) for t in directory_tables())
        # Deferred foreign-key checks still pending in this transaction
        # would make TRUNCATE refuse; run them now.
        connection.check_constraints()
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    else:
        with transaction.atomic():
            Practitioner.objects.all().delete()
            Clinic.objects.all().delete()


# --------------------------------------------------------------------------
# The plan shared by the stages
# --------------------------------------------------------------------------


@dataclass(slots=True)
class PlannedLocation:
    id: int
    point: LonLat
    state: str


@dataclass(slots=True)
class PlannedClinic:
    index: int  # 0-based order in this run
    id: int
    kind: str
    size: int  # practitioners
    first_practitioner: int  # index of its first practitioner in this run
    zip: Zip  # of its first location
    locations: list[PlannedLocation] = field(default_factory=list)


@dataclass
class SeedResult:
    """What a run created: id ranges per model and row counts per table."""

    clinic_ids: range = range(0)
    location_ids: range = range(0)
    practitioner_ids: range = range(0)
    listing_ids: range = range(0)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class SeedContext:
    practitioners: int
    seed: int
    today: datetime.date
    sink: Sink
    batch_size: int = 10_000
    progress: bool = True
    now: datetime.datetime = field(default_factory=timezone.now)
    clinics: list[PlannedClinic] = field(default_factory=list)
    # Per practitioner (by index): bit masks of its specialties | techniques << 32 | languages << 40.
    vocab_masks: array = field(default_factory=lambda: array("Q"))
    practitioner_first_id: int = 0
    result: SeedResult = field(default_factory=SeedResult)

    def rng(self, stage: str) -> random.Random:
        """Each stage draws from its own stream, so changing one stage leaves the others' rows alone."""
        return random.Random(f"dry-needling-demo/{self.seed}/{stage}")

    def bar(self, stage: str, total: int) -> tqdm:
        return tqdm(
            total=total, desc=f"{stage:<13}", unit=" rows", unit_scale=True, file=sys.stderr,
            disable=not self.progress, mininterval=0.5, dynamic_ncols=True,
        )

    def write(self, model, columns: Sequence[str], rows: Iterable[tuple], bar: tqdm, key: str) -> int:
        """Write rows in batches of batch_size, advancing bar; returns the row count."""
        written = 0
        rows = iter(rows)
        while batch := list(islice(rows, self.batch_size)):
            self.sink.write(model, columns, batch)
            written += len(batch)
            bar.update(len(batch))
        self.result.counts[key] = self.result.counts.get(key, 0) + written
        return written


# --------------------------------------------------------------------------
# Stages
# --------------------------------------------------------------------------


def _clinic_size(rng: random.Random) -> int:
    sizes, weights = zip(*CLINIC_SIZES)
    size = rng.choices(sizes, weights=weights)[0]
    return size if isinstance(size, int) else rng.choice(size)


def _place(rng: random.Random, city: str) -> str:
    roll = rng.random()
    if roll < 0.12:
        return f"{rng.choice(COMPASS[:4])} {city}"
    if roll < 0.16:
        return f"Downtown {city}"
    return city


def _surname(rng: random.Random) -> str:
    origins = list(NAME_ORIGINS.values())
    return rng.choice(rng.choices(origins, weights=[o[0] for o in origins])[0][3])


def _phone(rng: random.Random, z: Zip) -> str:
    # 555-0100..0199 are reserved for fiction; the area code is the ZIP's own.
    area = rng.choice(z.area_codes) if z.area_codes else f"{rng.randint(2, 9)}{rng.randint(0, 8)}{rng.randint(0, 9)}"
    return f"({area}) 555-01{rng.randint(0, 99):02d}"


def seed_clinics(ctx: SeedContext) -> range:
    """Stage 1: clinics, with their size and kind, until every practitioner has a clinic."""
    rng = ctx.rng("clinics")
    table = zip_table()
    kinds = list(CLINIC_KINDS)
    kind_weights = [CLINIC_KINDS[k][0] for k in kinds]
    remaining, plans = ctx.practitioners, []
    while remaining > 0:
        index = len(plans)
        size = _clinic_size(rng)
        if index < len(ANCHOR_ZIPS):
            z = table.by_code[ANCHOR_ZIPS[index]]
            size = min(size, max(1, ctx.practitioners // (2 * len(ANCHOR_ZIPS))))
        else:
            z = table.pick(rng)
        size = min(size, remaining)
        plans.append(
            PlannedClinic(index, 0, rng.choices(kinds, weights=kind_weights)[0], size, ctx.practitioners - remaining, z)
        )
        remaining -= size

    start = ctx.sink.reserve_ids(Clinic, len(plans)) if plans else 1
    for plan in plans:
        plan.id = start + plan.index
    ctx.clinics = plans

    def rows() -> Iterator[tuple]:
        for plan in plans:
            pattern = rng.choice(CLINIC_KINDS[plan.kind][2])
            name = pattern.format(
                place=_place(rng, plan.zip.city), surname=_surname(rng), surname2=_surname(rng), brand=rng.choice(BRANDS)
            )
            slug = f"{slugify(name)[:200]}-{plan.index + 1}"
            has_site = rng.random() < 0.7
            website = f"https://www.{slug}.example" if has_site else ""
            email = f"frontdesk@{slug}.example" if has_site and rng.random() < 0.8 else ""
            yield (plan.id, ctx.now, ctx.now, name, slug, website, _phone(rng, plan.zip), email)

    columns = ("id", "created_at", "updated_at", "name", "slug", "website", "phone", "email")
    with ctx.bar("clinics", len(plans)) as bar:
        ctx.write(Clinic, columns, rows(), bar, "clinics")
    ctx.result.clinic_ids = range(start, start + len(plans))
    return ctx.result.clinic_ids


def _location_count(rng: random.Random, size: int) -> int:
    if size <= 2:
        return 1 if rng.random() < 0.9 else 2
    return rng.choices((1, 2, 3), weights=(55, 30, 15))[0]


def seed_locations(ctx: SeedContext) -> range:
    """Stage 2: 1-3 locations per clinic (bigger clinics have more), branches near the first."""
    rng = ctx.rng("locations")
    table = zip_table()
    counts = [_location_count(rng, plan.size) for plan in ctx.clinics]
    total = sum(counts)
    start = ctx.sink.reserve_ids(Location, total) if total else 1

    def rows() -> Iterator[tuple]:
        next_id = start
        for plan, count in zip(ctx.clinics, counts):
            zips = [plan.zip]
            branches = table.branches(plan.zip.code)
            for _ in range(count - 1):
                zips.append(rng.choice(branches) if branches else plan.zip)
            seen_names = set()
            for z in zips:
                point = jitter(rng, z)
                name = ""
                if count > 1:
                    name = z.city if z.city not in seen_names else f"{rng.choice(COMPASS)} {z.city}"
                    seen_names.add(name)
                address = f"{rng.randint(100, 9899)} {rng.choice(STREETS)} {rng.choice(STREET_TYPES)}"
                if rng.random() < 0.4:
                    address += f", Suite {rng.randint(1, 4)}{rng.randint(0, 3)}{rng.randint(0, 9)}"
                accepting = rng.random() < 0.85
                plan.locations.append(PlannedLocation(next_id, point, z.state))
                yield (
                    next_id, ctx.now, ctx.now, plan.id, name, address, z.city, z.state, z.code, point,
                    _phone(rng, z), accepting,
                )
                next_id += 1

    columns = (
        "id", "created_at", "updated_at", "clinic_id", "name", "address", "city", "state", "postal_code", "point",
        "phone", "accepting_new_patients",
    )
    with ctx.bar("locations", total) as bar:
        ctx.write(Location, columns, rows(), bar, "locations")
    ctx.result.location_ids = range(start, start + total)
    return ctx.result.location_ids


def _pick_weighted_set(rng: random.Random, items: Sequence[str], cum_weights: Sequence[float], k: int) -> list[str]:
    """k distinct items, likelier ones more often (weighted sampling without replacement)."""
    chosen: list[str] = []
    while len(chosen) < k:
        item = rng.choices(items, cum_weights=cum_weights)[0]
        if item not in chosen:
            chosen.append(item)
    return chosen


def _npi(index: int) -> str:
    """A valid, unique NPI per practitioner index: an odd-multiplier permutation of 1xxxxxxxx-2xxxxxxxx."""
    first_nine = str(100_000_000 + (index * 7_919_993 + 12_345) % 200_000_000)
    return first_nine + str(npi_check_digit(first_nine))


def seed_practitioners(ctx: SeedContext) -> range:
    """Stage 3: practitioners, their profession by clinic kind, and (as masks) their vocabulary."""
    rng = ctx.rng("practitioners")
    origins = list(NAME_ORIGINS.values())
    origin_weights = [o[0] for o in origins]
    english = NAME_ORIGINS["english"]
    spec_slugs = list(SPECIALTIES)
    spec_cum_weights = list(accumulate(SPECIALTIES[s][0] for s in spec_slugs))
    tech_slugs = list(TECHNIQUES)
    lang_codes = [code for code, _ in language_order()]
    lang_bit = {code: 1 << i for i, code in enumerate(lang_codes)}
    name_slugs: dict[str, str] = {}
    start = ctx.sink.reserve_ids(Practitioner, ctx.practitioners) if ctx.practitioners else 1
    ctx.practitioner_first_id = start
    ctx.vocab_masks = array("Q", bytes(8 * ctx.practitioners))

    def slug_of(text: str) -> str:
        if text not in name_slugs:
            name_slugs[text] = slugify(text)
        return name_slugs[text]

    def rows() -> Iterator[tuple]:
        for plan in ctx.clinics:
            professions, weights = zip(*CLINIC_KINDS[plan.kind][1].items())
            state = plan.zip.state
            for index in range(plan.first_practitioner, plan.first_practitioner + plan.size):
                origin = rng.choices(origins, weights=origin_weights)[0]
                first_pool = origin[2] if rng.random() < 0.75 else english[2]
                first, last = rng.choice(first_pool), rng.choice(origin[3])
                name = f"{first} {last}"
                slug = f"{slug_of(first)}-{slug_of(last)}-{index + 1}"
                profession = rng.choices(professions, weights=weights)[0]

                specialties = _pick_weighted_set(rng, spec_slugs, spec_cum_weights, rng.choices((2, 3, 4, 5), (25, 35, 25, 15))[0])
                techniques = [t for t in tech_slugs if rng.random() < TECHNIQUES[t][0]]
                if not techniques:
                    techniques = [rng.choices(tech_slugs, weights=[TECHNIQUES[t][0] for t in tech_slugs])[0]]
                languages = {"en"} if rng.random() < 0.97 else set()
                if origin[1] and rng.random() < 0.45:
                    languages.add(origin[1])
                for code, rate in LANGUAGE_RATES.items():
                    if code == "es" and state in SPANISH_STATES:
                        rate *= 2.2
                    if rng.random() < rate:
                        languages.add(code)
                if not languages:
                    languages.add(origin[1] or "en")
                mask = 0
                for s in specialties:
                    mask |= 1 << spec_slugs.index(s)
                for t in techniques:
                    mask |= 1 << (32 + tech_slugs.index(t))
                for code in languages:
                    mask |= lang_bit.get(code, 0) << 40
                ctx.vocab_masks[index] = mask

                years = None if rng.random() < 0.1 else min(25, 1 + int(rng.expovariate(1 / 5)))
                sessions = None if rng.random() < 0.15 else rng.choices((3, 4, 5, 6, 8), (10, 30, 30, 20, 10))[0]
                hours = rng.choices((27, 30, 40, 54, 60, 72, 80, 100, 120, 150, 200), (8, 6, 8, 14, 12, 10, 10, 8, 8, 6, 4))[0]
                hours = min(200, max(24, hours + rng.randint(-3, 12)))
                npi = _npi(index) if profession != "ATC" and rng.random() < 0.65 else ""
                bio = rng.choice(BIO_TEMPLATES).format(
                    first=first,
                    noun=PROFESSION_NOUNS[profession],
                    years=("several years" if years is None else f"{years} year{'s' if years != 1 else ''}"),
                    spec1=SPECIALTIES[specialties[0]][1],
                    spec2=SPECIALTIES[specialties[1]][1],
                    spec3=SPECIALTIES[specialties[-1]][1] if len(specialties) > 2 else "sports injuries",
                    tech=TECHNIQUES[techniques[0]][1],
                )
                yield (
                    start + index, ctx.now, ctx.now, name, slug, profession, npi, f"{slug}@example.com", bio,
                    years, sessions, hours,
                )

    columns = (
        "id", "created_at", "updated_at", "name", "slug", "profession", "npi", "email", "bio", "years_dry_needling",
        "typical_sessions", "verified_training_hours",
    )
    with ctx.bar("practitioners", ctx.practitioners) as bar:
        ctx.write(Practitioner, columns, rows(), bar, "practitioners")
    ctx.result.practitioner_ids = range(start, start + ctx.practitioners)
    return ctx.result.practitioner_ids


def demo_qualification(rng: random.Random, today: datetime.date) -> tuple[datetime.date, datetime.date] | None:
    """A stand-in for the credentials app's qualified days: most qualified for 1-3 years more
    (since up to 5 years back), 12% never, 3% lapsed."""
    roll = rng.random()
    if roll < 0.12:
        return None
    if roll < 0.15:
        until = today - datetime.timedelta(days=rng.randint(1, 400))
    else:
        until = today + datetime.timedelta(days=rng.randint(365, 3 * 365))
    return min(until, today) - datetime.timedelta(days=rng.randint(0, 5 * 365)), until


def seed_listings(
    ctx: SeedContext,
    qualification: Callable[
        [random.Random, datetime.date], tuple[datetime.date, datetime.date] | None
    ] = demo_qualification,
) -> range:
    """Stage 4: each practitioner at 1-3 of its clinic's locations (every location staffed).

    The listing copies its location's point and state. The qualified days
    are one run per practitioner; a listing in another state than their
    first is sometimes unqualified (no license there).
    """
    rng = ctx.rng("listings")
    # Drawn first so the count (and the id block) is known before writing.
    choices: list[list[PlannedLocation]] = []
    for plan in ctx.clinics:
        locations = plan.locations
        for offset in range(plan.size):
            home = locations[offset % len(locations)]
            wanted = min(len(locations), rng.choices((1, 2, 3), (75, 20, 5))[0])
            others = [loc for loc in locations if loc is not home]
            choices.append([home, *rng.sample(others, wanted - 1)])
    total = sum(len(c) for c in choices)
    start = ctx.sink.reserve_ids(Listing, total) if total else 1

    def rows() -> Iterator[tuple]:
        next_id = start
        for index, locations in enumerate(choices):
            practitioner_id = ctx.practitioner_first_id + index
            days = qualification(rng, ctx.today)
            home_state = locations[0].state
            for loc in locations:
                first, last = days if days and (loc.state == home_state or rng.random() < 0.75) else (None, None)
                yield (next_id, practitioner_id, loc.id, loc.point, loc.state, first, last)
                next_id += 1

    columns = ("id", "practitioner_id", "location_id", "point", "state", "qualified_from", "qualified_until")
    with ctx.bar("listings", total) as bar:
        ctx.write(Listing, columns, rows(), bar, "listings")
    ctx.result.listing_ids = range(start, start + total)
    return ctx.result.listing_ids


@cache
def language_order() -> tuple[tuple[str, float], ...]:
    """Language codes in a fixed order (bit positions in the masks)."""
    return (("en", 1.0), *LANGUAGE_RATES.items())


def seed_links(ctx: SeedContext) -> dict[str, int]:
    """Stage 5: the specialty, technique and language rows of every practitioner (from stage 3's masks)."""
    spec_ids = dict(Specialty.objects.values_list("slug", "id"))
    tech_ids = dict(Technique.objects.values_list("slug", "id"))
    lang_ids = dict(Language.objects.values_list("code", "id"))
    relations = (
        ("specialties", Practitioner.specialties.through, "specialty_id", 0, [spec_ids.get(s) for s in SPECIALTIES]),
        ("techniques", Practitioner.techniques.through, "technique_id", 32, [tech_ids.get(t) for t in TECHNIQUES]),
        ("languages", Practitioner.languages.through, "language_id", 40, [lang_ids.get(c) for c, _ in language_order()]),
    )
    written = {}
    first_id = ctx.practitioner_first_id
    masks = ctx.vocab_masks
    for name, through, column, shift, ids in relations:
        # Vocabulary terms missing from the database are skipped, not invented.
        bits = [(1 << (shift + i), vocab_id) for i, vocab_id in enumerate(ids) if vocab_id is not None]
        total = sum(1 for mask in masks for bit, _ in bits if mask & bit)

        def rows(bits=bits) -> Iterator[tuple]:
            for index, mask in enumerate(masks):
                for bit, vocab_id in bits:
                    if mask & bit:
                        yield (first_id + index, vocab_id)

        with ctx.bar(name, total) as bar:
            written[name] = ctx.write(through, ("practitioner_id", column), rows(), bar, name)
    return written


STAGES = (seed_clinics, seed_locations, seed_practitioners, seed_listings, seed_links)


def seed(
    *,
    practitioners: int,
    seed: int = 1,
    today: datetime.date | None = None,
    batch_size: int = 10_000,
    progress: bool = True,
    sink: Sink | None = None,
    stages: Sequence[Callable[[SeedContext], object]] = STAGES,
) -> SeedResult:
    """Load a demo directory of `practitioners` practitioners; the same seed gives the same rows.

    `today` is the reference date for qualified_until (default: today).
    Runs the stages in order, then refreshes planner statistics.
    """
    ctx = SeedContext(
        practitioners=practitioners,
        seed=seed,
        today=today or clock.today(),
        sink=sink or default_sink(),
        batch_size=batch_size,
        progress=progress,
    )
    for stage in stages:
        began = time.perf_counter()
        stage(ctx)
        ctx.result.seconds[stage.__name__.removeprefix("seed_")] = time.perf_counter() - began
    began = time.perf_counter()
    ctx.sink.finish()
    ctx.result.seconds["analyze"] = time.perf_counter() - began
    return ctx.result
