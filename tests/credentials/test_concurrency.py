"""Two admins deciding on the same credential at once: one decision, one 409."""

import threading

import pytest
from django.db import connection, transaction

from credentials import services
from credentials.models import Method, Status, Verification
from tests.credentials.factories import TODAY, AdminFactory, CredentialFactory


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_second_of_two_simultaneous_decisions_is_a_conflict():
    credential = CredentialFactory()
    first_admin, second_admin = AdminFactory(), AdminFactory()
    first_has_decided = threading.Event()
    outcomes = {}

    def first():
        try:
            with transaction.atomic():
                services.credential_verify(
                    credential=credential, decided_by=first_admin, method=Method.PRIMARY_SOURCE, today=TODAY
                )
                first_has_decided.set()
                # Hold the row lock (uncommitted) while the second admin tries.
                threading.Event().wait(0.5)
            outcomes["first"] = "verified"
        finally:
            first_has_decided.set()
            connection.close()

    def second():
        try:
            first_has_decided.wait(5)
            services.credential_reject(
                credential=credential, decided_by=second_admin, method=Method.DOCUMENT_REVIEW, reason="No.", today=TODAY
            )
            outcomes["second"] = "rejected"
        except services.CredentialConflict as exc:
            outcomes["second"] = str(exc.detail)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert outcomes == {
        "first": "verified",
        "second": "This credential is verified: revoke it instead of rejecting it.",
    }
    credential.refresh_from_db()
    assert credential.status == Status.VERIFIED
    assert Verification.objects.filter(credential=credential).count() == 1
