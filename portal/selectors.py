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
