"""Reads that join the directory and the credentials: the public profile."""

from django.db.models import Prefetch, QuerySet

from credentials.selectors import public_credentials_prefetch
from directory.models import Listing, Practitioner
from directory.selectors import PRACTITIONER_RELATIONS


def practitioner_profiles() -> QuerySet[Practitioner]:
    """Practitioners with what their public profile shows: terms, listings and verified credentials."""
    return Practitioner.objects.prefetch_related(
        *PRACTITIONER_RELATIONS,
        Prefetch("listings", queryset=Listing.objects.select_related("location__clinic").order_by("location_id")),
        public_credentials_prefetch(),
    )


def practitioner_profile_rows() -> QuerySet[Practitioner]:
    """What the API profile reads by query: the listings with their location and clinic, and
    the verified credentials. The terms are named after, from a listing's copies of their
    ids (directory.selectors.terms_copied; by directory.selectors.terms_held for a
    practitioner listed nowhere) and the vocabulary cache, instead of three prefetches."""
    return Practitioner.objects.prefetch_related(
        Prefetch("listings", queryset=Listing.objects.select_related("location__clinic").order_by("location_id")),
        public_credentials_prefetch(),
    )
