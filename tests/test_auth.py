"""Logging in: expiring access tokens, refresh, and failed attempts throttled per client."""

import datetime
from unittest import mock

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from core.auth import FailedLoginThrottle
from tests.credentials.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The default hasher takes ~0.3 s per login by design; these tests log in dozens of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff_user(clinic):
    user = UserFactory(username="front-desk")
    user.set_password("correct horse battery staple")
    user.save()
    MembershipFactory(clinic=clinic, user=user)
    return user


def login(client, password, username="front-desk"):
    return client.post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")


def test_a_login_gives_a_15_minute_access_token_and_a_refresh_token(api, staff_user, clinic):
    response = login(api, "correct horse battery staple")
    assert response.status_code == 200
    access = AccessToken(response.json()["access"])
    assert datetime.timedelta(seconds=access["exp"] - access["iat"]) == datetime.timedelta(minutes=15)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert api.get(f"/api/v1/clinics/{clinic.pk}/locations/").status_code == 200

    refreshed = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": response.json()["refresh"]}, format="json")
    assert refreshed.status_code == 200 and refreshed.json()["access"]


def test_a_garbled_token_is_a_401(api, clinic):
    api.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
    assert api.get(f"/api/v1/clinics/{clinic.pk}/locations/").status_code == 401


def test_repeated_failed_logins_are_throttled_with_retry_after(api, staff_user, settings):
    failures = [login(api, f"guess {n}").status_code for n in range(10)]
    assert failures == [401] * 10
    throttled = login(api, "correct horse battery staple")
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 3600
    assert "throttled" in throttled.json()["detail"].lower()


def test_successful_logins_do_not_count_against_the_limit(api, staff_user):
    for _ in range(12):
        assert login(api, "correct horse battery staple").status_code == 200
    assert login(api, "wrong").status_code == 401


def test_the_failed_login_rate_is_the_setting(api, staff_user):
    with mock.patch.object(FailedLoginThrottle, "THROTTLE_RATES", {"login_failures": "2/minute"}):
        assert [login(api, "wrong").status_code for _ in range(3)] == [401, 401, 429]
        assert int(login(api, "wrong")["Retry-After"]) <= 60
