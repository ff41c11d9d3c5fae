"""Property-based checks of the public API against its own OpenAPI schema (schemathesis).

Whatever a client sends that the schema allows, the API answers with a
documented status and a body matching the schema, never a 500.
"""

from unittest import mock

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.throttling import SimpleRateThrottle

from config.wsgi import application
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/", application)
FUZZ = settings(max_examples=75, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture
def listing(db):
    return ListingFactory()  # something to find


@pytest.fixture(autouse=True)
def no_rate_limits():
    # Fuzzing sends far more requests a minute than any client may; the limits
    # themselves are tested elsewhere (test_throttle, test_auth, test_consultation).
    rates = {scope: "1000000/minute" for scope in SimpleRateThrottle.THROTTLE_RATES}
    with mock.patch.object(SimpleRateThrottle, "THROTTLE_RATES", rates):
        yield


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


# --- the clinic staff's endpoints, logged in as a member of the clinic ---------------

STAFF_OPERATIONS = [
    ("/api/v1/clinics/{id}/", "GET"),
    ("/api/v1/clinics/{id}/", "PATCH"),
    ("/api/v1/clinics/{clinic_pk}/members/", "POST"),
    ("/api/v1/clinics/{clinic_pk}/locations/", "GET"),
    ("/api/v1/clinics/{clinic_pk}/locations/", "POST"),
    ("/api/v1/clinics/{clinic_pk}/locations/{id}/", "PATCH"),
    ("/api/v1/clinics/{clinic_pk}/practitioners/", "GET"),
    ("/api/v1/clinics/{clinic_pk}/practitioners/", "POST"),
    ("/api/v1/clinics/{clinic_pk}/practitioners/{id}/", "PATCH"),
    ("/api/v1/clinics/{clinic_pk}/expiring-credentials/", "GET"),
    ("/api/v1/clinics/{clinic_pk}/roster-import/", "POST"),
    ("/api/v1/credentials/", "POST"),
]


@pytest.fixture
def staff_token(clinic, clinic_user):
    from rest_framework_simplejwt.tokens import AccessToken

    return str(AccessToken.for_user(clinic_user))


@pytest.mark.parametrize(("path", "method"), STAFF_OPERATIONS)
def test_clinic_staff_endpoints_never_error(clinic, staff_token, path, method):
    location = ListingFactory(location__clinic=clinic).location
    ids = {"id": location.pk if "locations/{id}" in path else clinic.pk, "clinic_pk": clinic.pk}
    if "practitioners/{id}" in path:
        ids["id"] = location.listings.get().practitioner_id

    @given(case=SCHEMA[path][method].as_strategy())
    @FUZZ
    def check(case):
        case.path_parameters = {name: ids[name] for name in case.path_parameters or {}}
        response = case.call(headers={"Authorization": f"Bearer {staff_token}"})
        # 404: an id in the body (a location, a practitioner) that is not the clinic's;
        # 409: an NPI already taken; 413: a document over the limit; 403: staff (not
        # owners) adding members.
        expected = {200, 201, 400, 404, 409, 413} | ({403} if path.endswith("/members/") else set())
        assert response.status_code in expected, response.text
        if response.status_code < 300:
            # The token is set here, not by the schema's security scheme, which
            # the ignored_auth check would otherwise try without it.
            case.validate_response(
                response,
                excluded_checks=[schemathesis.checks.positive_data_acceptance, schemathesis.checks.ignored_auth],
            )

    check()


# --- the consultation request, as any anonymous client may send it --------------------


def test_consultation_requests_never_error(listing):
    @given(case=SCHEMA["/api/v1/consultation-requests/"]["POST"].as_strategy())
    @FUZZ
    def check(case):
        response = case.call()
        # 400: a practitioner slug or location id that does not exist, or a location
        # that is not the practitioner's, is schema-valid but refused.
        assert response.status_code in (201, 400), response.text
        case.validate_response(response, excluded_checks=[schemathesis.checks.positive_data_acceptance])

    check()
