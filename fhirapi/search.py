"""What each resource type is made of, and how it is searched: its public rows, its search
parameters, its `_lastUpdated` timestamp, and how a page of rows becomes resources.

Paging is keyset, never offset: a page is "the next `_count` rows after the last one
seen" (by id, or by distance then id for `near`), so rows inserted while a client pages
never shift or repeat what it sees. `near` filters with ST_DWithin on geography and orders
by ST_Distance on geography: the distance on the WGS84 spheroid, not on a sphere.

A sync (`_lastUpdated`, and the export's `_since`) sees what changed with the date alone
(a listing's qualified days beginning or ending, a verified credential expiring) from the
start of that day, derived from the dates (fhirapi.changes, `updated`): no job rewrites
rows for it.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.gis.db.models.functions import Distance, GeometryDistance
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.db.models import Exists, Expression, F, OuterRef, Q, QuerySet
from django.db.models.functions import Greatest

from core.db import InArrayOf, planner_setting
from credentials.selectors import public_credentials_on
from directory.models import Clinic, Listing, Location, Practitioner, Specialty
from directory.selectors import nearest_first_plan
from directory.states import USState

from . import changes, params, resources
from .params import BadParameter

Filter = Callable[[QuerySet, list[str], "Context"], QuerySet]


@dataclass
class Context:
    today: datetime.date
    near: params.Near | None = None


def _postal_code(name: str, value: str) -> str:
    if not value.isdigit() or not 1 <= len(value) <= 5:
        raise BadParameter(name, f"'{value}' is not a US ZIP code (or its first digits).")
    return value


def _state(name: str, value: str) -> str:
    state = value.upper()
    if state not in USState.values:
        raise BadParameter(name, f"'{value}' is not a US state's two-letter code.")
    return state


def _name_filter(path: str) -> Filter:
    """FHIR string search: the name, or any word of it, starts with the value (any case)."""

    def apply(queryset, raw, context):
        condition = Q()
        for value in params.values("name", raw):
            condition |= Q(**{f"{path}__istartswith": value}) | Q(**{f"{path}__icontains": f" {value}"})
        return queryset.filter(condition)

    return apply


def _choice_filter(name: str, path: str, parse: Callable[[str, str], str], lookup: str = "in") -> Filter:
    def apply(queryset, raw, context):
        wanted = [parse(name, value) for value in params.values(name, raw)]
        if lookup == "startswith":
            condition = Q()
            for value in wanted:
                condition |= Q(**{f"{path}__startswith": value})
            return queryset.filter(condition)
        return queryset.filter(**{f"{path}__in": wanted})

    return apply


def _reference_filter(name: str, path: str, resource_type: str) -> Filter:
    def apply(queryset, raw, context):
        wanted = [params.reference(name, value, resource_type) for value in params.values(name, raw)]
        return queryset.filter(**{f"{path}__in": wanted})

    return apply


def _identifier(queryset, raw, context):
    npis = []
    for value in params.values("identifier", raw):
        npi = params.token("identifier", value, system=resources.NPI_SYSTEM)
        if not (npi.isdigit() and len(npi) == 10):
            raise BadParameter("identifier", f"'{npi}' is not an NPI (ten digits).")
        npis.append(npi)
    return queryset.filter(npi__in=npis)


def _specialty(queryset, raw, context):
    system = resources.code_system("condition")
    codes = {params.token("specialty", value, system=system) for value in params.values("specialty", raw)}
    known = dict(Specialty.objects.filter(slug__in=codes).values_list("slug", "pk"))
    unknown = sorted(codes - set(known))
    if unknown:
        raise BadParameter("specialty", f"Unknown condition: {', '.join(unknown)} (codes of {system}).")
    through = Practitioner.specialties.through.objects.filter(
        practitioner_id=OuterRef("practitioner_id"), specialty_id__in=known.values()
    )
    return queryset.filter(Exists(through))


def _active(queryset, raw, context):
    qualified = Q(qualified_from__lte=context.today, qualified_until__gte=context.today)
    return queryset.filter(qualified) if params.boolean("active", raw) else queryset.exclude(qualified)


def _organization_at(name: str, path: str, parse, lookup: str) -> Filter:
    """Organizations with a location matching (its state, its ZIP)."""

    def apply(queryset, raw, context):
        wanted = [parse(name, value) for value in params.values(name, raw)]
        condition = Q()
        for value in wanted:
            condition |= Q(**{f"{path}__{lookup}": value})
        return queryset.filter(Exists(Location.objects.filter(condition, clinic_id=OuterRef("pk"))))

    return apply


@dataclass
class ResourceSearch:
    """One resource type: its public rows, search parameters, timestamp and builder."""

    type: str
    rows: Callable[[Context], QuerySet]
    last_updated: object  # the expression `_lastUpdated` compares (annotated as `last_updated`)
    build: Callable[[list, Context], list[dict]]
    filters: dict[str, Filter] = field(default_factory=dict)
    near: str | None = None  # the parameter name of `near`, when the type has one
    # The condition on a row that its resource changed with the date alone on a day in
    # [first, last] (fhirapi.changes); None: it never does.
    changed_between: Callable[[datetime.date, datetime.date], Expression] | None = None
    # `last_updated` after (gt or gte) an instant, as conditions an index serves, when the
    # comparison of `last_updated` itself is not; None: it is.
    stored_after: Callable[[str, datetime.datetime], Q | Expression] | None = None
    includes: dict[str, tuple[str, str]] = field(default_factory=dict)  # _include value -> (type, id attribute)
    revincludes: dict[str, tuple[str, str]] = field(default_factory=dict)  # _revinclude -> (type, path)
    default_filters: dict[str, list[str]] = field(default_factory=dict)  # applied unless the client gives them

    def queryset(self, context: Context) -> QuerySet:
        return self.rows(context).annotate(last_updated=self.last_updated)


def _practitioners(context):
    return Practitioner.objects.all()


def _build_practitioners(rows, context):
    """Languages and public credentials of a page (or an export chunk) in one query each."""
    ids = [row.pk for row in rows]
    languages = defaultdict(list)
    for practitioner_id, code, name in (
        Practitioner.languages.through.objects.filter(practitioner_id__in=ids)
        .order_by("language__name")
        .values_list("practitioner_id", "language__code", "language__name")
    ):
        languages[practitioner_id].append((code, name))
    credentials = defaultdict(list)
    for credential in (
        public_credentials_on(today=context.today)
        .filter(practitioner_id__in=ids)
        .only(*CREDENTIAL_FIELDS)
        .order_by("kind", "-issued_on", "id")
    ):
        credentials[credential.practitioner_id].append(credential)
    days = changes.practitioner_change_days(ids, today=context.today)
    return [
        resources.practitioner(
            row,
            languages=languages[row.pk],
            credentials=credentials[row.pk],
            last_updated=changes.latest(row.updated_at, days.get(row.pk)),
        )
        for row in rows
    ]


CREDENTIAL_FIELDS = (
    "practitioner_id",
    "kind",
    "name",
    "issuer",
    "jurisdiction",
    "profession",
    "issued_on",
    "expires_on",
)
PRACTITIONER_FIELDS = ("id", "name", "npi", "profession", "updated_at")
LOCATION_FIELDS = ("id", "clinic_id", "name", "address", "city", "state", "postal_code", "point", "phone")


def _roles(context):
    return Listing.objects.select_related("practitioner", "location")


def _build_roles(rows, context):
    links = Practitioner.specialties.through.objects.filter(
        practitioner_id__in={row.practitioner_id for row in rows}
    ).values_list("practitioner_id", "specialty__slug", "specialty__name")
    by_practitioner: dict[int, list] = {}
    for practitioner_id, slug, name in links.order_by("specialty__name"):
        by_practitioner.setdefault(practitioner_id, []).append((slug, name))
    days = changes.practitioner_change_days({row.practitioner_id for row in rows}, today=context.today)
    return [
        resources.practitioner_role(
            row,
            today=context.today,
            specialties=by_practitioner.get(row.practitioner_id, []),
            last_updated=changes.latest(row.last_updated, days.get(row.practitioner_id)),
        )
        for row in rows
    ]


def _practitioners_changed_between(first: datetime.date, last: datetime.date) -> Expression:
    return InArrayOf(F("pk"), changes.practitioners_changed_between(first, last))


def _roles_stored_after(lookup: str, at: datetime.datetime) -> Q | Expression:
    """The greatest of the listing's, the location's and the practitioner's `updated_at` is
    after `at`: one of them is, each found through its own index. Comparing the greatest
    read every listing: 2.1-2.7 s at 1M practitioners for a sync with nothing new
    (bench/fhir_export.py)."""
    after = {f"updated_at__{lookup}": at}
    return (
        Q(**after)
        | InArrayOf(F("location_id"), Location.objects.filter(**after).order_by().values("pk"))
        | InArrayOf(F("practitioner_id"), Practitioner.objects.filter(**after).order_by().values("pk"))
    )


def _roles_changed_between(first: datetime.date, last: datetime.date) -> Expression:
    """A role changes with its practitioner's date-driven changes (its own listing's included)."""
    return InArrayOf(F("practitioner_id"), changes.practitioners_changed_between(first, last))


def _public_credentials(context):
    return public_credentials_on(today=context.today)


SEARCHES: dict[str, ResourceSearch] = {
    "Practitioner": ResourceSearch(
        type="Practitioner",
        rows=_practitioners,
        last_updated=F("updated_at"),
        build=_build_practitioners,
        changed_between=_practitioners_changed_between,
        filters={"identifier": _identifier, "name": _name_filter("name")},
        revincludes={"PractitionerRole:practitioner": ("PractitionerRole", "practitioner_id")},
    ),
    "PractitionerRole": ResourceSearch(
        type="PractitionerRole",
        rows=_roles,
        last_updated=Greatest("updated_at", "location__updated_at", "practitioner__updated_at"),
        build=_build_roles,
        changed_between=_roles_changed_between,
        stored_after=_roles_stored_after,
        filters={
            "active": _active,
            "specialty": _specialty,
            "practitioner": _reference_filter("practitioner", "practitioner_id", "Practitioner"),
            "location": _reference_filter("location", "location_id", "Location"),
            "organization": _reference_filter("organization", "location__clinic_id", "Organization"),
        },
        near="location.near",
        includes={
            "PractitionerRole:practitioner": ("Practitioner", "practitioner_id"),
            "PractitionerRole:location": ("Location", "location_id"),
            "PractitionerRole:organization": ("Organization", "location.clinic_id"),
        },
        default_filters={"active": ["true"]},
    ),
    "Location": ResourceSearch(
        type="Location",
        rows=lambda context: Location.objects.all(),
        last_updated=F("updated_at"),
        build=lambda rows, context: [resources.location(row) for row in rows],
        filters={
            "name": _name_filter("name"),
            "address-state": _choice_filter("address-state", "state", _state),
            "address-postalcode": _choice_filter("address-postalcode", "postal_code", _postal_code, "startswith"),
            "organization": _reference_filter("organization", "clinic_id", "Organization"),
        },
        near="near",
    ),
    "Organization": ResourceSearch(
        type="Organization",
        rows=lambda context: Clinic.objects.all(),
        last_updated=F("updated_at"),
        build=lambda rows, context: [resources.organization(row) for row in rows],
        filters={
            "name": _name_filter("name"),
            "address-state": _organization_at("address-state", "state", _state, "exact"),
            "address-postalcode": _organization_at("address-postalcode", "postal_code", _postal_code, "startswith"),
        },
    ),
    "VerificationResult": ResourceSearch(
        type="VerificationResult",
        rows=_public_credentials,
        last_updated=F("updated_at"),
        build=lambda rows, context: [resources.verification_result(row) for row in rows],
        filters={"target": _reference_filter("target", "practitioner_id", "Practitioner")},
    ),
}

# Parameters every type takes, besides its own filters.
COMMON = ("_id", "_lastUpdated", "_count", "_cursor", "_format")
FORMATS = ("json", "application/json", "application/fhir+json")


def prepared(search: ResourceSearch, queryset: QuerySet) -> QuerySet:
    """The queryset with what its builder reads loaded with it."""
    if search.type == "Practitioner":
        return queryset.only(*PRACTITIONER_FIELDS)
    if search.type == "PractitionerRole":
        return queryset.select_related("practitioner", "location").only(
            "id",
            "practitioner_id",
            "location_id",
            "qualified_from",
            "qualified_until",
            "updated_at",
            *(f"practitioner__{name}" for name in ("id", "profession", "updated_at")),
            *(f"location__{name}" for name in ("id", "clinic_id", "phone", "accepting_new_patients", "updated_at")),
        )
    if search.type == "VerificationResult":
        return queryset.only(
            "id", "practitioner_id", "kind", "issuer", "method", "verified_at", "next_review_due", "updated_at"
        )
    return queryset


LOOKUPS = {"gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}


def updated(search: ResourceSearch, queryset: QuerySet, bound: params.Bound, context: Context) -> QuerySet:
    """The rows whose `meta.lastUpdated` is within `bound`: the latest of their stored
    `updated_at`(s) and of their date-driven changes up to today (fhirapi.changes).

    "After X" is the rows stored as changed after X, or with a change on a day beginning
    after X, up to today: the latter are the practitioners found through the indexes on
    the listings' qualified days and the credentials' expiry (InArrayOf), so a sync
    reads what changed. Comparing the greatest of the two per row would read every row.
    "Before Y" is the rows stored before Y, less those with a change on a day from Y to
    today.
    """
    lookup = LOOKUPS[bound.op]
    stored = Q(**{f"last_updated__{lookup}": bound.at})
    if search.stored_after is not None and bound.op in ("gt", "ge"):
        stored = search.stored_after(lookup, bound.at)
    first = changes.first_day(bound.at, strict=bound.op in ("gt", "le"))
    if search.changed_between is None or first > context.today:
        return queryset.filter(stored)
    dated = search.changed_between(first, context.today)
    if bound.op in ("gt", "ge"):
        return queryset.filter(stored | dated)
    return queryset.filter(stored).exclude(dated)


def by_ids(type_: str, ids: set[int], context: Context) -> list[dict]:
    """The resources of `type_` with these ids (for _include/_revinclude), in id order."""
    search = SEARCHES[type_]
    rows = list(prepared(search, search.queryset(context).filter(pk__in=ids)).order_by("pk"))
    return search.build(rows, context)


@dataclass
class Page:
    resources: list[dict]
    distances: list[float | None]
    included: list[dict]
    next_cursor: str | None


def run(search: ResourceSearch, query: dict[str, list[str]], context: Context) -> Page:
    """Apply every parameter of `query` (each one known, or a BadParameter) and return a page."""
    allowed = set(COMMON) | set(search.filters) | {"_include", "_revinclude"}
    if search.near:
        allowed.add(search.near)
    for name in query:
        if name not in allowed:
            base = name.split(":")[0]
            if base in allowed:
                raise BadParameter(name, "Modifiers are not supported on this parameter.")
            known = ", ".join(sorted(allowed - {"_cursor"}))
            raise BadParameter(name, f"Unknown search parameter for {search.type}. Known: {known}.")

    if "_format" in query and params.single("_format", query["_format"]) not in FORMATS:
        raise BadParameter("_format", "Only JSON is served: give json or application/fhir+json.")
    count = params.count(query["_count"]) if "_count" in query else params.DEFAULT_COUNT
    includes = params.values("_include", query.get("_include", []))
    for value in includes:
        if value not in search.includes:
            raise BadParameter(
                "_include", f"'{value}' is not supported here. Supported: {', '.join(search.includes) or 'none'}."
            )
    revincludes = params.values("_revinclude", query.get("_revinclude", []))
    for value in revincludes:
        if value not in search.revincludes:
            raise BadParameter(
                "_revinclude", f"'{value}' is not supported here. Supported: {', '.join(search.revincludes) or 'none'}."
            )

    queryset = search.queryset(context)
    if "_id" in query:
        queryset = queryset.filter(pk__in=params.ids("_id", query["_id"]))
    if "_lastUpdated" in query:
        for bound in params.last_updated(query["_lastUpdated"]):
            queryset = updated(search, queryset, bound, context)
    # A sync (`_lastUpdated`) sees every changed row, including roles that stopped being active.
    defaults = {} if "_lastUpdated" in query else search.default_filters
    for name, apply in search.filters.items():
        raw = query.get(name, defaults.get(name))
        if raw is not None:
            queryset = apply(queryset, raw, context)

    cursor = params.cursor_loads(query["_cursor"]) if "_cursor" in query else None
    near = params.near(search.near, query[search.near]) if search.near and search.near in query else None
    if near is not None:
        point = Point(near.lon, near.lat, srid=4326)
        queryset = queryset.filter(point__dwithin=(point, D(m=near.radius_m))).annotate(
            distance_m=Distance("point", point)
        )
        if cursor is not None:
            after_m, after_id = _cursor_pair(cursor, near=True)
            queryset = queryset.filter(Q(distance_m__gt=after_m) | Q(distance_m=after_m, pk__gt=after_id))
        queryset = within_page_reach(queryset, point, count + 1).order_by("distance_m", "pk")
    else:
        if cursor is not None:
            queryset = queryset.filter(pk__gt=_cursor_pair(cursor, near=False)[1])
        queryset = queryset.order_by("pk")

    with custom_plans(enabled="_lastUpdated" in query):
        rows = list(prepared(search, queryset)[: count + 1])
    more = len(rows) > count
    rows = rows[:count]
    next_cursor = None
    if more:
        last = rows[-1]
        state = {"id": last.pk}
        if near is not None:
            state["m"] = last.distance_m.m
        next_cursor = params.cursor_dumps(state)
    built = search.build(rows, context)
    distances = [row.distance_m.m for row in rows] if near is not None else [None] * len(rows)

    included = []
    for value in includes:
        type_, attribute = search.includes[value]
        wanted = set()
        for row in rows:
            target = row
            for part in attribute.split("."):
                target = getattr(target, part)
            wanted.add(target)
        included.extend(by_ids(type_, wanted, context))
    for value in revincludes:
        type_, path = search.revincludes[value]
        other = SEARCHES[type_]
        related = other.queryset(context).filter(**{f"{path}__in": [row.pk for row in rows]}).order_by("pk")
        included.extend(other.build(list(prepared(other, related)), context))
    context.near = near
    return Page(resources=built, distances=distances, included=included, next_cursor=next_cursor)


@contextmanager
def custom_plans(*, enabled: bool):
    """Plan this statement for its own values, even when prepared (DB_PREPARE_THRESHOLD).

    After five runs of a prepared statement PostgreSQL may switch to a generic plan,
    made without the values. For a sync (`updated_at > <the last sync>` in id order)
    that plan walks the id index hoping to meet changed rows soon, and reads every row
    when few changed: at 1M practitioners `_lastUpdated=gt2099-01-01` took 3 ms for
    its first six requests in a connection and 290-460 ms after (bench/fhir_export.py).
    """
    if not enabled:
        yield
        return
    with planner_setting("plan_cache_mode", "force_custom_plan"):
        yield


def within_page_reach(queryset: QuerySet, point: Point, size: int) -> QuerySet:
    """Narrow a `near` search to the rows that can be on its page of `size`, exactly.

    Sorting by the spheroid distance needs that distance for every row in the
    radius (tens of thousands of listings within 10 km of Midtown Manhattan at
    1M practitioners: 0.4-0.8 s a page). Instead, `size` matching rows are
    taken by walking the KNN index (sphere order, stopping at `size`), and M
    is the largest of their spheroid distances: `size` rows lie within M, so
    every row of the page does too, and ST_DWithin(point, M) on the spheroid
    (inclusive, with a metre to spare) keeps them all, ties included, while its
    index finds the few rows within M. Fewer than `size` rows in reach: nothing
    to narrow.
    """
    probe = queryset.annotate(knn=GeometryDistance("point", point)).order_by("knn")
    with nearest_first_plan(probe):
        reach = [distance.m for distance in probe.select_related(None).values_list("distance_m", flat=True)[:size]]
    if len(reach) < size:
        return queryset
    # A metre (and a ten-thousandth) more: ST_DWithin and ST_Distance compute the spheroid
    # distance by different routes, and a row exactly at M was seen to fall outside.
    return queryset.filter(point__dwithin=(point, D(m=max(reach) * 1.0001 + 1)))


def _cursor_pair(cursor: dict, *, near: bool) -> tuple[float | None, int]:
    after_id = cursor.get("id")
    after_m = cursor.get("m")
    if (
        not isinstance(after_id, int)
        or (near and not isinstance(after_m, (int, float)))
        or (not near and after_m is not None)
    ):
        raise BadParameter("_cursor", "Not a page of this search: follow the Bundle's next link as it is.")
    return after_m, after_id


def read(type_: str, pk: int, context: Context) -> dict | None:
    found = by_ids(type_, {pk}, context)
    return found[0] if found else None
