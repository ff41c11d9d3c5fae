"""The Redis cache keeps one client per connection pool (core.cache.ReusingRedisCacheClient),
and that client survives Redis dropping its connections."""

import os
import uuid

import pytest
import redis

from core.cache import ResilientRedisCache


@pytest.fixture
def redis_cache():
    url = os.environ.get("CELERY_TEST_BROKER_URL")
    if not url:
        pytest.fail("CELERY_TEST_BROKER_URL is not set: run the suite with scripts/test.sh, which starts Redis")
    location = url.rsplit("/", 1)[0] + "/15"
    return ResilientRedisCache(location, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"}), location


def test_commands_share_one_client_and_still_work(redis_cache):
    cache, _ = redis_cache
    cache.set("answer", {"rows": [1, 2]}, 30)
    assert cache.get("answer") == {"rows": [1, 2]}
    assert cache.add("visits", 1, 30)
    assert cache.incr("visits") == 2
    client = cache._cache.get_client()
    assert cache._cache.get_client() is client
    assert cache._cache.get_client(write=True) is client  # one server: one pool, one client


def test_a_dropped_connection_is_made_again(redis_cache):
    cache, location = redis_cache
    cache.set("kept", "before", 30)
    ours = cache._cache.get_client().client_id()
    # Redis drops our connection (a restart, a timeout, a failover would too).
    redis.Redis.from_url(location).client_kill_filter(_id=ours)
    assert cache.get("kept") == "before"
    cache.set("kept", "after", 30)
    assert cache.get("kept") == "after"
