"""The demo's two sign-ins: printed once per run, working, and refused outside DEBUG."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from directory.models import ClinicMembership
from tests.factories import ClinicFactory, ListingFactory, LocationFactory

pytestmark = pytest.mark.django_db


def run() -> dict[str, str]:
    out = io.StringIO()
    call_command("demo_accounts", stdout=out)
    return dict(re.findall(r"(demo-\w+) / (\S+)", out.getvalue()))


def test_the_demo_gets_an_admin_and_the_owner_of_its_busiest_clinic(settings):
    settings.DEBUG = True
    quiet = ClinicFactory(name="Quiet Clinic")
    busy = ClinicFactory(name="Busy Clinic")
    LocationFactory(clinic=quiet)
    location = LocationFactory(clinic=busy)
    ListingFactory(location=location)
    ListingFactory(location=location)

    first = run()
    assert set(first) == {"demo-admin", "demo-manager"}
    client = Client()
    assert client.login(username="demo-admin", password=first["demo-admin"])
    assert client.get("/verify/").status_code == 200
    assert client.login(username="demo-manager", password=first["demo-manager"])
    membership = ClinicMembership.objects.get(user__username="demo-manager")
    assert (membership.clinic, membership.role) == (busy, ClinicMembership.Role.OWNER)

    second = run()
    assert second["demo-admin"] != first["demo-admin"]
    assert not Client().login(username="demo-admin", password=first["demo-admin"])
    assert ClinicMembership.objects.filter(user__username="demo-manager").count() == 1


def test_refused_outside_debug(settings):
    settings.DEBUG = False
    ClinicFactory()
    with pytest.raises(CommandError, match="demo only"):
        call_command("demo_accounts", stdout=io.StringIO())
