"""manage.py seed_demo: a realistic, deterministic demo directory that the search finds."""

import datetime
from collections import defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from geopy.distance import geodesic

from credentials.expiry import scan
from credentials.expiry.models import ClinicDigest, ExpiryNotification, ScanRun
from credentials.models import Credential, StateRule, Verification
from directory import geocoding
from directory import services as directory_services
from directory.models import Clinic, Listing, Location, Practitioner
from directory.validators import validate_npi
from portal import demo

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 1)
N = 50


def seed_demo(*args, credentials=False):
    """The directory stages alone (with the stand-in qualification dates) unless credentials=True."""
    flags = [] if credentials else ["--no-credentials"]
    call_command("seed_demo", f"--practitioners={N}", "--seed=7", f"--today={TODAY}", "--verbosity=0", *flags, *args)


def snapshot():
    """Everything a seed decides, without database ids (a flushed table restarts them)."""
    return {
        "practitioners": list(
            Practitioner.objects.order_by("slug").values_list("slug", "name", "profession", "npi", "bio")
        ),
        "clinics": list(Clinic.objects.order_by("slug").values_list("slug", "name", "phone")),
        "locations": sorted(
            (loc.clinic.slug, loc.address, loc.postal_code, loc.point.coords)
            for loc in Location.objects.select_related("clinic")
        ),
        "listings": sorted(
            (row.practitioner.slug, row.location.address, row.qualified_from, row.qualified_until)
            for row in Listing.objects.select_related("practitioner", "location")
        ),
        "specialties": sorted(
            Practitioner.specialties.through.objects.values_list("practitioner__slug", "specialty__slug")
        ),
        "languages": sorted(Practitioner.languages.through.objects.values_list("practitioner__slug", "language__code")),
    }


def test_seed_creates_the_requested_practitioners_each_listed_at_its_own_clinic():
    seed_demo()

    assert Practitioner.objects.count() == N
    assert Listing.objects.count() >= N
    assert Location.objects.count() >= Clinic.objects.count() >= 1
    clinics_of = defaultdict(set)
    for practitioner_id, clinic_id in Listing.objects.values_list("practitioner_id", "location__clinic_id"):
        clinics_of[practitioner_id].add(clinic_id)
    assert set(clinics_of) == set(Practitioner.objects.values_list("id", flat=True))
    assert all(len(clinics) == 1 for clinics in clinics_of.values())
    assert not Location.objects.filter(listings__isnull=True).exists(), "every location has a practitioner"


def test_seeded_practitioners_have_vocabularies_and_valid_npis():
    seed_demo()

    for practitioner in Practitioner.objects.prefetch_related("specialties", "techniques", "languages"):
        assert 2 <= practitioner.specialties.count() <= 5
        assert 1 <= practitioner.techniques.count() <= 4
        assert practitioner.languages.count() >= 1
        assert 24 <= practitioner.verified_training_hours <= 200
        assert practitioner.bio
        if practitioner.npi:
            validate_npi(practitioner.npi)
    npis = [npi for npi in Practitioner.objects.values_list("npi", flat=True) if npi]
    assert npis and len(npis) == len(set(npis))


def test_locations_lie_near_their_real_zip_centroid_and_listings_copy_them():
    seed_demo()

    for location in Location.objects.all():
        lat, lon, city, state = geocoding.zip_record(location.postal_code)
        assert (location.city, location.state) == (city, state)
        assert geodesic((lat, lon), (location.point.y, location.point.x)).km < 2
    for listing in Listing.objects.select_related("location"):
        assert listing.point == listing.location.point
        assert listing.state == listing.location.state


def test_most_listings_are_qualified_for_years_after_the_given_day_and_some_are_not():
    seed_demo()

    runs = list(Listing.objects.values_list("qualified_from", "qualified_until"))
    qualified = [(first, last) for first, last in runs if first is not None and first <= TODAY <= last]
    assert len(qualified) >= 0.6 * len(runs)
    assert all(
        TODAY + datetime.timedelta(days=365) <= last <= TODAY + datetime.timedelta(days=3 * 365)
        for _, last in qualified
    )
    assert all(first <= last for first, last in runs if first is not None)
    assert any(first is None for first, _ in runs), "include_unqualified=true must make a difference"


def test_the_same_seed_gives_the_same_directory_and_another_seed_a_different_one():
    seed_demo()
    first = snapshot()
    seed_demo("--flush")
    assert snapshot() == first

    call_command("seed_demo", f"--practitioners={N}", "--seed=8", f"--today={TODAY}", "--flush", "--verbosity=0")
    assert snapshot()["practitioners"] != first["practitioners"]


def test_flush_empties_the_credentials_and_the_expiry_outbox_but_keeps_state_rules_and_users(today):
    seed_demo(credentials=True)
    scan.credentials_scan(today=TODAY)
    outbox = [Credential, Verification, ExpiryNotification, ClinicDigest, ScanRun]
    assert all(model.objects.exists() for model in outbox), "the seed and its scan wrote every table"
    rules = StateRule.objects.count()
    users = get_user_model().objects.count()

    seed_demo("--flush")

    assert {model.__name__: model.objects.count() for model in outbox} == dict.fromkeys(
        (model.__name__ for model in outbox), 0
    )
    assert StateRule.objects.count() == rules > 0
    assert get_user_model().objects.count() == users


