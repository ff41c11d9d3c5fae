"""Fixtures for the credentials tests: a frozen today and a practitioner at a clinic."""

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from tests.credentials.factories import TODAY, listing_in
from tests.factories import PractitionerFactory

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
def practitioner(clinic):
    """A PT listed at the clinic's Seattle location (not qualified: no credentials yet)."""
    practitioner = PractitionerFactory(name="Dana Whitfield")
    listing_in("WA", practitioner=practitioner, location_kwargs={"clinic": clinic})
    return practitioner
