"""Model rules: what a credential of each kind needs, review dates, and the append-only trail."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from credentials import services
from credentials.models import AppendOnlyError, Credential, Kind, Method, Status, Verification
from tests.credentials.factories import TODAY, AdminFactory, CredentialFactory, verified

pytestmark = pytest.mark.django_db


def submit(**fields):
    practitioner = CredentialFactory.build().practitioner
    practitioner.save()
    defaults = {
        "kind": Kind.TRAINING,
        "name": "Level 1",
        "issuer": "Institute",
        "hours": 27,
        "issued_on": datetime.date(2024, 5, 1),
    }
    return services.credential_submit(practitioner=practitioner, today=TODAY, **{**defaults, **fields})


def errors_of(excinfo):
    return excinfo.value.message_dict


# --- what each kind needs ----------------------------------------------------


def test_expiry_before_issue_is_refused_on_expires_on():
    with pytest.raises(ValidationError) as excinfo:
        submit(issued_on=datetime.date(2024, 5, 1), expires_on=datetime.date(2024, 4, 30))
    assert "expires_on" in errors_of(excinfo)


def test_a_license_names_its_state_number_profession_and_expiry():
    with pytest.raises(ValidationError) as excinfo:
        submit(kind=Kind.LICENSE, name="", hours=None, profession="")
    # The profession defaults to the practitioner's own.
    assert set(errors_of(excinfo)) == {"jurisdiction", "license_number", "expires_on"}


def test_only_training_records_carry_hours():
    with pytest.raises(ValidationError) as excinfo:
        submit(kind=Kind.CERTIFICATION, name="CDNP", hours=10)
    assert set(errors_of(excinfo)) == {"hours"}
    with pytest.raises(ValidationError) as excinfo:
        submit(hours=None)
    assert set(errors_of(excinfo)) == {"hours"}


def test_an_issue_date_in_the_future_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        submit(issued_on=TODAY + datetime.timedelta(days=1))
    assert set(errors_of(excinfo)) == {"issued_on"}


def test_a_new_credential_is_pending_and_counts_for_nothing():
    credential = submit()
    assert credential.status == Status.PENDING
    assert (credential.verified_at, credential.method, credential.next_review_due) == (None, "", None)


def test_status_is_not_a_form_field():
    assert Credential._meta.get_field("status").editable is False
    assert Credential._meta.get_field("next_review_due").editable is False


# --- review dates ---------------------------------------------------------------


def test_a_license_is_reviewed_at_its_expiry():
    license_ = verified(CredentialFactory(expires_on=datetime.date(2027, 6, 30)))
    assert license_.next_review_due == datetime.date(2027, 6, 30)


def test_a_certification_is_reviewed_after_three_years_unless_it_expires_sooner():
    lasting = verified(CredentialFactory(certification=True, expires_on=None))
    assert lasting.next_review_due == datetime.date(2029, 3, 1)
    short = verified(CredentialFactory(certification=True, expires_on=datetime.date(2027, 1, 31)))
    assert short.next_review_due == datetime.date(2027, 1, 31)


def test_a_training_record_is_never_reviewed():
    assert verified(CredentialFactory(training=True)).next_review_due is None


def test_review_due_from_its_date_while_still_verified():
    license_ = verified(CredentialFactory(expires_on=datetime.date(2026, 6, 30)))
    assert not license_.is_review_due(datetime.date(2026, 6, 29))
    assert license_.is_review_due(datetime.date(2026, 6, 30))
    assert license_.status == Status.VERIFIED


# --- the trail is append-only ------------------------------------------------


@pytest.fixture
def decision():
    credential = verified(CredentialFactory())
    return credential.verifications.get()


def test_a_decision_cannot_be_changed_through_the_model(decision):
    decision.reason = "Rewritten"
    with pytest.raises(AppendOnlyError):
        decision.save()
    assert Verification.objects.get(pk=decision.pk).reason == ""


def test_a_decision_cannot_be_deleted_through_the_model(decision):
    with pytest.raises(AppendOnlyError):
        decision.delete()
    assert Verification.objects.filter(pk=decision.pk).exists()


def test_decisions_cannot_be_updated_or_deleted_in_bulk(decision):
    with pytest.raises(AppendOnlyError):
        Verification.objects.filter(pk=decision.pk).update(reason="Rewritten")
    with pytest.raises(AppendOnlyError):
        Verification.objects.all().delete()
    with pytest.raises(AppendOnlyError), transaction.atomic():
        Verification.objects.bulk_update([decision], ["reason"])
    assert Verification.objects.get(pk=decision.pk).reason == ""


def test_a_decided_credential_cannot_be_deleted(decision):
    with pytest.raises(ProtectedError):
        decision.credential.delete()


@pytest.mark.parametrize(
    "sql", ["UPDATE credentials_verification SET reason = 'x'", "DELETE FROM credentials_verification"]
)
def test_the_database_refuses_to_change_decisions(decision, sql):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert Verification.objects.get(pk=decision.pk).reason == ""


def test_each_decision_adds_a_row(decision):
    admin = AdminFactory()
    services.credential_revoke(
        credential=decision.credential, decided_by=admin, method=Method.PRIMARY_SOURCE, reason="Suspended.", today=TODAY
    )
    trail = list(decision.credential.verifications.values_list("action", "status_before", "status_after"))
    assert trail == [("verify", "pending", "verified"), ("revoke", "verified", "revoked")]
