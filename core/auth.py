"""Logging in for API clients: simplejwt's token views, with failed attempts throttled."""

from rest_framework import exceptions, permissions, throttling
from rest_framework_simplejwt.views import TokenObtainPairView


class FailedLoginThrottle(throttling.SimpleRateThrottle):
    """Counts failed logins per client address; successful ones cost nothing.

    DRF's throttles count every request as it arrives, which would lock a
    clinic's whole office (one address) out after a busy morning of correct
    logins; this one is checked before and charged only after a failure.
    The rate is the `login_failures` entry of DEFAULT_THROTTLE_RATES.
    """

    scope = "login_failures"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view):
        self.key = self.get_cache_key(request, view)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) < self.num_requests

    def record_failure(self):
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


class TokenObtainView(TokenObtainPairView):
    """POST username and password for an access token (short-lived) and a refresh token.

    After repeated failures from one address: 429 with Retry-After.
    """

    permission_classes = [permissions.AllowAny]

    def post(self, request, *args, **kwargs):
        throttle = FailedLoginThrottle()
        if not throttle.allow_request(request, self):
            self.throttled(request, throttle.wait())
        try:
            return super().post(request, *args, **kwargs)
        except exceptions.AuthenticationFailed:
            throttle.record_failure()
            raise
