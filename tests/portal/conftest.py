"""Fixtures for the tests of the composition layer, which show the directory and the
credentials together: the credentials tests' day and practitioner, the directory tests'
`listed`."""

from tests.credentials.conftest import frozen_day, practitioner
from tests.directory.conftest import listed

__all__ = ["frozen_day", "listed", "practitioner"]

from tests.portal.clinic_fixtures import (  # noqa: E402
    browser_as,
    consultation,
    license_,
    location,
    outsider,
    owner,
    people,
    roster_job,
    staff,
    therapist,
)

__all__ += [
    "browser_as",
    "consultation",
    "license_",
    "location",
    "outsider",
    "owner",
    "people",
    "roster_job",
    "staff",
    "therapist",
]
