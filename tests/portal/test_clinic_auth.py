"""Signing in to the clinic workspace: where a user lands, signing out, the password reset
by email, and the failed-login throttle of the API and the admin."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from directory.models import ClinicMembership
from tests.credentials.factories import MembershipFactory, UserFactory
from tests.factories import ClinicFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # noqa: S105 (a test account's)


@pytest.fixture
def manager(clinic):
    user = UserFactory(username="manager", email="manager@example.com")
    user.set_password(PASSWORD)
    user.save()
    MembershipFactory(clinic=clinic, user=user, role=ClinicMembership.Role.OWNER)
    return user


def sign_in(client, username="manager", password=PASSWORD):
    return client.post(reverse("clinic:sign-in"), {"username": username, "password": password})


def test_the_sign_in_page_has_labelled_inputs_and_a_csrf_token(client):
    body = client.get(reverse("clinic:sign-in")).content.decode()
    assert 'name="csrfmiddlewaretoken"' in body
    assert '<label for="id_username">' in body and '<label for="id_password">' in body


def test_a_manager_of_one_clinic_lands_on_its_dashboard(manager, clinic):
    client = Client()
    response = sign_in(client)
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == reverse("clinic:dashboard", args=[clinic.pk])
    assert clinic.name in client.get(response["Location"]).content.decode()


def test_a_manager_of_several_clinics_chooses_one(manager, clinic):
    second = ClinicFactory(name="Second Street Physio")
    MembershipFactory(clinic=second, user=manager)
    client = Client()
    sign_in(client)
    body = client.get(reverse("clinic:home")).content.decode()
    assert "Choose a clinic" in body
    assert reverse("clinic:dashboard", args=[clinic.pk]) in body
    assert reverse("clinic:dashboard", args=[second.pk]) in body


def test_a_user_without_a_clinic_is_told_so(db):
    user = UserFactory(username="lonely")
    client = Client()
    client.force_login(user)
    response = client.get(reverse("clinic:home"))
    assert response.status_code == 200
    assert "Your account has no clinic yet" in response.content.decode()


def test_a_wrong_password_shows_the_form_again_and_signs_no_one_in(manager):
    client = Client()
    response = sign_in(client, password="wrong")
    assert response.status_code == 200
    assert "did not match" in response.content.decode()
    assert client.get(reverse("clinic:home")).status_code == 302
    assert client.get(reverse("clinic:home"))["Location"] == reverse("clinic:sign-in")


def test_repeated_failures_are_throttled_like_the_api(manager, settings):
    client = Client()
    for _ in range(10):
        assert sign_in(client, password="wrong").status_code == 200
    response = sign_in(client)  # even the right password waits
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert int(response["Retry-After"]) > 0


def test_signing_out_is_a_post(manager):
    client = Client()
    sign_in(client)
    assert client.get(reverse("clinic:sign-out")).status_code == 405
    response = client.post(reverse("clinic:sign-out"))
    assert response.status_code == 302
    assert client.get(reverse("clinic:home"))["Location"] == reverse("clinic:sign-in")


def test_forms_refuse_a_post_without_the_csrf_token(manager):
    client = Client(enforce_csrf_checks=True)
    assert sign_in(client).status_code == 403


def test_password_reset_by_email(manager):
    client = Client()
    response = client.post(reverse("clinic:password-reset"), {"email": "manager@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("clinic:password-reset-sent")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["manager@example.com"]
    link = re.search(r"https?://[^/]+(/clinic/password-reset/[^/]+/[^/]+/)", message.body).group(1)
    response = client.get(link)
    assert response.status_code == 302  # Django hides the token behind a redirect
    form_url = response["Location"]
    new = "a brand new passphrase 42"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert response["Location"] == reverse("clinic:password-reset-complete")
    assert sign_in(Client(), password=new).status_code == 302
    assert sign_in(Client()).status_code == 200  # the old one no longer works


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(manager):
    response = Client().post(reverse("clinic:password-reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("clinic:password-reset-sent")
    assert mail.outbox == []
