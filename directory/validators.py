"""Validators for directory fields."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

postal_code_validator = RegexValidator(r"^\d{5}$", "Enter a 5-digit US ZIP code.")


def npi_check_digit(first_nine: str) -> int:
    """The CMS check digit of an NPI: Luhn over the 9 digits prefixed with 80840.

    The prefix is the NPI's ISO 7812 issuer identifier; CMS documents the
    shortcut of adding 24 to the doubled-digit sum instead, which is the same.
    """
    total = 0
    for position, char in enumerate(reversed("80840" + first_nine)):
        digit = int(char)
        if position % 2 == 0:  # rightmost payload digit is doubled
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def validate_npi(value: str) -> None:
    """A National Provider Identifier: 10 digits, the last a Luhn check digit."""
    if not (len(value) == 10 and value.isdigit()):
        raise ValidationError("An NPI is exactly 10 digits.", code="npi_format")
    if npi_check_digit(value[:9]) != int(value[9]):
        raise ValidationError("This NPI's check digit is wrong; check for a typo.", code="npi_check_digit")


def phone_validator(value: str) -> None:
    """A phone number a clinic can dial: digits with the usual separators, 10 to 15 digits
    (a US number with its area code, or an international one with its country code)."""
    if not value:
        return
    if any(char not in "0123456789+-(). " for char in value):
        raise ValidationError("Use digits and + - ( ) . or spaces only.", code="phone_characters")
    digits = sum(char.isdigit() for char in value)
    if not 10 <= digits <= 15:
        raise ValidationError("A phone number has 10 to 15 digits, area code included.", code="phone_length")
