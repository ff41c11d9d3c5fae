"""The Django admin: the queue and its filters, decisions through the services, a read-only trail."""

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client

from credentials.models import Credential, StateRule, Status, Verification
from directory.models import Listing
from tests.credentials.factories import TODAY, CredentialFactory, listing_in, set_rule, verified
from tests.factories import PractitionerFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/credentials/credential/"


@pytest.fixture
def browser(admin):
    """A staff user (not a superuser) logged in to the admin."""
    client = Client()
    client.force_login(admin)
    return client


def listed_ids(response):
    return {row.pk for row in response.context["cl"].result_list}


def act(browser, action, credentials, **extra):
    return browser.post(
        CHANGELIST, {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in credentials], **extra}, follow=True
    )


def test_the_queue_and_its_filters(browser, freeze_today, practitioner):
    soon = CredentialFactory(practitioner=practitioner, expires_on=TODAY + datetime.timedelta(days=20))
    later = CredentialFactory(practitioner=practitioner, expires_on=TODAY + datetime.timedelta(days=75))
    training = verified(CredentialFactory(practitioner=practitioner, training=True))
    due = verified(CredentialFactory(practitioner=practitioner, jurisdiction="FL", expires_on=TODAY))

    response = browser.get(CHANGELIST)
    assert response.status_code == 200
    assert listed_ids(response) == {soon.pk, later.pk, training.pk, due.pk}
    assert listed_ids(browser.get(CHANGELIST, {"expires_within": "30"})) == {soon.pk, due.pk}
    assert listed_ids(browser.get(CHANGELIST, {"expires_within": "90"})) == {soon.pk, later.pk, due.pk}
    assert listed_ids(browser.get(CHANGELIST, {"status__exact": "verified"})) == {training.pk, due.pk}
    assert listed_ids(browser.get(CHANGELIST, {"kind__exact": "training"})) == {training.pk}
    assert listed_ids(browser.get(CHANGELIST, {"jurisdiction__exact": "FL"})) == {due.pk}
    assert listed_ids(browser.get(CHANGELIST, {"listed_state": "WA"})) == {soon.pk, later.pk, training.pk, due.pk}
    assert listed_ids(browser.get(CHANGELIST, {"queue": "review_due"})) == {due.pk}
    assert listed_ids(browser.get(CHANGELIST, {"queue": "needs_decision"})) == {soon.pk, later.pk, due.pk}
    # "Expires within" counts from the frozen today, not the real one.
    freeze_today(TODAY + datetime.timedelta(days=60))
    assert listed_ids(browser.get(CHANGELIST, {"expires_within": "30"})) == {later.pk}


def test_verify_action_goes_through_the_service_and_writes_history(browser, admin, today, practitioner):
    license_ = CredentialFactory(practitioner=practitioner)
    training = CredentialFactory(practitioner=practitioner, training=True, hours=60)
    response = act(browser, "verify_by_document_review", [license_, training])
    assert "2 credential(s) verified" in response.content.decode()
    for credential in (license_, training):
        credential.refresh_from_db()
        assert credential.status == Status.VERIFIED
        assert list(
            credential.verifications.values_list("action", "method", "decided_by", "status_before", "status_after")
        ) == [("verify", "document_review", admin.pk, "pending", "verified")]
    # The same requalification as the API's.
    assert Listing.objects.get(practitioner=practitioner).is_qualified(TODAY)
    practitioner.refresh_from_db()
    assert practitioner.verified_training_hours == 60


def test_verify_action_reports_a_conflict_and_writes_nothing(browser, today, practitioner):
    credential = verified(CredentialFactory(practitioner=practitioner))
    response = act(browser, "verify_by_document_review", [credential])
    assert "already verified" in response.content.decode()
    assert credential.verifications.count() == 1


def test_reject_action_asks_for_a_reason_then_writes_history(browser, admin, today, practitioner):
    credential = CredentialFactory(practitioner=practitioner)
    page = act(browser, "reject", [credential])
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()
    credential.refresh_from_db()
    assert credential.status == Status.PENDING

    # Without a reason: the page again, nothing written.
    page = act(browser, "reject", [credential], apply="1", method="document_review", reason="")
    assert 'name="reason"' in page.content.decode()
    assert not Verification.objects.exists()

    act(browser, "reject", [credential], apply="1", method="document_review", reason="The scan is unreadable.")
    credential.refresh_from_db()
    assert credential.status == Status.REJECTED
    decision = credential.verifications.get()
    assert (decision.action, decision.reason, decision.decided_by) == ("reject", "The scan is unreadable.", admin)


