"""Clinic owners invite staff by email; the answer never says whether an account exists, and
whoever holds the emailed code joins the clinic once, as themselves or as a new account."""

import re

import pytest
from django.core import mail
from rest_framework.test import APIClient

from directory.models import ClinicInvitation, ClinicMembership
from tests.credentials.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(clinic, client_for):
    return client_for(MembershipFactory(clinic=clinic, role="owner", user=UserFactory(username="owner-olga")).user)


@pytest.fixture
def invite(clinic, django_capture_on_commit_callbacks):
    def send(client, email, role="staff"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/api/v1/clinics/{clinic.pk}/invitations/", {"email": email, "role": role})

    return send


def code_in(message) -> str:
    return re.search(r"^    (\S{40,})$", message.body, re.MULTILINE).group(1)


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(owner, invite):
    UserFactory(username="kim", email="kim@example.com")
    known = invite(owner, "kim@example.com")
    unknown = invite(owner, "nobody-here@example.com")
    assert known.status_code == unknown.status_code == 202
    # The same keys and role, and nothing that tells the two apart but the address itself.
    assert set(known.json()) == set(unknown.json())
    assert (known.json()["role"], known.json()["accepted_at"]) == (
        unknown.json()["role"],
        unknown.json()["accepted_at"],
    )
    assert [m.to for m in mail.outbox] == [["kim@example.com"], ["nobody-here@example.com"]]
    assert mail.outbox[0].subject == mail.outbox[1].subject


def test_a_new_person_accepts_with_a_new_account_and_the_code_works_once(owner, invite, clinic):
    invite(owner, "new.hire@example.com")
    code = code_in(mail.outbox[0])
    accepted = APIClient().post(
        "/api/v1/invitations/accept/",
        {"token": code, "username": "new-hire", "password": "a long passphrase 2026"},
        format="json",
    )
    assert accepted.status_code == 201
    membership = ClinicMembership.objects.get(user__username="new-hire")
    assert (membership.clinic, membership.role, membership.user.email) == (clinic, "staff", "new.hire@example.com")
    again = APIClient().post(
        "/api/v1/invitations/accept/", {"token": code, "username": "other", "password": "another passphrase 99"}
    )
    assert again.status_code == 400 and "token" in again.json()["errors"]


def test_a_signed_in_user_accepts_as_themselves(owner, invite, clinic, client_for):
    kim = UserFactory(username="kim", email="kim@example.com")
    invite(owner, "kim@example.com")
    response = client_for(kim).post("/api/v1/invitations/accept/", {"token": code_in(mail.outbox[0])})
    assert response.status_code == 201
    assert ClinicMembership.objects.filter(clinic=clinic, user=kim, role="staff").exists()


def test_a_weak_password_or_a_taken_username_is_a_400_naming_it(owner, invite):
    UserFactory(username="taken")
    invite(owner, "someone@example.com")
    code = code_in(mail.outbox[0])
    weak = APIClient().post("/api/v1/invitations/accept/", {"token": code, "username": "fresh", "password": "123"})
    taken = APIClient().post(
        "/api/v1/invitations/accept/", {"token": code, "username": "taken", "password": "a long passphrase 2026"}
    )
    assert weak.status_code == 400 and "password" in weak.json()["errors"]
    assert taken.status_code == 400 and "username" in taken.json()["errors"]
    assert ClinicInvitation.objects.get().accepted_at is None  # still usable


def test_an_unknown_code_is_a_400_naming_token(api):
    response = api.post("/api/v1/invitations/accept/", {"token": "x" * 43, "username": "a", "password": "b"})
    assert response.status_code == 400 and "token" in response.json()["errors"]


def test_staff_cannot_invite_and_owners_cannot_invite_owners(personas, owner, invite, clinic):
    assert invite(personas["clinic"], "friend@example.com").status_code == 403
    assert invite(owner, "friend@example.com", role="owner").status_code == 403
    assert invite(personas["admin"], "boss@example.com", role="owner").status_code == 202
    assert not ClinicInvitation.objects.filter(email="friend@example.com").exists()


@pytest.mark.parametrize(("persona", "expected"), [("other_clinic", 404), ("anonymous", 401)])
def test_outsiders_cannot_invite_or_list_invitations(personas, invite, clinic, persona, expected):
    assert invite(personas[persona], "intruder@example.com").status_code == expected
    assert personas[persona].get(f"/api/v1/clinics/{clinic.pk}/invitations/").status_code == expected
    assert not ClinicInvitation.objects.exists()


def test_owners_list_their_clinics_invitations_staff_do_not(personas, owner, invite, clinic):
    invite(owner, "new.hire@example.com")
    listed = owner.get(f"/api/v1/clinics/{clinic.pk}/invitations/").json()["results"]
    assert [(row["email"], row["role"], row["accepted_at"]) for row in listed] == [
        ("new.hire@example.com", "staff", None)
    ]
    assert personas["clinic"].get(f"/api/v1/clinics/{clinic.pk}/invitations/").status_code == 403
