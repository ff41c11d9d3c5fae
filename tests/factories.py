"""factory_boy factories for the directory."""

import datetime

import factory
from django.contrib.gis.geos import Point

from directory import geocoding, services
from directory.models import Clinic, Listing, Location, Practitioner, Profession

FAR_PAST = datetime.date(2000, 1, 1)
FAR_FUTURE = datetime.date(2099, 12, 31)


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Harbor Physical Therapy {n}")
    slug = factory.Sequence(lambda n: f"harbor-physical-therapy-{n}")


class LocationFactory(factory.django.DjangoModelFactory):
    """A location at a ZIP centroid (98101, downtown Seattle, unless told otherwise)."""

    class Meta:
        model = Location

    clinic = factory.SubFactory(ClinicFactory)
    address = factory.Sequence(lambda n: f"{100 + n} Pike St")
    postal_code = "98101"
    city = factory.LazyAttribute(lambda o: geocoding.zip_record(o.postal_code)[2])
    state = factory.LazyAttribute(lambda o: geocoding.zip_record(o.postal_code)[3])
    point = factory.LazyAttribute(lambda o: geocoding.zip_to_point(o.postal_code))
    accepting_new_patients = True


class PractitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practitioner
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Practitioner {n}")
    slug = factory.Sequence(lambda n: f"practitioner-{n}")
    profession = Profession.PT

    @factory.post_generation
    def specialties(self, create, extracted, **kwargs):
        if create and extracted:
            self.specialties.set(extracted)

    @factory.post_generation
    def techniques(self, create, extracted, **kwargs):
        if create and extracted:
            self.techniques.set(extracted)

    @factory.post_generation
    def languages(self, create, extracted, **kwargs):
        if create and extracted:
            self.languages.set(extracted)


class ListingFactory(factory.django.DjangoModelFactory):
    """A practitioner at a location, qualified there unless told otherwise."""

    class Meta:
        model = Listing
        skip_postgeneration_save = True

    practitioner = factory.SubFactory(PractitionerFactory)
    location = factory.SubFactory(LocationFactory)
    # The listing's copies of its location's point and state (the services write them so).
    point = factory.LazyAttribute(lambda o: o.location.point)
    state = factory.LazyAttribute(lambda o: o.location.state)
    qualified_from = factory.LazyAttribute(lambda o: None if o.qualified_until is None else FAR_PAST)
    qualified_until = FAR_FUTURE

    @factory.post_generation
    def search_filters(self, create, extracted, **kwargs):
        # The listing's copies of what the search filters on, as the services write them.
        if create:
            services.listings_refresh_filters(practitioner_ids=[self.practitioner_id])
            self.refresh_from_db()


def point_at(lat: float, lon: float) -> Point:
    return Point(lon, lat, srid=4326)