def test_revoke_action_writes_history(browser, today, practitioner):
    credential = verified(CredentialFactory(practitioner=practitioner))
    act(browser, "revoke", [credential], apply="1", method="primary_source", reason="Board suspension.")
    credential.refresh_from_db()
    assert credential.status == Status.REVOKED
    assert [v.action for v in credential.verifications.all()] == ["verify", "revoke"]


def test_status_cannot_be_set_in_the_change_form(browser, today, practitioner):
    credential = CredentialFactory(practitioner=practitioner)
    url = f"{CHANGELIST}{credential.pk}/change/"
    page = browser.get(url)
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    assert "status" not in page.context["adminform"].form.fields
    response = browser.post(
        url,
        {
            "name": "",
            "issuer": "WA Department of Health",
            "jurisdiction": "WA",
            "license_number": credential.license_number,
            "profession": "PT",
            "issued_on": "2015-06-01",
            "expires_on": "2027-12-31",
            "status": "verified",
            "verifications-TOTAL_FORMS": "0",
            "verifications-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    credential.refresh_from_db()
    assert (credential.issuer, credential.status) == ("WA Department of Health", Status.PENDING)


def test_a_decided_credential_is_read_only_in_the_admin(browser, today, practitioner):
    credential = verified(CredentialFactory(practitioner=practitioner))
    form = browser.get(f"{CHANGELIST}{credential.pk}/change/").context["adminform"].form
    assert set(form.fields) == set()


def test_adding_a_credential_in_the_admin_submits_it_pending(browser, admin, today, practitioner):
    response = browser.post(
        f"{CHANGELIST}add/",
        {
            "practitioner": practitioner.pk,
            "kind": "training",
            "name": "Level 1",
            "issuer": "Institute",
            "hours": "27",
            "issued_on": "2025-05-01",
            "verifications-TOTAL_FORMS": "0",
            "verifications-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    credential = Credential.objects.get()
    assert (credential.status, credential.submitted_by) == (Status.PENDING, admin)


def test_the_trail_is_read_only_in_the_admin(browser, today, practitioner):
    credential = verified(CredentialFactory(practitioner=practitioner))
    decision = credential.verifications.get()
    inline = browser.get(f"{CHANGELIST}{credential.pk}/change/").context["inline_admin_formsets"][0]
    assert not inline.has_add_permission and not inline.has_change_permission and not inline.has_delete_permission

    assert browser.get("/admin/credentials/verification/").status_code == 200
    assert browser.get("/admin/credentials/verification/add/").status_code == 403
    assert browser.get(f"/admin/credentials/verification/{decision.pk}/delete/").status_code == 403
    browser.post(f"/admin/credentials/verification/{decision.pk}/change/", {"reason": "Rewritten"})
    assert Verification.objects.get(pk=decision.pk).reason == ""


def test_saving_a_state_rule_in_the_admin_requalifies_the_state(browser, today):
    set_rule("CO", min_training_hours=50)
    practitioner = PractitionerFactory()
    listing = listing_in("CO", practitioner=practitioner)
    verified(CredentialFactory(practitioner=practitioner, jurisdiction="CO"))
    verified(CredentialFactory(practitioner=practitioner, training=True, hours=54))
    listing.refresh_from_db()
    assert listing.is_qualified(TODAY)

    rule = StateRule.objects.get(state="CO")
    response = browser.post(
        f"/admin/credentials/staterule/{rule.pk}/change/",
        {
            "state": "CO",
            "dry_needling_permitted": "on",
            "permitted_professions": ["PT"],
            "min_training_hours": "60",
            "source": rule.source,
            "source_url": rule.source_url,
            "checked_on": "2026-02-01",
            "notes": rule.notes,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    listing.refresh_from_db()
    assert not listing.is_qualified(TODAY)

    # Deleting it falls back to the platform default (50 hours): qualified again.
    response = browser.post(f"/admin/credentials/staterule/{rule.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.is_qualified(TODAY)


def test_non_staff_cannot_use_the_admin(clinic_user):
    client = Client()
    client.force_login(clinic_user)
    assert client.get(CHANGELIST).status_code == 302  # to the login page


def test_admin_pages_render(browser, today, practitioner):
    credential = CredentialFactory(practitioner=practitioner)
    for url in [
        f"{CHANGELIST}add/",
        f"{CHANGELIST}{credential.pk}/change/",
        "/admin/credentials/staterule/",
        "/admin/credentials/staterule/add/",
        f"/admin/credentials/staterule/{StateRule.objects.get(state='FL').pk}/change/",
    ]:
        assert browser.get(url).status_code == 200, url
