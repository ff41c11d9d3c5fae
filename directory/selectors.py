"""Reads of the directory: the geo search and the querysets views share.

The search returns one row per group (practitioner, or clinic) at its
nearest matching row within the radius, nearest first, as one SQL query:

`ST_DWithin` on geography bounds the radius and `<->` (KNN,
`GeometryDistance`) orders by distance, so the GiST index is walked
nearest-first and the scan stops at the page's end. "Nearest row of its
group" is a correlated NOT EXISTS on the group's few other rows, looked up
by the group's foreign key. The exact spheroid distance is computed only
for the rows of the returned page.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.db.models import PointField
from django.contrib.gis.db.models.functions import Distance, GeometryDistance
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.contrib.postgres.lookups import TrigramWordSimilar
from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Exists, F, Func, Lookup, OuterRef, Prefetch, Q, QuerySet, Value, Window
from django.db.models.functions import RowNumber

from core import prepared
from core.db import reading_with_planner_settings
from core.lookups import ILikeContains
from core.permissions import is_admin

from .models import (
    Clinic,
    ClinicInvitation,
    ClinicMembership,
    ConsultationRequest,
    Listing,
    Location,
    Practitioner,
    names_key,
)
from .vocabulary import VOCABULARIES, listing_copy, terms

KM_PER_MILE = 1.609344


@dataclass(frozen=True)
class Origin:
    """Where a search is measured from, and how far it reaches."""

    point: Point
    radius_m: float

    @classmethod
    def of(cls, inputs: dict) -> Origin | None:
        """The origin of a search given as inputs (its point as `origin`, its reach as
        `radius_m`; directory.filters' search_inputs), or None without a place."""
        return None if inputs["origin"] is None else cls(inputs["origin"], inputs["radius_m"])


def nearest_per_group(
    queryset: QuerySet, *, group: str, origin: Origin | None, order: tuple[str, ...], sort: bool = False
) -> QuerySet:
    """Keep, for each value of `group`, only its best row of `queryset`.

    With an origin, "best" is the nearest within the radius (of rows at the
    same distance, the lowest id), and the rows come nearest first,
    annotated with `knn` (the index's ordering key) and `distance` (exact
    metres, computed for fetched rows only). Without one, the best row is
    the lowest id and rows come in `order`.

    Every filter already applied to `queryset` also applies to the rows the
    best row is chosen among, so "nearest" always means "nearest that
    matches" (say, nearest location accepting new patients).

    `sort=True` is for a queryset already narrowed to a few thousand rows
    by id (see `named_listing_ids`): every one of them is read once, numbered
    within its group by a window function, and the first of each group
    sorted (fetched in two steps by KeptNameSearch), rather than walking an index in `order` or
    nearest first and looking up each row's group. The same rows in the
    same order, except that rows at one distance from the origin come in id
    order (the walk gives them in the index's).
    """
    if origin is not None:
        point, radius = origin.point, D(m=origin.radius_m)
        key = GeometryDistance("point", point)
        if sort:
            # The few rows are read by id; with the radius written as ST_DWithin,
            # the planner walked the spatial index over every listing in it
            # instead (23,170 around 77002 at 1M practitioners, 145 ms).
            candidates = queryset.filter(DWithinUnindexed(F("point"), point, origin.radius_m)).annotate(knn=key)
        else:
            candidates = queryset.filter(point__dwithin=(point, radius)).annotate(knn=key)
    if sort:
        within = ("knn", "pk") if origin is not None else ("pk",)
        rank = Window(RowNumber(), partition_by=[F(group)], order_by=[F(field).asc() for field in within])
        best = (candidates if origin is not None else queryset).annotate(rank=rank).filter(rank=1)
        if origin is None:
            return best.order_by(*order, "pk")
        return best.annotate(distance=Distance("point", point)).order_by("knn", "pk")

    if origin is None:
        better = queryset.filter(**{group: OuterRef(group)}, pk__lt=OuterRef("pk"))
        return queryset.filter(~Exists(better)).order_by(*order, "pk")

    # The group's other rows are found by its foreign key; the radius is
    # rechecked with the exact (non-indexed) distance, so the planner
    # does not walk the spatial index once per candidate.
    others = queryset.filter(point__distance_lte=(point, radius)).annotate(knn=key)
    # Ordered by the KNN key alone: PostgreSQL cannot add a tie-breaker
    # to an index-ordered scan without sorting every row in the radius.
    # Rows at exactly the same distance (colleagues at one location)
    # come in index order.
    better = others.filter(
        Q(knn__lt=OuterRef("knn")) | Q(knn=OuterRef("knn"), pk__lt=OuterRef("pk")),
        **{group: OuterRef(group)},
    )
    return candidates.filter(~Exists(better)).annotate(distance=Distance("point", point)).order_by("knn")


class DWithinUnindexed(Func):
    """`_ST_DWithin(point, origin, metres, true)`: the function behind ST_DWithin on
    geography (the same C function, spheroid distances, the same answer), without the
    index support that lets the planner reach the rows through the spatial index."""

    function = "_ST_DWithin"
    output_field = BooleanField()

    def __init__(self, expression, point: Point, metres: float):
        origin = Value(point, output_field=PointField(geography=True, srid=4326))
        super().__init__(expression, origin, Value(float(metres)), Value(True))


@contextmanager
def nearest_first_plan(queryset: QuerySet):
    """Run a nearest-first search with the planner told to walk the KNN index.

    PostGIS estimates how many rows an ST_DWithin on geography matches from
    coarse statistics, and in dense metros it guesses a handful where
    thousands match (5-11 estimated against 1,700-28,000 in bench/search.py
    at 1M practitioners). The planner then fetches and sorts every row in
    the radius instead of walking the index nearest-first and stopping at
    the page's end. Disabling sorts for this one statement (set for it only,
    see reading_with_planner_settings) leaves the index walk as the only plan.
    """
    with nearest_first_plan_for(queryset.query.annotations):
        yield


@contextmanager
def nearest_first_plan_for(annotations):
    """nearest_first_plan for a search known by its annotations (a kept statement's)."""
    if "knn" not in annotations:
        yield
        return
    with reading_with_planner_settings({"enable_sort": "off"}):
        yield


# The planner settings of a search narrowed to a few thousand rows by id. Left
# to itself, the planner walked an index in the result's order hoping the
# matches come early (they do not: 223,048 practitioners walked for 21
# "Nguyen" rows at 1M practitioners), ANDed the ids with a bitmap of every
# listing qualified today (942,588 entries) or in the radius, and started
# parallel workers for a few thousand rows. What is left without those is
# the listings' primary key for the ids and one sort.
SORTED_IN_FULL_PLAN = {
    "enable_incremental_sort": "off",
    "enable_bitmapscan": "off",
    "enable_seqscan": "off",
    "max_parallel_workers_per_gather": "0",
}


def fetch_page(queryset: QuerySet, *, start: int, stop: int, attach=None) -> list:
    """Rows [start, stop) of a search, then (with `attach`) what the results show of related rows.

    The related rows are fetched after the search and outside its planner
    settings: they are small lookups by id that need their sorts.
    """
    if isinstance(queryset, (ShapedSearch, KeptNameSearch)):
        rows = queryset.fetch(start, stop)
    else:
        with nearest_first_plan(queryset):
            rows = list(queryset[start:stop])
    if attach is not None:
        attach(rows)
    return rows


def by_id(queryset: QuerySet, ids) -> QuerySet:
    """The search's rows with these ids, by id alone: the conditions chose them already."""
    page = queryset.all()
    page.query.clear_where()
    return page.filter(EqualsAny(F("pk"), ids))


def _fetch_nearest_first(queryset: QuerySet) -> list:
    with nearest_first_plan(queryset):
        return list(queryset)


def _fetch_kept(statement: prepared.Statement, rows: Callable[[], list]) -> list:
    with nearest_first_plan_for(statement.annotations):
        return rows()


@dataclass(frozen=True)
class ShapedSearch:
    """A search given as its inputs and how to build its queryset from them; a page of it is
    fetched with the statement kept for its shape (core.prepared), compiled on the first
    request of that shape only."""

    key: str
    build: Callable[[dict], QuerySet]
    inputs: dict

    def fetch(self, start: int, stop: int) -> list:
        return prepared.fetch(
            (self.key, start, stop),
            lambda inputs: self.build(inputs)[start:stop],
            self.inputs,
            run_plain=_fetch_nearest_first,
            run_kept=_fetch_kept,
        )


PRACTITIONER_RELATIONS = tuple(VOCABULARIES)
LOCATION_RESULT_FIELDS = (
    "name",
    "address",
    "city",
    "state",
    "postal_code",
    "point",
    "phone",
    "accepting_new_patients",
)


def terms_held(practitioner_ids) -> dict[int, dict[str, list[tuple[str, str]]]]:
    """{practitioner id: {relation: [(identifier, name), ...] in name order}} for these practitioners.

    One query over the three link tables; the terms themselves come from the
    vocabulary cache. A listing carries copies of its practitioner's term ids, so
    the search and the profile name a listed practitioner's terms without it
    (terms_copied); this is for practitioners listed nowhere. Written as SQL
    because the ORM's version (three querysets and a union) took longer to
    build than to run, and prefetch_related would take three joined queries and
    a model instance per term. The ids are one array parameter per table
    (`= ANY`), so it is one statement whatever their number: with one `%s` an
    id, psycopg parsed and PostgreSQL planned each count of ids afresh.
    """
    practitioner_ids = sorted(set(practitioner_ids))
    relations = list(VOCABULARIES)
    if not practitioner_ids:
        return {}
    selects, params = [], []
    for position, relation in enumerate(relations):
        field = Practitioner._meta.get_field(relation)
        through = field.remote_field.through._meta
        selects.append(
            f"SELECT {position}, {field.m2m_column_name()}, {field.m2m_reverse_name()} FROM {through.db_table} "
            f"WHERE {field.m2m_column_name()} = ANY(%s::bigint[])"
        )
        params.append(practitioner_ids)
    held = {pid: {relation: set() for relation in relations} for pid in practitioner_ids}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        for position, practitioner_id, term_id in cursor.fetchall():
            held[practitioner_id][relations[position]].add(term_id)
    return {pid: named_terms(mine) for pid, mine in held.items()}


def terms_copied(listing: Listing) -> dict[str, list[tuple[str, str]]]:
    """{relation: [(identifier, name), ...] in name order}: the practitioner's terms, named
    from the listing's own copies of their ids (Listing.specialty_ids and the others, which
    services.listings_refresh_filters keeps) and the vocabulary cache. No query."""
    return named_terms(
        {relation: set(getattr(listing, listing_copy(model))) for relation, (model, _) in VOCABULARIES.items()}
    )


def named_terms(held: dict[str, set[int]]) -> dict[str, list[tuple[str, str]]]:
    """{relation: [(identifier, name), ...] in name order} of the term ids held under each
    relation, from the vocabulary cache."""
    return {
        relation: [term for term_id, term in terms(model).items() if term_id in held[relation]]
        for relation, (model, _) in VOCABULARIES.items()
    }


def attach_terms(listings: list[Listing]) -> None:
    """Give each listing's practitioner `terms` (terms_copied).

    Reading the three link tables for the page instead (terms_held) was a second
    statement after every search: the nearest-20 search's API p50 was 0.5 ms longer
    (bench/search.py, 4.64-4.86 -> 4.12-4.21 ms at 1M practitioners).
    """
    for listing in listings:
        listing.practitioner.terms = terms_copied(listing)


def listing_search_base() -> QuerySet[Listing]:
    """Listings joined to what a search result shows (and only that), ready for filtering.

    `only()` because each loaded point is a GEOS object and each timestamp
    a parsed datetime: the listing's copy of its location's point and the
    three tables' timestamps were most of the cost of building a page.
    """
    return Listing.objects.select_related("practitioner", "location__clinic").only(
        "qualified_from",
        "qualified_until",
        *(listing_copy(model) for model, _ in VOCABULARIES.values()),
        "practitioner__slug",
        "practitioner__name",
        "practitioner__profession",
        "practitioner__verified_training_hours",
        "practitioner__years_dry_needling",
        *(f"location__{field}" for field in LOCATION_RESULT_FIELDS),
        "location__clinic__name",
        "location__clinic__slug",
    )


def listing_search(queryset: QuerySet[Listing], *, origin: Origin | None, sort: bool = False) -> QuerySet[Listing]:
    """One listing per practitioner: the nearest matching one, nearest first (`sort`: see nearest_per_group).

    Without a place, by the listing's copy of its practitioner's name, then id, walked
    through the listings' own index on the name (listing_practitioner_name) or sorted: walking
    the practitioners' name index and each one's listings by a join took a name search
    for "Xu" 204-300 ms, the listings' index 130-183 ms.
    """
    return nearest_per_group(queryset, group="practitioner", origin=origin, order=("practitioner_name",), sort=sort)


# --- name search -------------------------------------------------------------


def name_matches(fields: list[str], text: str) -> Q:
    """A typo-tolerant match of text against any of the name fields: substring (`icontains`,
    written as `name ILIKE '%text%'`, core.lookups) or pg_trgm word similarity.

    Every substring test comes first: it costs a tenth of a word similarity,
    and PostgreSQL stops at the first test that holds. The clinic search
    runs it on the clinics' names, served by their GIN trigram index
    (migration 0003); the practitioner search on the listing's
    copies of its practitioner's and clinic's names, after
    `named_listing_ids` or within a walk (see `listing_name_matches`).
    """
    substring = [Q(**{f"{field}__icontains": text}) for field in fields]
    similar = [Q(**{f"{field}__trigram_word_similar": text}) for field in fields]
    condition = Q()
    for part in substring + similar:
        condition |= part
    return condition


# The listing's copies of the names the practitioner search matches (see Listing).
LISTING_NAMES = ["practitioner_name", "clinic_name"]


def listing_name_matches(text: str) -> Q:
    """The practitioner search's name condition, on the listing's copies of the names: a
    listing matches when its practitioner's or its clinic's name does."""
    return name_matches(LISTING_NAMES, text)


def listing_names_candidates(text: str) -> Q:
    """A superset of the listings `listing_name_matches` matches, served by the listings'
    trigram index (a BitmapOr of its two conditions; see models.names_key)."""
    key = names_key()
    return Q(ILikeContains(key, text)) | Q(TrigramWordSimilar(key, text))


class EqualsAny(Lookup):
    """`column = ANY(ids)` with the ids as one array parameter.

    Django's `__in` writes one placeholder per id, so every number of ids
    is a different statement to prepare and plan; this is one statement.
    """

    lookup_name = "any"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", (*params, list(self.rhs))


# A name search reads every listing the text may name (the candidates of the
# listings' name indexes) by id and sorts them, by name or nearest first,
# when the text names at most NAMED_CLINICS_LIMIT clinics and there are at
# most NAMED_LISTINGS_LIMIT candidates; beyond that it walks the listings by
# name or nearest first checking the names row by row, which finds a page
# quickly when many rows match. A clinic word such as "physical" (80,883 of
# 182,453 clinics at 1M practitioners, about 490,000 listings) is told by the
# clinics' own name indexes in a few milliseconds: the listings' indexes took
# 400 ms to list its candidates. "Zhang" (330 clinics, 10,067 candidates)
# took 2.4-3.1 s walked by name (its namesakes sort late) and 0.2 s by id.
# Surnames name clinics too ("Joshi & Desai Physical Therapy": 671 clinics match
# "Joshi", 1,035 "Washington"); with a limit of 500 such names walked by name
# without a place, 400-700 ms each, where reading a range of candidates
# (RangedNameSearch) takes tens. Near a place counting up to 5,000 clinics cost a
# clinic word ("physical") 18 ms more than counting up to 500, and up to 1,500 4 ms
# more; with 500, a surname on a thousand clinics ("Washington": 1,035) walked
# nearest first where few bear it (285 ms near one ZIP code of the load mix).
NAMED_LISTINGS_LIMIT = 20_000
NAMED_CLINICS_LIMIT = 5_000
NAMED_CLINICS_NEAR_LIMIT = 1_500
# Near a place, only the candidates within the radius are listed: the name indexes'
# bitmap ANDed with the spatial index's, so only rows that are both are read. At 1M
# practitioners (name similarity threshold 0.5), "Johnson" has 36,000 candidates
# nationwide but 1,632 within 40 km of Manhattan (37 ms to list, of which 19 ms the
# trigram index) and 563 around Houston (26 ms); the walk nearest first took 46 ms
# after 50 ms spent listing 5,001 nationwide candidates in vain. Within the radius
# the limit is rarely reached; when it is ("Brown" within 40 km of Manhattan: 5,555,
# as the threshold admits "Browne", "Bowen"...), the walk nearest first meets the
# matches early.
NAMED_LISTINGS_NEAR_LIMIT = 5_000

# Planner settings for listing the candidates: only the indexes' bitmaps (with
# a LIMIT, the planner may read a table in order hoping to meet the names
# early, checking them row by row), planned for this text and place every time:
# after five runs of the prepared statement PostgreSQL may keep a generic plan,
# and the one it kept read every listing in the radius and checked its names
# (60-110 ms for "Nguyen" near each of four metros, against 4-6 ms).
CANDIDATES_PLAN = {
    "enable_seqscan": "off",
    "enable_indexscan": "off",
    "max_parallel_workers_per_gather": "0",
    "plan_cache_mode": "force_custom_plan",
}


# Whether a text names more clinics than those limits changes as slowly as the clinics'
# names, and a stale answer only sends a search the other way, to the same rows: it is
# kept in the shared cache for NAME_ROUTES_SECONDS. Counting the clinics took 4.1-4.5 ms a
# name search on average under bench/load.py at 1M practitioners (1.7-2.4 s of its 26-28 s
# of statements; "Herrera": 42 ms, its trigrams those of "Therapy"); reading the answer
# from Redis takes a tenth of a millisecond.
NAME_ROUTES_SECONDS = 600


def name_search_walks(text: str, *, near: bool = False) -> bool:
    """Whether a name search walks the listings, checking names row by row, rather than
    reading the candidates of the trigram indexes.

    It walks when no word of the text has three letters: the indexes cannot narrow
    a substring test without a trigram, so every entry would be read ("Vu": 2.5-5.8 s
    at 1M practitioners, where walking by name takes ~50 ms). And it walks when the text
    names more than NAMED_CLINICS_LIMIT clinics (NAMED_CLINICS_NEAR_LIMIT for a search
    `near` a place; a clinic word such as "physical"): so
    many rows match that a page comes early. The answer is kept a while (NAME_ROUTES_SECONDS).
    """
    if max(map(len, re.findall(r"\w+", text)), default=0) < 3:
        return True
    limit = NAMED_CLINICS_NEAR_LIMIT if near else NAMED_CLINICS_LIMIT
    key = f"name-route:{limit}:{hashlib.blake2b(text.encode(), digest_size=16).hexdigest()}"
    walks = cache.get(key)
    if walks is not None:
        return walks

    def named_clinics(inputs):
        clinics = Clinic.objects.filter(name_matches(["name"], inputs["q"])).order_by()
        return clinics.values_list("pk", flat=True)[: limit + 1]

    walks = len(prepared.fetch(("named clinics", limit), named_clinics, {"q": text}, **KEPT_AS_IS)) > limit
    cache.set(key, walks, NAME_ROUTES_SECONDS)
    return walks


def listing_candidates(
    text: str, *, origin: Origin | None = None, qualified_only: bool = False, name_below: str | None = None
) -> list[int] | None:
    """The listings the text may name: the candidates of the listings' name indexes (a
    superset, `listing_names_candidates`; the search checks the names), within the radius
    of `origin` when given, only listings ever qualified with `qualified_only` (the search
    then keeps those qualified today), and only practitioners named before `name_below`
    when given; or None when there are more than NAMED_LISTINGS_LIMIT
    (NAMED_LISTINGS_NEAR_LIMIT within a radius)."""
    limit = NAMED_LISTINGS_LIMIT if origin is None else NAMED_LISTINGS_NEAR_LIMIT

    def candidates(inputs):
        listings = Listing.objects.filter(listing_names_candidates(inputs["q"]))
        if inputs["qualified_only"]:
            # What the partial spatial index holds (listing_qualified_point): a third of the
            # points of the full one within 40 km of Manhattan, so a quicker bitmap.
            listings = listings.filter(qualified_until__isnull=False)
        if inputs["origin"] is not None:
            listings = listings.filter(point__dwithin=(inputs["origin"], D(m=inputs["radius_m"])))
        if inputs["name_below"] is not None:
            listings = listings.filter(practitioner_name__lt=inputs["name_below"])
        return listings.order_by().values_list("pk", flat=True)[: limit + 1]

    inputs = {
        "q": text,
        "qualified_only": qualified_only,
        "origin": None if origin is None else origin.point,
        "radius_m": None if origin is None else float(origin.radius_m),
        "name_below": name_below,
    }
    with reading_with_planner_settings(CANDIDATES_PLAN):
        ids = prepared.fetch(("name candidates", limit), candidates, inputs, **KEPT_AS_IS)
    return None if len(ids) > limit else sorted(ids)


# A statement of the name search kept per shape (core.prepared) is run as it is: its
# planner settings are set around it by the caller. Compiled afresh for every request,
# `?q=Nguyen` without a place took 24-28 ms (p50) at 1M practitioners; kept, 17-19 ms
# (bench/names.py --queries 30; cProfile: 33,000 -> 9,500 function calls a request).
KEPT_AS_IS = {"run_plain": list, "run_kept": lambda statement, rows: rows()}


def named_listing_ids(text: str, *, origin: Origin | None = None, qualified_only: bool = False) -> list[int] | None:
    """`listing_candidates`, or None when the search walks (`name_search_walks`)."""
    if name_search_walks(text, near=origin is not None):
        return None
    return listing_candidates(text, origin=origin, qualified_only=qualified_only)


# A name search without a place comes in name order, and a common name's candidates are
# many: "Johnson" had 10,792 listings ever qualified at 1M practitioners (36,000 before
# the names were checked), 200 ms to read and sort, and walking the listings by name
# checking every one took 515 ms (one listing in a hundred is a Johnson, and the check
# costs about 4 us a row). The first page lies among the first names of the alphabet,
# though, so the candidates are listed for a range of names only, from the start of the
# alphabet: the trigram indexes' bitmap ANDed with the name index's bitmap of the range,
# so only rows in both are read. When a range holds the page's rows (every listing named
# before its end is among the candidates, so its first rows are the search's first
# rows), it gives the page. Otherwise the next range is the shortest of NAME_RANGE_ROWS
# (in listings) that should hold them at the rate of matches seen so far, with half again
# to spare, or sixteen times as long when none were seen; past the last, the whole list.
# Each range costs the trigram indexes' bitmap again (2-25 ms for a surname), so a
# rare name that tried every range took 60-100 ms: the rate saves most of those tries.
# With the default 100 histogram buckets the planner misjudged the ranges' ends (1 row
# below the 10,000th name after one seed) and stopped ANDing the name index's bitmap,
# rechecking every candidate ("Zhang" below the 80,000th name: 54 ms against 13.5
# below the 40,000th); with 500 (migration 0024) it ANDs them at 80,000 too (18 ms).
# The last range spares the page's statement most candidates (119 ids instead of
# 5,189): "Zhang" took 82 ms with it and 132 ms going from the first to the whole list.
NAME_RANGE_ROWS = (10_000, 20_000, 40_000, 80_000)
# The names that end the ranges change as slowly as the directory's practitioners; a
# stale one makes a range a little longer or shorter, never a result different.
NAME_BOUNDS_SECONDS = 600
_name_bounds: dict[int, tuple[float, str | None]] = {}


def forget_name_ranges() -> None:
    """Forget the names that end the ranges (tests, whose listings come and go)."""
    _name_bounds.clear()


def name_range_end(rows: int) -> str | None:
    """The practitioner name `rows` listings into the alphabet (None past the last listing),
    remembered for NAME_BOUNDS_SECONDS: 1-16 ms to find in the name index at 1M practitioners."""
    now = time.monotonic()
    known = _name_bounds.get(rows)
    if known is None or now - known[0] > NAME_BOUNDS_SECONDS:
        names = Listing.objects.order_by("practitioner_name").values_list("practitioner_name", flat=True)
        known = (now, next(iter(names[rows : rows + 1]), None))
        _name_bounds[rows] = known
    return known[1]


@dataclass(frozen=True)
class KeptNameSearch:
    """A name search whose page's statements are kept per shape under `key` (core.prepared),
    with the candidates' ids as one array parameter.

    `search(inputs)` makes the search from `inputs` alone (the text and every filter, as
    `inputs`, the place as its origin and radius, and the candidates' ids as `ids`): of
    those candidates (sorted, `named_listing_ids`' route) when `ids` is given, otherwise
    the walk, by name or nearest first, for a text naming many clinics or candidates.
    """

    text: str
    qualified_only: bool
    search: Callable[[dict], QuerySet]
    inputs: dict
    key: str

    def fetch(self, start: int, stop: int) -> list:
        """Rows [start, stop) of the search."""
        raise NotImplementedError

    def walk(self, start: int, stop: int) -> list:
        return fetch_page(self.search({**self.inputs, "ids": None}), start=start, stop=stop)

    def page_ids(self, ids: list[int], *, start: int, stop: int) -> list[int]:
        """The ids of rows [start, stop) of the search of these candidates, from its kept
        statement: one that joins only what the ordering needs, under SORTED_IN_FULL_PLAN.
        Joining every candidate to its location and clinic before the sort cost more than
        the sort; the page's rows come next (`rows`)."""

        def page(inputs):
            return self.search(inputs).values_list("pk", flat=True)[start:stop]

        inputs = {**self.inputs, "ids": prepared.Array(ids)}
        with reading_with_planner_settings(SORTED_IN_FULL_PLAN):
            return prepared.fetch((self.key, "page", start, stop), page, inputs, **KEPT_AS_IS)

    def rows(self, ids: list[int]) -> list:
        """The search's rows with these ids, in their order (`page_ids`'), with everything
        the results show, by id alone under the default plan, from its kept statement."""
        if not ids:
            return []
        inputs = {**self.inputs, "ids": prepared.Array(ids)}
        return prepared.fetch(
            (self.key, "rows"), lambda inputs: by_id(self.search(inputs), inputs["ids"]), inputs, **KEPT_AS_IS
        )


class NearNameSearch(KeptNameSearch):
    """A name search near a place: the candidates within the radius (`named_listing_ids`),
    sorted nearest first, or the walk nearest first.

    Its page's ids and rows compiled afresh for every request, `?q=Nguyen&zip=77002` and
    `?q=Okafor&zip=10001` took 20-27 ms (p50) at 1M practitioners; kept, 14-21 ms
    (bench/names.py --queries 20, two runs of each alternating on a noisy machine).
    """

    def fetch(self, start: int, stop: int) -> list:
        ids = named_listing_ids(self.text, origin=Origin.of(self.inputs), qualified_only=self.qualified_only)
        if ids is None:
            return self.walk(start, stop)
        return self.rows(self.page_ids(ids, start=start, stop=stop))


class RangedNameSearch(KeptNameSearch):
    """A name search without a place, whose page is looked for among the candidates in the
    first names of the alphabet, then in longer ranges (NAME_RANGE_ROWS)."""

    def fetch(self, start: int, stop: int) -> list:
        if name_search_walks(self.text):
            return self.walk(start, stop)
        ladder = iter(NAME_RANGE_ROWS)
        rows = next(ladder, None)  # no ranges: the whole list
        while True:
            below = None if rows is None else name_range_end(rows)
            ids = listing_candidates(self.text, qualified_only=self.qualified_only, name_below=below)
            if ids is None:
                return self.walk(start, stop)
            # The page's rows are read once a range holds them all.
            page = self.page_ids(ids, start=start, stop=stop)
            if below is None or len(page) == stop - start:
                return self.rows(page)
            found = start + len(page) if page else 0
            wanted = rows * stop * 1.5 / found if found else rows * 16
            rows = next((longer for longer in ladder if longer >= wanted), None)


def location_search(queryset: QuerySet[Location], *, origin: Origin | None) -> QuerySet[Location]:
    """One location per clinic: the nearest matching one, nearest first."""
    return nearest_per_group(queryset, group="clinic", origin=origin, order=("clinic__name",))


def location_search_base() -> QuerySet[Location]:
    return Location.objects.select_related("clinic")


def clinic_profiles() -> QuerySet[Clinic]:
    return Clinic.objects.prefetch_related(
        Prefetch("locations", queryset=Location.objects.order_by("id")),
        Prefetch(
            "locations__listings",
            queryset=Listing.objects.select_related("practitioner").order_by("practitioner__name"),
        ),
    )


def default_radius_m() -> float:
    return settings.SEARCH_DEFAULT_RADIUS_KM * 1000


# --- clinic self-service ----------------------------------------------------


def clinics_managed_by(user) -> QuerySet[Clinic]:
    """Clinics a user may manage: every clinic for admins, their own (any role) for members."""
    if is_admin(user):
        return Clinic.objects.all()
    if not (user and user.is_authenticated):
        return Clinic.objects.none()
    return Clinic.objects.filter(memberships__user=user).distinct()


def clinic_role(user, clinic: Clinic) -> str | None:
    """The user's role at the clinic ("owner", "staff"), or None."""
    if not (user and user.is_authenticated):
        return None
    return ClinicMembership.objects.filter(user=user, clinic=clinic).values_list("role", flat=True).first()


def clinic_member_emails(clinic_id: int) -> list[str]:
    """The addresses of the clinic's owners and staff (those who have one), sorted."""
    return list(
        ClinicMembership.objects.filter(clinic_id=clinic_id)
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
        .distinct()
    )


def clinic_members(clinic: Clinic) -> QuerySet[ClinicMembership]:
    return ClinicMembership.objects.filter(clinic=clinic).select_related("user").order_by("role", "user__username")


def clinic_invitations(clinic: Clinic) -> QuerySet[ClinicInvitation]:
    return ClinicInvitation.objects.filter(clinic=clinic).order_by("-created_at", "-id")


def clinic_locations(clinic: Clinic) -> QuerySet[Location]:
    return Location.objects.filter(clinic=clinic).select_related("clinic").order_by("id")


def clinic_practitioners(clinic: Clinic) -> QuerySet[Practitioner]:
    """Practitioners listed at any of the clinic's locations, by name, with their terms and
    their listings at this clinic (in `clinic_listings`)."""
    here = Listing.objects.filter(location__clinic=clinic)
    return (
        Practitioner.objects.filter(Exists(here.filter(practitioner_id=OuterRef("pk"))))
        .prefetch_related(
            *PRACTITIONER_RELATIONS,
            Prefetch("listings", queryset=here.order_by("location_id"), to_attr="clinic_listings"),
        )
        .order_by("name", "id")
    )


def clinic_consultation_requests(clinic: Clinic) -> QuerySet[ConsultationRequest]:
    """Patients' requests to the clinic's locations, waiting ones first, newest first.
    Private: only the clinic's members (and admins) may be shown them."""
    return (
        ConsultationRequest.objects.filter(location__clinic=clinic)
        .select_related("practitioner", "location", "contacted_by")
        .order_by(F("contacted_at").desc(nulls_first=True), "-created_at", "-id")
    )
