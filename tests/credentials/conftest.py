"""Fixtures for the credentials tests: a frozen today, the personas, a practitioner at a clinic."""

import datetime
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.credentials.factories import TODAY, AdminFactory, MembershipFactory, UserFactory, listing_in
from tests.factories import ClinicFactory, PractitionerFactory

_real_localdate = timezone.localdate


@pytest.fixture
def freeze_today():
    """Make timezone.localdate() (with no argument) answer `day`; returns a setter."""
    state = {"day": TODAY}

    def localdate(value=None, timezone=None):
        if value is None:
            return state["day"]
        return _real_localdate(value, timezone)

    def set_day(day: datetime.date):
        state["day"] = day

    with mock.patch("django.utils.timezone.localdate", side_effect=localdate):
        yield set_day


@pytest.fixture
def today(freeze_today):
    """Every request in the test runs on TODAY (2026-03-01)."""
    return TODAY


@pytest.fixture
def admin(db):
    """A staff user: the product's admin (is_staff, no superuser powers needed)."""
    return AdminFactory(username="verifier")


@pytest.fixture
def clinic(db):
    return ClinicFactory(name="Harbor Physical Therapy")


@pytest.fixture
def other_clinic(db):
    return ClinicFactory(name="Elsewhere Spine Center")


@pytest.fixture
def clinic_user(clinic):
    return MembershipFactory(clinic=clinic, user=UserFactory(username="harbor-staff")).user


@pytest.fixture
def other_clinic_user(other_clinic):
    return MembershipFactory(clinic=other_clinic, user=UserFactory(username="elsewhere-staff")).user


@pytest.fixture
def practitioner(clinic):
    """A PT listed at the clinic's Seattle location (not qualified: no credentials yet)."""
    practitioner = PractitionerFactory(name="Dana Whitfield")
    listing_in("WA", practitioner=practitioner, location_kwargs={"clinic": clinic})
    return practitioner


@pytest.fixture
def client_for():
    def make(user):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def personas(admin, clinic_user, other_clinic_user, client_for):
    """name -> client, for the four personas of every authenticated endpoint."""
    return {
        "admin": client_for(admin),
        "clinic": client_for(clinic_user),
        "other_clinic": client_for(other_clinic_user),
        "anonymous": client_for(None),
    }
