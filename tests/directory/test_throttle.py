"""Anonymous patients are rate-limited per client address."""

from unittest import mock

import pytest
from rest_framework.throttling import AnonRateThrottle

pytestmark = pytest.mark.django_db


def test_anonymous_searches_beyond_the_rate_get_429(api):
    with mock.patch.object(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": "1000/minute"}):
        statuses = [api.get("/api/v1/practitioners/", {"zip": "98101"}).status_code for _ in range(4)]
        throttled = api.get("/api/v1/practitioners/", {"zip": "98101"})
    assert statuses == [200, 200, 200, 429]
    assert throttled.status_code == 429
    assert "throttled" in throttled.json()["detail"].lower()
    assert int(throttled["Retry-After"]) > 0


def search(api, **headers):
    return api.get("/api/v1/practitioners/", {"zip": "98101"}, **headers).status_code


def test_a_rotating_x_forwarded_for_does_not_escape_the_limit(api):
    with mock.patch.object(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": "1000/minute"}):
        statuses = [search(api, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}") for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def test_behind_one_trusted_proxy_the_address_it_saw_is_counted(api, settings):
    """The proxy appends the address it saw; whatever the client put before it is not believed."""
    # DRF reloads its settings on the change, and again when the fixture restores them.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    with mock.patch.object(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/minute", "user": "1000/minute"}):
        # One patient behind the proxy, rotating a spoofed first entry: one address counted.
        same_patient = [
            search(api, HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 198.51.100.7", REMOTE_ADDR="10.0.0.2") for n in range(3)
        ]
        # Another patient through the same proxy has a limit of their own.
        other_patient = search(api, HTTP_X_FORWARDED_FOR="198.51.100.8", REMOTE_ADDR="10.0.0.2")
    assert same_patient == [200, 200, 429]
    assert other_patient == 200
