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
