"""Shared fixtures: API clients, the personas of the authenticated API, a frozen "today",
and vocabulary lookups."""

import datetime
from unittest import mock

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from core import prepared
from directory import selectors, vocabulary
from directory.models import Language, Specialty, Technique
from tests.credentials.factories import AdminFactory, MembershipFactory, UserFactory
from tests.factories import ClinicFactory


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    # Production serves hashed files from a collectstatic manifest; tests
    # render pages without running collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The throttle counts requests in the cache; each test starts from zero, and with no
    # process copy of a vocabulary another test's (rolled back) terms went into, nor a
    # search statement kept by another test (core.prepared), nor the names ending another
    # test's name ranges.
    cache.clear()
    vocabulary.forget_local()
    prepared.forget()
    selectors.forget_name_ranges()
    yield
    cache.clear()
    vocabulary.forget_local()
    prepared.forget()
    selectors.forget_name_ranges()


@pytest.fixture(autouse=True)
def _no_public_cache(settings):
    # A test's writes happen inside a transaction that never commits, so the generation of
    # the public answers (core.public_cache) never moves: keeping answers would serve a
    # test the page it saw before its own change. tests/test_public_cache.py turns it on.
    settings.PUBLIC_CACHE_SECONDS = 0


@pytest.fixture
def api():
    """An anonymous client, as a patient uses the API."""
    return APIClient()


@pytest.fixture
def specialty(db):
    return lambda slug: Specialty.objects.get(slug=slug)


@pytest.fixture
def technique(db):
    return lambda slug: Technique.objects.get(slug=slug)


@pytest.fixture
def language(db):
    return lambda code: Language.objects.get(code=code)


@pytest.fixture
def frozen_day():
    """The day `today` freezes the clock at; a test folder may override it."""
    return datetime.date(2026, 3, 2)


@pytest.fixture
def freeze_today(frozen_day):
    """Freeze core.clock (the one "today" of the views, services and tasks) at `frozen_day`;
    returns a setter for tests that move to another day."""
    state = {"day": frozen_day}

    def set_day(day: datetime.date):
        state["day"] = day

    with mock.patch("core.clock.today", side_effect=lambda: state["day"]):
        yield set_day


@pytest.fixture
def today(freeze_today, frozen_day):
    """Every request and service call in the test runs on `frozen_day`."""
    return frozen_day


# --- personas: an admin, a clinic's staff, another clinic's staff, anonymous ---------


@pytest.fixture
def admin(db):
    """A staff user: the product's admin (is_staff, no superuser powers needed)."""
    return AdminFactory(username="verifier")


@pytest.fixture
def clinic(db):
    return ClinicFactory(name="Harbor Physical Therapy")


@pytest.fixture
def other_clinic(db):
    return ClinicFactory(name="Elsewhere Spine Center")


@pytest.fixture
def clinic_user(clinic):
    return MembershipFactory(clinic=clinic, user=UserFactory(username="harbor-staff")).user


@pytest.fixture
def other_clinic_user(other_clinic):
    return MembershipFactory(clinic=other_clinic, user=UserFactory(username="elsewhere-staff")).user


@pytest.fixture
def client_for():
    def make(user):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def personas(admin, clinic_user, other_clinic_user, client_for):
    """name -> client, for the four personas of every authenticated endpoint."""
    return {
        "admin": client_for(admin),
        "clinic": client_for(clinic_user),
        "other_clinic": client_for(other_clinic_user),
        "anonymous": client_for(None),
    }
