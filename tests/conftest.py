"""Shared fixtures: API clients, a frozen "today", and vocabulary lookups."""
import datetime
from unittest import mock

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from directory.models import Language, Specialty, Technique


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
    # The throttle counts requests in the cache; each test starts from zero.
    cache.clear()
    yield
    cache.clear()


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
def today():
    """Freeze the date the API treats as today (timezone.localdate) at 2026-03-02."""
    day = datetime.date(2026, 3, 2)
    with mock.patch("django.utils.timezone.localdate", return_value=day):
        yield day
