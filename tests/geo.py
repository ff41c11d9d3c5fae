"""An independent geodesic reference (geopy, WGS84 ellipsoid) for checking the search's distances."""

from geopy.distance import geodesic
from geopy.point import Point as GeoPoint

SEATTLE = (47.6114, -122.3305)  # the centroid of ZIP 98101


def offset(origin, metres, bearing=90.0):
    """(lat, lon) at `metres` from origin along `bearing`."""
    destination = geodesic(meters=metres).destination(GeoPoint(*origin), bearing)
    return destination.latitude, destination.longitude


def geodesic_km(a, b):
    return geodesic(a, b).km
