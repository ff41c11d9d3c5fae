"""Every operation of the published schema, as anonymous, a clinic's staff and an admin: each
answer's status code, content type and body are the ones the schema documents, requests the
schema rejects are refused and those it allows are accepted (schemathesis)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from rest_framework_simplejwt.tokens import AccessToken

from config.wsgi import application
from tests.credentials.factories import CredentialFactory, verified
from tests.factories import ListingFactory
from tests.test_api_fuzz import keep_test_connection, no_rate_limits

pytestmark = pytest.mark.django_db

__all__ = ["keep_test_connection", "no_rate_limits"]  # autouse fixtures of the fuzz tests

# schemathesis's own defaults: who is asking (401, 403), what exists (404), the state of a
# row (409) and throttling (429) are not properties of a request's shape.
ANSWERS_TO_ANY_VALID_REQUEST = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
# Where a schema-valid request may still be a 400, and why: what makes it valid depends on
# rows in the database or on several fields at once, which OpenAPI cannot say.
DATA_DEPENDENT = {
    # Vocabulary slugs are data; the place is one of near, zip or city, never two.
    "/api/v1/practitioners/",
    "/api/v1/clinics/",
    # The practitioner (by slug) and the location must exist, and be each other's.
    "/api/v1/consultation-requests/",
    # The account must exist and the password be its own; a refresh token must be one issued.
    "/api/v1/auth/token/",
    "/api/v1/auth/token/refresh/",
    # The code must be one an invitation sent; a new account's password must be strong.
    "/api/v1/invitations/accept/",
    # A license needs a state, number and expiry; a training record its hours (by kind).
    "/api/v1/credentials/",
    "/api/v1/credentials/{id}/",
    # A state where dry needling is permitted names the professions permitted.
    "/api/v1/state-rules/",
    "/api/v1/state-rules/{state}/",
    # A ZIP code must be a known one, in the location's state (or come with lat and lon).
    "/api/v1/clinics/{clinic_pk}/locations/",
    "/api/v1/clinics/{clinic_pk}/locations/{id}/",
    # Locations must be the clinic's own; terms must be known slugs.
    "/api/v1/clinics/{clinic_pk}/practitioners/",
    "/api/v1/clinics/{clinic_pk}/practitioners/{id}/",
    # The username must be an existing account's.
    "/api/v1/clinics/{clinic_pk}/members/",
    # The file's content must be a roster (UTF-8 CSV with the columns).
    "/api/v1/clinics/{clinic_pk}/roster-import/",
}
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "operations": [
            {
                "include-path": path,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ANSWERS_TO_ANY_VALID_REQUEST, "400"]}},
            }
            for path in sorted(DATA_DEPENDENT)
        ]
    }
)
SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)
OPERATIONS = [operation.ok() for operation in SCHEMA.get_all_operations()]
CHECKS = [
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.negative_data_rejection,
    schemathesis.checks.positive_data_acceptance,
]
# Ten examples per operation and persona keep the run bounded (about 45 s for all of them).
# Derandomized: the same examples on every run, so the suite never passes on one run and
# fails on the next; a change to the schema or the code changes what is generated.
EXAMPLES = settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("persona", ["anonymous", "clinic", "admin"])
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: f"{operation.method.upper()} {operation.path}")
def test_every_answer_is_documented(operation, persona, clinic, admin, clinic_user):
    user = {"anonymous": None, "clinic": clinic_user, "admin": admin}[persona]
    headers = {"Authorization": f"Bearer {AccessToken.for_user(user)}"} if user else {}
    # Something of the clinic's to find, with credentials of every kind and status, so the
    # credential, history and queue answers have rows (blank and null fields included).
    listing = ListingFactory(location__clinic=clinic)
    practitioner = listing.practitioner
    verified(CredentialFactory(practitioner=practitioner), by=admin)
    verified(CredentialFactory(practitioner=practitioner, certification=True), by=admin)
    CredentialFactory(practitioner=practitioner, training=True)

    @given(case=operation.as_strategy())
    @EXAMPLES
    def check(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    check()
