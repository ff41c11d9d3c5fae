"""Logging in: simplejwt's token views with failed attempts throttled and refresh tokens
that die with a password change, a deactivation or the loss of the last clinic; and the
same failed-login throttle in front of the admin's login page."""

import functools
import logging

from django.contrib.auth import get_user_model
from django.shortcuts import render
from rest_framework import exceptions, permissions, throttling
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import get_md5_hash_password
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

logger = logging.getLogger(__name__)


class SignInUnavailable(exceptions.APIException):
    """503: the failed-login counters cannot be read, so no password is checked."""

    status_code = 503
    default_detail = "Signing in is unavailable for a moment; please try again in a minute."
    default_code = "sign_in_unavailable"


def may_hold_tokens(user) -> bool:
    """simplejwt's USER_AUTHENTICATION_RULE: an active admin, or an active user who is a
    member of at least one clinic (a user whose last membership went gets no new tokens)."""
    if user is None or not user.is_active:
        return False
    return user.is_staff or user.clinic_memberships.exists()


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
        # Fail closed: without the counters, password guessing would be unlimited.
        strict_get = getattr(self.cache, "get_strict", self.cache.get)
        try:
            self.history = strict_get(self.key, [])
        except Exception as exc:
            logger.error("Sign-in refused: the failed-login counters cannot be read (%s).", exc)
            raise SignInUnavailable() from None
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


class RefreshSerializer(TokenRefreshSerializer):
    """simplejwt's refresh (rotating and blacklisting the old token), refused when the
    password changed since the token was issued or the user may no longer hold tokens.

    simplejwt checks the password digest only on access tokens; a refresh token of an
    old password would otherwise go on minting access tokens that fail on first use.
    """

    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])
        user = (
            get_user_model()
            .objects.filter(**{jwt_settings.USER_ID_FIELD: refresh.get(jwt_settings.USER_ID_CLAIM)})
            .first()
        )
        if (
            user is None
            or not may_hold_tokens(user)
            or refresh.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password)
        ):
            # The token can never be used again, whatever comes next.
            try:
                refresh.blacklist()
            except AttributeError:  # pragma: no cover - the blacklist app is installed
                pass
            raise AuthenticationFailed("This session has ended: sign in again.", code="session_ended")
        return super().validate(attrs)


class RefreshView(TokenRefreshView):
    """POST a refresh token for a new access token and a new refresh token (the old one is spent)."""

    serializer_class = RefreshSerializer
    permission_classes = [permissions.AllowAny]


def throttled_login(login_view):
    """Wrap a form login view (the admin's) in the failed-login throttle of the API.

    A failed form login answers 200 with the form again; a successful one
    redirects. Failures are charged per client address; over the limit, the
    page says so with a 429 and Retry-After, before any password is checked.
    """

    @functools.wraps(login_view)
    def view(request, *args, **kwargs):
        throttle = FailedLoginThrottle()
        try:
            allowed = request.method != "POST" or throttle.allow_request(request, None)
        except SignInUnavailable as exc:
            return render(request, "core/login_unavailable.html", {"message": exc.detail}, status=503)
        if not allowed:
            wait = int(throttle.wait() or 1)
            response = render(request, "core/login_throttled.html", {"minutes": max(1, wait // 60)}, status=429)
            response["Retry-After"] = str(wait)
            return response
        response = login_view(request, *args, **kwargs)
        if request.method == "POST" and response.status_code == 200:
            throttle.record_failure()
        return response

    return view
