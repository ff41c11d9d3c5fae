"""Personas and a small clinic for the clinic workspace's page tests: the clinic's owner
and staff, a member of another clinic, and anonymous; each a Django test client signed in
with a session, as a browser is."""

import pytest
from django.test import Client

from directory.models import ClinicMembership, ConsultationRequest
from portal.models import RosterImport
from tests.credentials.factories import CredentialFactory, MembershipFactory, UserFactory, listing_in
from tests.factories import PractitionerFactory


@pytest.fixture
def owner(clinic):
    return MembershipFactory(
        clinic=clinic, user=UserFactory(username="harbor-owner"), role=ClinicMembership.Role.OWNER
    ).user


@pytest.fixture
def staff(clinic):
    return MembershipFactory(
        clinic=clinic, user=UserFactory(username="harbor-staff"), role=ClinicMembership.Role.STAFF
    ).user


@pytest.fixture
def outsider(other_clinic):
    """A member (owner) of another clinic."""
    return MembershipFactory(
        clinic=other_clinic, user=UserFactory(username="elsewhere-owner"), role=ClinicMembership.Role.OWNER
    ).user


@pytest.fixture
def browser_as():
    def make(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def people(owner, staff, outsider, browser_as):
    return {
        "owner": browser_as(owner),
        "staff": browser_as(staff),
        "other_clinic": browser_as(outsider),
        "anonymous": browser_as(None),
    }


@pytest.fixture
def therapist(clinic):
    """A PT listed at the clinic's Seattle location, with a pending license."""
    practitioner = PractitionerFactory(name="Dana Whitfield")
    listing_in("WA", practitioner=practitioner, location_kwargs={"clinic": clinic, "name": "Downtown"})
    return practitioner


@pytest.fixture
def license_(therapist):
    return CredentialFactory(practitioner=therapist)


@pytest.fixture
def location(therapist, clinic):
    return clinic.locations.get()


@pytest.fixture
def consultation(therapist, location):
    return ConsultationRequest.objects.create(
        practitioner=therapist,
        location=location,
        name="Pat Patient",
        email="pat@example.com",
        phone="",
        message="My neck hurts when I turn my head.",
    )


@pytest.fixture
def roster_job(clinic, owner):
    return RosterImport.objects.create(
        clinic=clinic, uploaded_by=owner, file_name="team.csv", content=b"name,profession,location\n", dry_run=True
    )
