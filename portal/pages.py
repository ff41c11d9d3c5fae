"""The patient pages: the search (over the public API), a practitioner's profile, and advice."""

from django.conf import settings
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from core import clock
from credentials.models import Kind
from credentials.selectors import public_credentials, qualification_basis
from directory.models import CONSULTATION_MESSAGE_MAX_LENGTH, Language, Profession, Specialty, Technique

from . import selectors

RADIUS_CHOICES_MI = (5, 10, 25, 50, 100)
DEFAULT_RADIUS_MI = 25


def map_config() -> dict:
    """What the page's map script needs: the tile server is a setting, the map library is static."""
    return {"tileUrl": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION}


@require_GET
def search_page(request):
    """The search form and an empty list and map; static/portal/search.js fills them from the API."""
    return render(
        request,
        "portal/search.html",
        {
            "specialties": Specialty.objects.all(),
            "techniques": Technique.objects.all(),
            "languages": Language.objects.all(),
            "professions": Profession.choices,
            "radius_choices": RADIUS_CHOICES_MI,
            "default_radius": DEFAULT_RADIUS_MI,
            "map_config": map_config(),
        },
    )


@require_GET
def practitioner_page(request, slug):
    """A practitioner's profile: where they practise, their verified credentials, the answers to
    a patient's usual questions, and the consultation request form. Readable without JavaScript."""
    practitioner = get_object_or_404(selectors.practitioner_profiles(), slug=slug)
    today = clock.today()
    listings = list(practitioner.listings.all())
    basis = qualification_basis(practitioner, listings, today=today)
    for listing in listings:
        listing.qualified_today = listing.is_qualified(today)
        listing.basis = basis[listing.pk]
    credentials = public_credentials(practitioner, today=today)
    return render(
        request,
        "portal/practitioner.html",
        {
            "practitioner": practitioner,
            "listings": listings,
            "qualified": any(listing.qualified_today for listing in listings),
            "credentials": credentials,
            "certifications": [c for c in credentials if c.kind == Kind.CERTIFICATION],
            "map_config": map_config(),
            "map_points": [
                {
                    "lat": round(listing.location.point.y, 6),
                    "lon": round(listing.location.point.x, 6),
                    "label": f"{listing.location.clinic.name}, {listing.location.address}, {listing.location.city}",
                }
                for listing in listings
            ],
            "message_max_length": CONSULTATION_MESSAGE_MAX_LENGTH,
        },
    )


@require_GET
def right_for_me_page(request):
    """Who should ask their doctor before dry needling, and what to ask a practitioner."""
    return render(request, "portal/right_for_me.html")
