"""Reads of the directory: the geo search and the querysets views share.

The search returns one row per group (practitioner, or clinic) at its
nearest matching row within the radius, nearest first, as one SQL query:

* PostGIS: `ST_DWithin` on geography (GiST index) bounds the radius and
  `<->` (KNN, `GeometryDistance`) orders by distance, so the index is
  walked nearest-first and the scan stops at the page's end. "Nearest row of
  its group" is a correlated NOT EXISTS on the group's few other rows
  (indexed by the group's foreign key). The exact spheroid distance is
  computed only for the rows of the returned page.
* SpatiaLite (the embedded demo only): no KNN operator, so distance_lte and
  ordering by geodesic Distance scan the table. That is fine at demo scale
  and is the whole of the fallback.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.db.models.functions import Distance, GeometryDistance
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from credentials.selectors import public_credentials_prefetch

from .models import Clinic, Listing, Location, Practitioner

KM_PER_MILE = 1.609344


@dataclass(frozen=True)
class Origin:
    """Where a search is measured from, and how far it reaches."""

    point: Point
    radius_m: float


def _has_knn() -> bool:
    return connection.vendor == "postgresql"


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

    point = origin.point
    if _has_knn():
        within = Q(point__dwithin=(point, D(m=origin.radius_m)))
        key = GeometryDistance("point", point)
    else:
        within = Q(point__distance_lte=(point, D(m=origin.radius_m)))
        key = Distance("point", point)
    candidates = queryset.filter(within).annotate(knn=key)
    better = candidates.filter(
        Q(knn__lt=OuterRef("knn")) | Q(knn=OuterRef("knn"), pk__lt=OuterRef("pk")),
        **{group: OuterRef(group)},
    )
    return (
        candidates.filter(~Exists(better))
        .annotate(distance=Distance("point", point))
        .order_by("knn", "pk")
    )


def practitioner_relations() -> tuple[Prefetch, ...]:
    return ("specialties", "techniques", "languages")


def listing_search_base() -> QuerySet[Listing]:
    """Listings with everything a search result shows, ready for filtering."""
    return Listing.objects.select_related("practitioner", "location__clinic").prefetch_related(
        *(f"practitioner__{name}" for name in practitioner_relations())
    )


def listing_search(queryset: QuerySet[Listing], *, origin: Origin | None) -> QuerySet[Listing]:
    """One listing per practitioner: the nearest matching one, nearest first."""
    return nearest_per_group(queryset, group="practitioner", origin=origin, order=("practitioner__name",))


def location_search(queryset: QuerySet[Location], *, origin: Origin | None) -> QuerySet[Location]:
    """One location per clinic: the nearest matching one, nearest first."""
    return nearest_per_group(queryset, group="clinic", origin=origin, order=("clinic__name",))


def location_search_base() -> QuerySet[Location]:
    return Location.objects.select_related("clinic")


def practitioner_profiles() -> QuerySet[Practitioner]:
    return Practitioner.objects.prefetch_related(
        *practitioner_relations(),
        Prefetch("listings", queryset=Listing.objects.select_related("location__clinic").order_by("location_id")),
        public_credentials_prefetch(),
    )


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
