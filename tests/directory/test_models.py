"""Directory model rules: NPI check digits, slugs, one listing per practitioner and location."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from directory import services
from directory.models import Practitioner
from directory.validators import npi_check_digit, validate_npi
from tests.factories import ListingFactory, LocationFactory, PractitionerFactory


@pytest.mark.parametrize("npi", ["1234567893", "1245319599", "1679576722", "1003000126"])
def test_valid_npis_pass(npi):
    validate_npi(npi)


@pytest.mark.parametrize("npi", ["1234567890", "1234567894", "123456789", "12345678931", "12345678A3", ""])
def test_invalid_npis_fail(npi):
    with pytest.raises(ValidationError):
        validate_npi(npi)


def test_check_digit_matches_the_cms_worked_example():
    # CMS "NPI check digit" example: 123456789 -> 3.
    assert npi_check_digit("123456789") == 3


def test_every_single_digit_typo_is_caught():
    good = "1234567893"
    for position in range(10):
        for digit in "0123456789":
            if digit == good[position]:
                continue
            typo = good[:position] + digit + good[position + 1 :]
            with pytest.raises(ValidationError):
                validate_npi(typo)


@pytest.mark.django_db
def test_practitioner_with_a_bad_npi_fails_validation_on_npi():
    practitioner = Practitioner(name="Sam Lee", slug="sam-lee", profession="PT", npi="1234567890")
    with pytest.raises(ValidationError) as excinfo:
        practitioner.full_clean()
    assert "npi" in excinfo.value.message_dict


@pytest.mark.django_db
def test_profession_must_come_from_the_fixed_list():
    practitioner = Practitioner(name="Sam Lee", slug="sam-lee", profession="RN")
    with pytest.raises(ValidationError) as excinfo:
        practitioner.full_clean()
    assert "profession" in excinfo.value.message_dict


@pytest.mark.django_db
def test_slugs_are_made_unique():
    location = LocationFactory()
    first = services.practitioner_create(clinic=location.clinic, name="Alex Kim", profession="PT", locations=[location])
    second = services.practitioner_create(
        clinic=location.clinic, name="Alex Kim", profession="DC", locations=[location]
    )
    assert (first.slug, second.slug) == ("alex-kim", "alex-kim-2")
    assert services.clinic_create(name="Alex Kim").slug == "alex-kim"


@pytest.mark.django_db
def test_two_practitioners_cannot_share_an_npi():
    PractitionerFactory(npi="1234567893")
    with pytest.raises(IntegrityError):
        PractitionerFactory(npi="1234567893")


@pytest.mark.django_db
def test_practitioners_without_npi_do_not_clash():
    PractitionerFactory(npi="")
    PractitionerFactory(npi="")


@pytest.mark.django_db
def test_a_practitioner_is_listed_once_per_location():
    listing = ListingFactory()
    with pytest.raises(IntegrityError):
        ListingFactory(practitioner=listing.practitioner, location=listing.location)


@pytest.mark.django_db
def test_a_new_listing_copies_its_locations_point_and_state():
    location = LocationFactory(postal_code="97201")
    practitioner = services.practitioner_create(
        clinic=location.clinic, name="Sam Lee", profession="PT", locations=[location]
    )
    listing = practitioner.listings.get()
    assert listing.point == location.point
    assert listing.state == location.state == "OR"
