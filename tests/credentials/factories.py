"""factory_boy factories and helpers for credentials.

Factories build pending credentials; a verified one is made the way the
product makes it, through the verification service (see `verified`).
"""

import datetime

import factory
from django.contrib.auth import get_user_model

from credentials import services
from credentials.models import Credential, Kind, Method, StateRule
from directory.models import ClinicMembership
from tests.factories import ClinicFactory, ListingFactory, LocationFactory, PractitionerFactory

TODAY = datetime.date(2026, 3, 1)

# A ZIP code in each state the tests use.
ZIP_IN = {
    "WA": "98101",
    "FL": "33130",
    "DE": "19801",
    "CA": "90012",
    "CO": "80202",
    "AZ": "85004",
    "NY": "10001",
    "TX": "75201",
    "MD": "21201",
    "GA": "30303",
    "IL": "60601",
    "OR": "97204",
}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    # Unusable, so no test pays for hashing; the JWT test sets a real one.
    password = "!"


class AdminFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    is_staff = True


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClinicMembership

    clinic = factory.SubFactory(ClinicFactory)
    user = factory.SubFactory(UserFactory)
    role = ClinicMembership.Role.STAFF


class CredentialFactory(factory.django.DjangoModelFactory):
    """A pending license in Washington, valid through 2027."""

    class Meta:
        model = Credential

    practitioner = factory.SubFactory(PractitionerFactory)
    kind = Kind.LICENSE
    issuer = "Washington Board of Physical Therapy"
    jurisdiction = "WA"
    license_number = factory.Sequence(lambda n: f"PT{600000 + n}")
    profession = factory.LazyAttribute(lambda o: o.practitioner.profession)
    issued_on = datetime.date(2015, 6, 1)
    expires_on = datetime.date(2027, 12, 31)

    class Params:
        training = factory.Trait(
            kind=Kind.TRAINING,
            name="Dry Needling Level 1",
            issuer="Northwest Needling Institute",
            jurisdiction="",
            license_number="",
            profession="",
            hours=60,
            issued_on=datetime.date(2021, 4, 10),
            expires_on=None,
        )
        certification = factory.Trait(
            kind=Kind.CERTIFICATION,
            name="Certified Dry Needling Practitioner",
            issuer="Academy of Dry Needling Practitioners",
            jurisdiction="",
            license_number="",
            profession="",
            issued_on=datetime.date(2022, 9, 1),
            expires_on=datetime.date(2028, 9, 1),
        )


def verified(credential, *, by=None, today=TODAY, method=Method.PRIMARY_SOURCE):
    """Verify through the service, as an admin would."""
    by = by or AdminFactory()
    return services.credential_verify(credential=credential, decided_by=by, method=method, today=today)


def listing_in(state, *, practitioner=None, **kwargs):
    """A listing at a new location in `state`, not qualified until credentials say so."""
    location = LocationFactory(postal_code=ZIP_IN[state], **kwargs.pop("location_kwargs", {}))
    kwargs.setdefault("qualified_until", None)
    if practitioner is not None:
        kwargs["practitioner"] = practitioner
    return ListingFactory(location=location, **kwargs)


def set_rule(state, *, today=TODAY, **fields):
    """Create or replace a state's rule through the service (so listings are requalified)."""
    data = {
        "dry_needling_permitted": True,
        "permitted_professions": ["PT"],
        "min_training_hours": None,
        "min_years_licensed": None,
        "source": "Test board",
        "checked_on": datetime.date(2026, 1, 15),
        **fields,
    }
    rule = StateRule.objects.filter(state=state).first()
    if rule:
        return services.state_rule_update(rule=rule, changes=data, today=today)
    return services.state_rule_create(state=state, **data, today=today)
