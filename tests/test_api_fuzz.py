"""Property-based checks of the public API against its own OpenAPI schema (schemathesis).

Whatever a client sends that the schema allows, the API answers with a
documented status and a body matching the schema, never a 500.
"""
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

from config.wsgi import application
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/", application)
FUZZ = settings(max_examples=75, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture
def listing(db):
    return ListingFactory()  # something to find


@pytest.fixture(autouse=True)
def keep_test_connection():
    # Calling the WSGI app directly would close the connection that holds the
    # test's transaction at the end of each request, as Django's own test
    # client avoids by the same disconnection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("path", ["/api/v1/practitioners/", "/api/v1/clinics/"])
def test_public_search_never_errors(listing, path):
    @given(case=SCHEMA[path]["GET"].as_strategy())
    @FUZZ
    def check(case):
        response = case.call()
        assert response.status_code in (200, 400), response.text
        # Vocabulary slugs are data, not schema, so a schema-valid request may
        # still be a 400 (e.g. specialty=xyz); everything else is checked.
        case.validate_response(response, excluded_checks=[schemathesis.checks.positive_data_acceptance])

    check()