def test_seed_refuses_to_add_to_a_directory_unless_flushing_or_told_to_skip():
    seed_demo()
    slugs = set(Practitioner.objects.values_list("slug", flat=True))

    with pytest.raises(CommandError, match="--flush"):
        seed_demo()
    seed_demo("--if-empty")
    assert set(Practitioner.objects.values_list("slug", flat=True)) == slugs


@pytest.mark.parametrize(
    ("argument", "named"),
    [
        ("--practitioners=-1", "--practitioners"),
        ("--batch-size=0", "--batch-size"),
        ("--index-builders=0", "--index-builders"),
    ],
)
def test_a_bad_count_is_refused_by_name_and_loads_nothing(argument, named):
    with pytest.raises(CommandError, match=named):
        call_command("seed_demo", argument, "--verbosity=0")
    assert not Practitioner.objects.exists()


def test_patients_find_seeded_practitioners_by_zip(api):
    seed_demo()
    location = Location.objects.order_by("id").last()

    response = api.get("/api/v1/practitioners/", {"zip": location.postal_code, "include_unqualified": "true"})

    assert response.status_code == 200
    slugs = {row["slug"] for row in response.json()["results"]}
    assert slugs and slugs <= set(Practitioner.objects.values_list("slug", flat=True))
    assert set(location.listings.values_list("practitioner__slug", flat=True)) <= slugs


@pytest.mark.parametrize("zip_code", demo.ANCHOR_ZIPS)
def test_even_a_small_demo_has_practitioners_in_the_anchor_cities(api, zip_code):
    seed_demo()

    response = api.get("/api/v1/practitioners/", {"zip": zip_code, "radius_km": 5, "include_unqualified": "true"})

    assert response.status_code == 200
    assert response.json()["results"]


def test_rows_added_after_a_seed_get_fresh_ids():
    demo.seed(practitioners=N, seed=7, today=TODAY, progress=False)

    clinic = directory_services.clinic_create(name="Added Later Physical Therapy")
    practitioner = directory_services.practitioner_register(name="Added Later", profession="PT")

    assert clinic.id > max(Clinic.objects.exclude(id=clinic.id).values_list("id", flat=True))
    assert practitioner.id > max(Practitioner.objects.exclude(id=practitioner.id).values_list("id", flat=True))


def test_by_default_qualification_comes_from_verified_credentials(api):
    from credentials.models import Credential, Status

    seed_demo(credentials=True)

    qualified = Listing.objects.qualified_on(TODAY).select_related("practitioner")
    assert qualified.exists()
    for listing in qualified:
        assert Credential.objects.filter(
            practitioner=listing.practitioner,
            kind="license",
            jurisdiction=listing.state,
            status=Status.VERIFIED,
            issued_on__lte=TODAY,
            expires_on__gte=TODAY,
        ).exists(), listing
    assert Credential.objects.filter(status=Status.PENDING).exists(), "the admin queue has work"
    assert Listing.objects.filter(qualified_until__isnull=True).exists()


@pytest.mark.parametrize("chunk", [7, 250_000])
def test_seeded_qualification_and_hours_agree_with_the_python_rule(monkeypatch, chunk):
    """Requalified inside the load, in ranges of `chunk` practitioners (several ranges, or one)."""
    from portal.demo import credentials as demo_credentials
    from tests.credentials.test_requalification import expected_windows

    monkeypatch.setattr(demo_credentials, "SETTLE_CHUNK", chunk)
    seed_demo(credentials=True)

    ids = list(Practitioner.objects.values_list("pk", flat=True))
    windows, hours = expected_windows(ids, TODAY)
    stored = {row[0]: row[1:] for row in Listing.objects.values_list("id", "qualified_from", "qualified_until")}
    assert stored == windows
    assert dict(Practitioner.objects.values_list("id", "verified_training_hours")) == hours
    assert any(value > 0 for value in hours.values())
    # The listings' copies of the hours (the min_training_hours filter) follow their practitioner's.
    for listing in Listing.objects.select_related("practitioner"):
        assert listing.verified_training_hours == listing.practitioner.verified_training_hours


@pytest.mark.parametrize("credentials", [True, False])
def test_every_seeded_listing_carries_its_practitioners_and_locations_filter_facts(credentials):
    seed_demo(credentials=credentials)
    terms = defaultdict(lambda: defaultdict(list))
    for relation, column in (
        ("specialties", "specialty_id"),
        ("techniques", "technique_id"),
        ("languages", "language_id"),
    ):
        for practitioner_id, term_id in getattr(Practitioner, relation).through.objects.values_list(
            "practitioner_id", column
        ):
            terms[practitioner_id][relation].append(term_id)
    listings = Listing.objects.select_related("practitioner", "location__clinic")
    assert listings.count() >= N
    for listing in listings:
        held = terms[listing.practitioner_id]
        assert listing.practitioner_name == listing.practitioner.name
        assert listing.clinic_name == listing.location.clinic.name
        assert listing.specialty_ids == sorted(held["specialties"])
        assert listing.technique_ids == sorted(held["techniques"])
        assert listing.language_ids == sorted(held["languages"])
        assert listing.profession == listing.practitioner.profession
        assert listing.verified_training_hours == listing.practitioner.verified_training_hours
        assert listing.accepting_new_patients == listing.location.accepting_new_patients
    assert any(listing.specialty_ids for listing in listings)
