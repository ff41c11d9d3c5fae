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


def refresh(refresh_token):
    return APIClient().post("/api/v1/auth/token/refresh/", {"refresh": refresh_token}, format="json")


def test_a_refresh_token_works_once_and_hands_out_a_new_one(api, staff_user):
    tokens = login(api, "correct horse battery staple").json()
    first = refresh(tokens["refresh"])
    assert first.status_code == 200 and first.json()["refresh"] != tokens["refresh"]
    assert refresh(tokens["refresh"]).status_code == 401  # spent
    assert refresh(first.json()["refresh"]).status_code == 200


def test_a_password_change_ends_every_session(api, staff_user, clinic):
    tokens = login(api, "correct horse battery staple").json()
    staff_user.set_password("a new and better passphrase")
    staff_user.save()
    assert refresh(tokens["refresh"]).status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api.get(f"/api/v1/clinics/{clinic.pk}/locations/").status_code == 401


def test_a_deactivated_user_cannot_refresh(api, staff_user):
    tokens = login(api, "correct horse battery staple").json()
    staff_user.is_active = False
    staff_user.save()
    assert refresh(tokens["refresh"]).status_code == 401


def test_a_user_who_lost_their_last_clinic_cannot_refresh(api, staff_user):
    tokens = login(api, "correct horse battery staple").json()
    staff_user.clinic_memberships.all().delete()
    response = refresh(tokens["refresh"])
    assert response.status_code == 401
    assert "sign in again" in response.json()["detail"]


def test_a_locked_out_office_stays_locked_out_whatever_x_forwarded_for_says(api, staff_user):
    with mock.patch.object(FailedLoginThrottle, "THROTTLE_RATES", {"login_failures": "2/minute"}):
        assert [login(api, "wrong").status_code for _ in range(2)] == [401, 401]
        again = api.post(
            "/api/v1/auth/token/",
            {"username": "front-desk", "password": "correct horse battery staple"},
            format="json",
            HTTP_X_FORWARDED_FOR="203.0.113.99",
        )
    assert again.status_code == 429


def test_the_admin_login_is_throttled_like_the_api(client, staff_user):
    admin_user = UserFactory(username="boss", is_staff=True)
    admin_user.set_password("the right one at last")
    admin_user.save()
    with mock.patch.object(FailedLoginThrottle, "THROTTLE_RATES", {"login_failures": "2/minute"}):
        wrong = [
            client.post("/admin/login/", {"username": "boss", "password": f"guess {n}"}).status_code for n in range(2)
        ]
        locked = client.post("/admin/login/", {"username": "boss", "password": "the right one at last"})
    assert wrong == [200, 200]  # the form again, with its error
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert b"Too many failed sign-ins" in locked.content
    # Under the usual limit again (10 an hour), the right password signs in: a redirect.
    assert client.post("/admin/login/", {"username": "boss", "password": "the right one at last"}).status_code == 302
