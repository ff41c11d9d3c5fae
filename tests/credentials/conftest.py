"""Fixtures for the credentials tests: the day they freeze and a practitioner at a clinic."""

import pytest

from tests.credentials.factories import TODAY, listing_in
from tests.factories import PractitionerFactory


@pytest.fixture
def frozen_day():
    """The credentials tests run on TODAY (2026-03-01), the day their factories' dates are relative to."""
    return TODAY


@pytest.fixture
def practitioner(clinic):
    """A PT listed at the clinic's Seattle location (not qualified: no credentials yet)."""
    practitioner = PractitionerFactory(name="Dana Whitfield")
    listing_in("WA", practitioner=practitioner, location_kwargs={"clinic": clinic})
    return practitioner
