"""Every operation of the published schema, as anonymous, a clinic's staff and an admin: each
answer's status code, content type and body are the ones the schema documents (schemathesis)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import ListingFactory
from tests.test_api_fuzz import SCHEMA, keep_test_connection, no_rate_limits

pytestmark = pytest.mark.django_db

__all__ = ["keep_test_connection", "no_rate_limits"]  # autouse fixtures of the fuzz tests

OPERATIONS = [operation.ok() for operation in SCHEMA.get_all_operations()]
CHECKS = [
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
# A few examples per operation and persona keep the run bounded (about 20 s for all of them).
EXAMPLES = settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("persona", ["anonymous", "clinic", "admin"])
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: f"{operation.method.upper()} {operation.path}")
def test_every_answer_is_documented(operation, persona, clinic, admin, clinic_user):
    user = {"anonymous": None, "clinic": clinic_user, "admin": admin}[persona]
    headers = {"Authorization": f"Bearer {AccessToken.for_user(user)}"} if user else {}
    ListingFactory(location__clinic=clinic)  # something of the clinic's to find

    @given(case=operation.as_strategy())
    @EXAMPLES
    def check(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    check()
