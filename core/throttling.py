"""The per-user rate limit, for signed-in users.

DRF's UserRateThrottle also counts an anonymous client, by address, under a
looser rate ("user", 600 a minute) than the anonymous one that counts the same
address ("anon", 120 a minute): for a patient it kept a second history in the
cache, read and rewritten on every request, for a limit the anonymous one
always reaches first. That second history was half the CPU the two throttles
took (0.65 ms of a 1.33 ms answer from the public cache, at 1M practitioners),
and two of the request's six round trips to Redis.
"""

from rest_framework.throttling import UserRateThrottle


class SignedInRateThrottle(UserRateThrottle):
    """UserRateThrottle for signed-in users only; anonymous clients are held to the
    anonymous rate (AnonRateThrottle, by address)."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None  # DRF's "not throttled here"
        return super().get_cache_key(request, view)
