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

from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.db.models.functions import Distance, GeometryDistance
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet

from core.db import planner_setting
from core.permissions import is_admin

from .models import Clinic, ClinicInvitation, ClinicMembership, ConsultationRequest, Listing, Location, Practitioner
from .vocabulary import VOCABULARIES, terms

KM_PER_MILE = 1.609344


@dataclass(frozen=True)
class Origin:
    """Where a search is measured from, and how far it reaches."""

    point: Point
    radius_m: float


def nearest_per_group(queryset: QuerySet, *, group: str, origin: Origin | None, order: tuple[str, ...]) -> QuerySet:
    """Keep, for each value of `group`, only its best row of `queryset`.

    With an origin, "best" is the nearest within the radius, and the rows
    come nearest first, annotated with `knn` (the index's ordering key) and
    `distance` (exact metres, computed for fetched rows only). Without one,
    the best row is the lowest id and rows come in `order`.

    Every filter already applied to `queryset` also applies to the rows the
    NOT EXISTS compares against, so "nearest" always means "nearest that
    matches" (say, nearest location accepting new patients).
    """
    if origin is None:
        better = queryset.filter(**{group: OuterRef(group)}, pk__lt=OuterRef("pk"))
        return queryset.filter(~Exists(better)).order_by(*order, "pk")

    point, radius = origin.point, D(m=origin.radius_m)
    key = GeometryDistance("point", point)
    candidates = queryset.filter(point__dwithin=(point, radius)).annotate(knn=key)
    # The group's other rows are found by its foreign key; the radius is
    # rechecked with the exact (non-indexed) distance, so the planner
    # does not walk the spatial index once per candidate.
    others = queryset.filter(point__distance_lte=(point, radius)).annotate(knn=key)
    # Ordered by the KNN key alone: PostgreSQL cannot add a tie-breaker
    # to an index-ordered scan without sorting every row in the radius.
    # Rows at exactly the same distance (colleagues at one location)
    # come in index order.
    ordering = ("knn",)
    better = others.filter(
        Q(knn__lt=OuterRef("knn")) | Q(knn=OuterRef("knn"), pk__lt=OuterRef("pk")),
        **{group: OuterRef(group)},
    )
    return candidates.filter(~Exists(better)).annotate(distance=Distance("point", point)).order_by(*ordering)


@contextmanager
def nearest_first_plan(queryset: QuerySet):
    """Run a nearest-first search with the planner told to walk the KNN index.

    PostGIS estimates how many rows an ST_DWithin on geography matches from
    coarse statistics, and in dense metros it guesses a handful where
    thousands match (5-11 estimated against 1,700-28,000 in bench/search.py
    at 1M practitioners). The planner then fetches and sorts every row in
    the radius instead of walking the index nearest-first and stopping at
    the page's end. Disabling sorts for this one statement (SET LOCAL, in
    its own transaction) leaves the index walk as the only plan.
    """
    if "knn" not in queryset.query.annotations:
        yield
        return
    with planner_setting("enable_sort", "off"):
        yield


def fetch_page(queryset: QuerySet, *, start: int, stop: int, attach=None) -> list:
    """Rows [start, stop) of a search, then (with `attach`) what the results show of related rows.

    The related rows are fetched after the search and outside its planner
    settings: they are small lookups by id that need their sorts.
    """
    with nearest_first_plan(queryset):
        rows = list(queryset[start:stop])
    if attach is not None:
        attach(rows)
    return rows


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


def attach_terms(listings: list[Listing]) -> None:
    """Give each listing's practitioner `terms`: {relation: [(identifier, name), ...]} in name order.

    One query over the three link tables for the whole page; the terms
    themselves come from the vocabulary cache. Written as SQL because the
    ORM's version (three querysets and a union) took longer to build than
    to run, and prefetch_related would take three joined queries and a
    model instance per term.
    """
    practitioner_ids = sorted({listing.practitioner_id for listing in listings})
    if not practitioner_ids:
        return
    selects, params = [], []
    for position, relation in enumerate(VOCABULARIES):
        field = Practitioner._meta.get_field(relation)
        through = field.remote_field.through._meta
        selects.append(
            f"SELECT {position}, {field.m2m_column_name()}, {field.m2m_reverse_name()} FROM {through.db_table} "
            f"WHERE {field.m2m_column_name()} IN ({', '.join(['%s'] * len(practitioner_ids))})"
        )
        params.extend(practitioner_ids)
    relations = list(VOCABULARIES)
    held = {pid: {relation: set() for relation in relations} for pid in practitioner_ids}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        for position, practitioner_id, term_id in cursor.fetchall():
            held[practitioner_id][relations[position]].add(term_id)
    names = {relation: terms(model) for relation, (model, _) in VOCABULARIES.items()}
    for listing in listings:
        mine = held[listing.practitioner_id]
        listing.practitioner.terms = {
            relation: [term for term_id, term in names[relation].items() if term_id in mine[relation]]
            for relation in relations
        }


def listing_search_base() -> QuerySet[Listing]:
    """Listings joined to what a search result shows (and only that), ready for filtering.

    `only()` because each loaded point is a GEOS object and each timestamp
    a parsed datetime: the listing's copy of its location's point and the
    three tables' timestamps were most of the cost of building a page.
    """
    return Listing.objects.select_related("practitioner", "location__clinic").only(
        "qualified_from",
        "qualified_until",
        "practitioner__slug",
        "practitioner__name",
        "practitioner__profession",
        "practitioner__verified_training_hours",
        "practitioner__years_dry_needling",
        *(f"location__{field}" for field in LOCATION_RESULT_FIELDS),
        "location__clinic__name",
        "location__clinic__slug",
    )


def listing_search(queryset: QuerySet[Listing], *, origin: Origin | None) -> QuerySet[Listing]:
    """One listing per practitioner: the nearest matching one, nearest first."""
    return nearest_per_group(queryset, group="practitioner", origin=origin, order=("practitioner__name",))


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
