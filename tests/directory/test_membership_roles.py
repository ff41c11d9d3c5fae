"""Changing a member's role (membership_change_role): owners and admins may, staff may not,
and the clinic always keeps an owner; removing follows the same last-owner rule."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.exceptions import Conflict
from directory import services
from directory.models import ClinicMembership
from tests.credentials.factories import AdminFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(clinic):
    owner = MembershipFactory(clinic=clinic, role="owner", user=UserFactory(username="olga"))
    staff = MembershipFactory(clinic=clinic, role="staff", user=UserFactory(username="sam"))
    return owner, staff


def role_of(membership):
    return ClinicMembership.objects.get(pk=membership.pk).role


def test_an_owner_shares_ownership_then_steps_down(members):
    owner, staff = members
    services.membership_change_role(membership=staff, role="owner", changed_by=owner.user)
    assert role_of(staff) == "owner"
    services.membership_change_role(membership=owner, role="staff", changed_by=owner.user)
    assert role_of(owner) == "staff"


def test_the_only_owner_cannot_become_staff(members):
    owner, _ = members
    with pytest.raises(Conflict):
        services.membership_change_role(membership=owner, role="staff", changed_by=owner.user)
    with pytest.raises(Conflict):
        services.membership_change_role(membership=owner, role="staff", changed_by=AdminFactory())
    assert role_of(owner) == "owner"


def test_staff_and_other_clinics_change_no_roles(members, other_clinic):
    owner, staff = members
    outsider = MembershipFactory(clinic=other_clinic, role="owner").user
    for user in (staff.user, outsider):
        with pytest.raises(PermissionDenied):
            services.membership_change_role(membership=staff, role="owner", changed_by=user)
    assert role_of(staff) == "staff"


def test_an_unknown_role_names_the_field(members):
    owner, staff = members
    with pytest.raises(ValidationError) as raised:
        services.membership_change_role(membership=staff, role="boss", changed_by=owner.user)
    assert "role" in raised.value.message_dict
