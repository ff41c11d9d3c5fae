"""Shared fixtures: API clients and vocabulary lookups."""
import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from directory.models import Language, Specialty, Technique


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
