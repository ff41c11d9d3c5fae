"""The per-user rate counts signed-in users; anonymous clients are held to the anonymous rate alone."""

from unittest import mock

import pytest
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

pytestmark = pytest.mark.django_db

URL = "/api/v1/practitioners/"
RATES = {"anon": "3/minute", "user": "2/minute"}


def statuses(client, count):
    return [client.get(URL, {"zip": "98101"}).status_code for _ in range(count)]


def test_a_signed_in_user_is_held_to_the_per_user_rate(client_for, clinic_user):
    with mock.patch.object(SimpleRateThrottle, "THROTTLE_RATES", RATES):
        assert statuses(client_for(clinic_user), 3) == [200, 200, 429]


def test_an_anonymous_client_is_held_to_the_anonymous_rate_only(api):
    """Not to the per-user one, lower here: and no second history is kept for it."""
    with mock.patch.object(SimpleRateThrottle, "THROTTLE_RATES", RATES):
        assert statuses(api, 4) == [200, 200, 200, 429]
    # DRF's keys: the scope and the client's address (APIClient's is 127.0.0.1).
    assert len(cache.get("throttle_anon_127.0.0.1")) == 3
    assert cache.get("throttle_user_127.0.0.1") is None
