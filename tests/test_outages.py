"""With Redis (the cache) or the broker down the search keeps answering, signing in refuses
clearly, and /healthz tells a load balancer what is down without telling the public why."""

import socket
from unittest import mock

import pytest
from django.db import OperationalError

from core import health
from tests.credentials.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_down(settings):
    """The cache configured as production has it (Redis, through core.cache), with Redis gone."""
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/1",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.fixture
def staff_user(clinic):
    user = UserFactory(username="front-desk")
    user.set_password("correct horse battery staple")
    user.save()
    MembershipFactory(clinic=clinic, user=user)
    return user


def test_with_redis_down_the_search_still_answers(api, redis_down, caplog):
    response = api.get("/api/v1/practitioners/", {"zip": "98101", "specialty": "neck-pain"})
    assert response.status_code == 200
    assert response.json()["results"] == []
    assert "Cache unavailable" in caplog.text


def test_with_redis_down_signing_in_is_refused_clearly(api, staff_user, redis_down):
    response = api.post(
        "/api/v1/auth/token/", {"username": "front-desk", "password": "correct horse battery staple"}, format="json"
    )
    assert response.status_code == 503
    assert "try again" in response.json()["detail"]


def test_with_redis_down_the_admin_login_is_refused_clearly(client, redis_down):
    response = client.post("/admin/login/", {"username": "anyone", "password": "anything"})
    assert response.status_code == 503
    assert b"Signing in is unavailable" in response.content


def test_healthz_says_the_cache_is_down_but_the_node_can_serve(api, redis_down):
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "down", "broker": "not configured"}


def test_healthz_says_the_broker_is_down(api, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "down"
    assert response.json()["status"] == "degraded"


def test_healthz_is_503_without_the_database_and_never_shows_the_error(api, caplog):
    def database_refuses():
        raise OperationalError('FATAL: password authentication failed for user "directory_prod"')

    with mock.patch.dict(health.CHECKS, {"database": database_refuses}):
        response = api.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "down", "database": "down", "cache": "ok", "broker": "not configured"}
    assert "directory_prod" not in response.content.decode()
    assert "directory_prod" in caplog.text  # the operator still learns why
