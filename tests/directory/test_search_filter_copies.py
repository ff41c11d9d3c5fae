"""The listing's copies of what the search filters on (terms, profession, hours, accepting, names).

Two things are pinned here: every directory service that changes a source
leaves the copies equal to what the sources say (checked against the
sources, row by row), and the search over the copies returns what an
independent reference computes from the sources (every filter, alone and
combined, with the nearest-matching-location rule and geodesic distances).
"""

import random
import re

import pytest
from django.db import connection

from directory import services
from directory.models import Language, Listing, Profession, Specialty, Technique
from tests.factories import ClinicFactory, ListingFactory, LocationFactory, PractitionerFactory, point_at
from tests.geo import SEATTLE, geodesic_km, offset

pytestmark = pytest.mark.django_db

URL = "/api/v1/practitioners/"
NEAR = f"{SEATTLE[0]},{SEATTLE[1]}"


def sources(listing: Listing) -> dict:
    """What the listing's copies must say, read from the practitioner, their links, the location
    and its clinic."""
    practitioner, location = listing.practitioner, listing.location
    return {
        "specialty_ids": sorted(practitioner.specialties.values_list("id", flat=True)),
        "technique_ids": sorted(practitioner.techniques.values_list("id", flat=True)),
        "language_ids": sorted(practitioner.languages.values_list("id", flat=True)),
        "profession": practitioner.profession,
        "verified_training_hours": practitioner.verified_training_hours,
        "accepting_new_patients": location.accepting_new_patients,
        "practitioner_name": practitioner.name,
        "clinic_name": location.clinic.name,
    }


def copies(listing: Listing) -> dict:
    return {field: getattr(listing, field) for field in sources(listing)}


def assert_in_step():
    listings = list(Listing.objects.select_related("practitioner", "location__clinic").order_by("id"))
    assert listings
    for listing in listings:
        assert copies(listing) == sources(listing), listing


def term(model, key):
    return model.objects.get(**{"code" if model is Language else "slug": key})


# --- the services keep the copies in step --------------------------------------


def test_a_new_listing_copies_its_practitioner_and_location():
    practitioner = PractitionerFactory(
        profession=Profession.DC,
        specialties=[term(Specialty, "neck-pain"), term(Specialty, "sciatica")],
        techniques=[term(Technique, "deep-dry-needling")],
        languages=[term(Language, "es")],
    )
    location = LocationFactory(accepting_new_patients=False)
    listing = services.listing_add(practitioner=practitioner, location=location)
    assert copies(listing) == sources(listing)
    assert listing.accepting_new_patients is False and listing.profession == "DC"
    assert_in_step()


def test_practitioner_terms_and_profession_edits_follow():
    listing = ListingFactory(practitioner=PractitionerFactory(specialties=[term(Specialty, "neck-pain")]))
    ListingFactory(practitioner=listing.practitioner)  # a second location: both follow
    bystander = ListingFactory(practitioner=PractitionerFactory(specialties=[term(Specialty, "neck-pain")]))
    services.practitioner_update(
        practitioner=listing.practitioner,
        specialties=[term(Specialty, "knee-pain")],
        techniques=[term(Technique, "electrical-dry-needling"), term(Technique, "deep-dry-needling")],
        languages=[term(Language, "zh")],
    )
    assert_in_step()
    services.practitioner_update(practitioner=listing.practitioner, changes={"profession": Profession.LAC})
    assert_in_step()
    services.practitioner_update(practitioner=listing.practitioner, specialties=[], techniques=[], languages=[])
    assert_in_step()
    listing.refresh_from_db()
    bystander.refresh_from_db()
    assert (listing.specialty_ids, listing.profession) == ([], "LAc")
    assert bystander.specialty_ids == [term(Specialty, "neck-pain").id]


def test_location_accepting_new_patients_edit_follows():
    location = LocationFactory()
    ListingFactory(location=location)
    ListingFactory(location=location)
    other = ListingFactory()
    services.location_update(location=location, changes={"accepting_new_patients": False})
    assert_in_step()
    assert set(Listing.objects.filter(location=location).values_list("accepting_new_patients", flat=True)) == {False}
    other.refresh_from_db()
    assert other.accepting_new_patients is True
    services.location_update(location=location, changes={"accepting_new_patients": True, "name": "Annex"})
    assert_in_step()


def test_clinic_services_that_add_listings_fill_the_copies():
    clinic = ClinicFactory()
    first, second = LocationFactory(clinic=clinic), LocationFactory(clinic=clinic, accepting_new_patients=False)
    created = services.practitioner_create(
        clinic=clinic,
        name="Ana Ruiz",
        profession=Profession.PT,
        locations=[first],
        specialties=[term(Specialty, "low-back-pain")],
        techniques=[term(Technique, "deep-dry-needling")],
        languages=[term(Language, "es"), term(Language, "en")],
    )
    assert_in_step()
    services.practitioner_update(practitioner=created, clinic=clinic, locations=[first, second])
    assert_in_step()
    services.practitioners_create_many(
        clinic=clinic,
        practitioners=[
            services.NewPractitioner(
                name="Ben Cho",
                profession=Profession.MD,
                locations=(first, second),
                specialties=(term(Specialty, "headaches"),),
                languages=(term(Language, "ko"),),
            ),
            services.NewPractitioner(name="Mei Lin", profession=Profession.NP, locations=(second,)),
        ],
    )
    assert_in_step()
    assert Listing.objects.count() == 5


def test_a_practitioner_renamed_is_renamed_on_every_listing_of_theirs():
    listing = ListingFactory(practitioner=PractitionerFactory(name="Anh Nguyen"))
    ListingFactory(practitioner=listing.practitioner)  # a second location: both follow
    bystander = ListingFactory(practitioner=PractitionerFactory(name="Bao Tran"), location=listing.location)
    services.practitioner_update(practitioner=listing.practitioner, changes={"name": "Anh Nguyễn-Okafor"})
    assert_in_step()
    assert set(
        Listing.objects.filter(practitioner=listing.practitioner).values_list("practitioner_name", flat=True)
    ) == {"Anh Nguyễn-Okafor"}
    bystander.refresh_from_db()
    assert bystander.practitioner_name == "Bao Tran"
    # Other details leave the names (and everything else) as they are.
    services.practitioner_update(practitioner=listing.practitioner, changes={"bio": "Sports injuries."})
    assert_in_step()


def test_a_clinic_renamed_is_renamed_on_every_listing_at_its_locations():
    clinic, other = ClinicFactory(name="Summit Spine"), ClinicFactory(name="Harbor Physio")
    here = [ListingFactory(location=LocationFactory(clinic=clinic)) for _ in range(2)]
    ListingFactory(location=here[0].location)
    # A practitioner at both clinics: only the listing at the renamed one changes.
    elsewhere = ListingFactory(practitioner=here[0].practitioner, location=LocationFactory(clinic=other))
    services.clinic_update(clinic=clinic, changes={"name": "Summit Spine & Sport"})
    assert_in_step()
    assert set(Listing.objects.filter(location__clinic=clinic).values_list("clinic_name", flat=True)) == {
        "Summit Spine & Sport"
    }
    elsewhere.refresh_from_db()
    assert elsewhere.clinic_name == "Harbor Physio"
    services.clinic_update(clinic=clinic, changes={"phone": "+1 206 555 0100"})
    assert_in_step()


def test_a_listing_at_another_clinic_copies_that_clinics_name():
    practitioner = ListingFactory(location=LocationFactory(clinic=ClinicFactory(name="Summit Spine"))).practitioner
    there = services.listing_add(practitioner=practitioner, location=LocationFactory(clinic=ClinicFactory(name="Kai")))
    assert (there.practitioner_name, there.clinic_name) == (practitioner.name, "Kai")
    assert_in_step()


def test_refreshing_everything_repairs_every_copy_and_writes_only_what_differs():
    for n in range(4):
        ListingFactory(
            practitioner=PractitionerFactory(specialties=[term(Specialty, "neck-pain")], verified_training_hours=n),
            location=LocationFactory(accepting_new_patients=bool(n % 2)),
        )
    Listing.objects.update(specialty_ids=[], profession="", verified_training_hours=7, accepting_new_patients=True)
    assert services.listings_refresh_filters() == 4
    assert_in_step()
    Listing.objects.update(practitioner_name="", clinic_name="stale")
    assert services.listings_refresh_filters() == 4
    assert_in_step()
    assert services.listings_refresh_filters() == 0
    assert services.listings_refresh_filters(practitioner_ids=[]) == 0


# --- the search over the copies equals a reference over the sources --------------


def reference(listings, params, today_qualified=True):
    """The page the search must return, computed in Python from the sources: for each practitioner,
    their nearest listing (geodesic) that passes every filter within the radius, nearest first."""
    radius_km = float(params.get("radius_km", 40))
    wanted = {
        "specialty": ("specialties", Specialty, "slug"),
        "technique": ("techniques", Technique, "slug"),
        "language": ("languages", Language, "code"),
    }
    best = {}
    for listing in listings:
        practitioner, location = listing.practitioner, listing.location
        if params.get("include_unqualified") != "true" and listing.qualified_until is None:
            continue
        ok = True
        for name, (relation, _, key) in wanted.items():
            if name in params:
                held = set(getattr(practitioner, relation).values_list(key, flat=True))
                ok &= bool(held & set(params[name].split(",")))
        if "profession" in params:
            ok &= practitioner.profession in params["profession"].split(",")
        if "accepting_new_patients" in params:
            ok &= location.accepting_new_patients == (params["accepting_new_patients"] == "true")
        if "min_training_hours" in params:
            ok &= practitioner.verified_training_hours >= int(params["min_training_hours"])
        km = geodesic_km(SEATTLE, (location.point.y, location.point.x))
        if not ok or km > radius_km:
            continue
        if practitioner.pk not in best or km < best[practitioner.pk][0]:
            best[practitioner.pk] = (km, practitioner.slug, location.pk)
    page = sorted(best.values())[: int(params.get("limit", 20))]
    return page


@pytest.fixture
def population():
    """40 practitioners around Seattle with 1-3 listings each, every fact drawn at random.

    Distances are 600 m apart (plus a little), so no two listings tie and the
    sphere (the index's order) and the spheroid (the distance shown) agree on
    the order; none lies within 1% of a radius the queries use.
    """
    rng = random.Random("search-filter-copies")
    specialties = list(Specialty.objects.all())
    techniques = list(Technique.objects.all())
    languages = list(Language.objects.filter(code__in=["en", "es", "zh", "ko", "vi"]))
    rings = list(range(1, 100))
    rng.shuffle(rings)
    listings = []
    for _ in range(40):
        practitioner = PractitionerFactory(
            profession=rng.choice(Profession.values),
            verified_training_hours=rng.choice([0, 12, 27, 40, 80]),
            specialties=rng.sample(specialties, rng.randint(0, 3)),
            techniques=rng.sample(techniques, rng.randint(0, 2)),
            languages=rng.sample(languages, rng.randint(0, 2)),
        )
        for _ in range(rng.randint(1, 3)):
            metres = rings.pop() * 600 + rng.randint(0, 150)
            location = LocationFactory(
                point=point_at(*offset(SEATTLE, metres, rng.uniform(0, 360))),
                accepting_new_patients=rng.random() < 0.6,
            )
            qualified = rng.random() < 0.8
            listings.append(
                ListingFactory(practitioner=practitioner, location=location, qualified_until=None)
                if not qualified
                else ListingFactory(practitioner=practitioner, location=location)
            )
    assert_in_step()
    return listings


QUERIES = [
    {},
    {"specialty": "low-back-pain", "technique": "deep-dry-needling"},
    {"specialty": "neck-pain,sciatica"},
    {"technique": "superficial-dry-needling"},
    {"language": "es,zh"},
    {"profession": "PT,DC,LAc"},
    {"accepting_new_patients": "true"},
    {"accepting_new_patients": "false"},
    {"min_training_hours": "27"},
    {"include_unqualified": "true"},
    {"include_unqualified": "true", "accepting_new_patients": "true", "min_training_hours": "40"},
    {"specialty": "neck-pain,headaches,knee-pain", "accepting_new_patients": "true", "radius_km": "25"},
    {"technique": "deep-dry-needling", "language": "en,es", "profession": "PT,MD,NP", "limit": "5"},
    {"accepting_new_patients": "true", "min_training_hours": "12", "radius_km": "33", "limit": "7"},
]


@pytest.mark.parametrize("params", QUERIES, ids=lambda params: "&".join(f"{k}={v}" for k, v in params.items()))
def test_search_equals_the_reference_over_the_sources(api, population, params):
    response = api.get(URL, {"near": NEAR, **params})
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    expected = reference(population, params)
    assert [(row["slug"], row["location"]["id"]) for row in rows] == [(slug, loc) for _, slug, loc in expected]
    for row, (km, _, _) in zip(rows, expected):
        assert row["distance_km"] == pytest.approx(km, rel=0.005, abs=0.002)


def test_the_nearest_location_is_chosen_among_those_that_pass_every_filter(api):
    """A practitioner's nearer listings each fail one filter (unqualified, not accepting);
    the one shown is the nearest that passes them all, at its own distance."""
    practitioner = PractitionerFactory(
        specialties=[term(Specialty, "low-back-pain")], techniques=[term(Technique, "deep-dry-needling")]
    )
    at = [offset(SEATTLE, metres, bearing) for metres, bearing in ((900, 10), (2_000, 100), (5_000, 200))]
    ListingFactory(practitioner=practitioner, location=LocationFactory(point=point_at(*at[0])), qualified_until=None)
    ListingFactory(
        practitioner=practitioner,
        location=LocationFactory(point=point_at(*at[1]), accepting_new_patients=False),
    )
    chosen = ListingFactory(practitioner=practitioner, location=LocationFactory(point=point_at(*at[2])))
    params = {
        "near": NEAR,
        "specialty": "low-back-pain",
        "technique": "deep-dry-needling",
        "accepting_new_patients": "true",
    }
    [row] = api.get(URL, params).json()["results"]
    assert row["location"]["id"] == chosen.location_id
    assert row["distance_km"] == pytest.approx(geodesic_km(SEATTLE, at[2]), rel=0.005)
    # Without the accepting filter, the 2 km listing is the nearest that passes.
    del params["accepting_new_patients"]
    [row] = api.get(URL, params).json()["results"]
    assert row["distance_km"] == pytest.approx(geodesic_km(SEATTLE, at[1]), rel=0.005)
    # A location that starts accepting again is chosen at once.
    services.location_update(location=chosen.location, changes={"accepting_new_patients": False})
    params["accepting_new_patients"] = "true"
    assert api.get(URL, params).json()["results"] == []


def test_the_qualified_only_knn_index_leaves_out_listings_qualified_on_no_day():
    """The search walks a partial index (see Listing.Meta); the migration writes it by hand
    because Django's PostGIS schema editor drops a geometry index's condition."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'listing_qualified_point'")
        [(definition,)] = cursor.fetchall()
    assert definition.endswith("USING gist (point) WHERE (qualified_until IS NOT NULL)")


def test_a_search_by_language_tests_the_languages_inside_the_spatial_index(api):
    """The language filter is written with intarray's operator (core.lookups), which the
    partial spatial index holding the languages serves (Listing.Meta): the walk nearest
    first tests each listing's languages in the index, not after reading the row."""
    speaks = PractitionerFactory(languages=[term(Language, "ht")])
    listing = ListingFactory(practitioner=speaks, location=LocationFactory(point=point_at(*offset(SEATTLE, 800, 45))))
    ListingFactory(practitioner=PractitionerFactory(languages=[term(Language, "es")]))
    walks = []

    def keep_walk(execute, sql, params, many, context):
        if "language_ids" in sql and "ORDER BY" in sql:
            walks.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep_walk):
        results = api.get(URL, {"near": NEAR, "language": "ht"}).json()["results"]
    assert [row["id"] for row in results] == [speaks.id]
    assert results[0]["location"]["id"] == listing.location_id
    sql, params = walks[0]
    assert "OPERATOR(intarray.&&)" in sql
    with connection.cursor() as cursor:
        # Whether this index can serve the walk, not which index the planner prefers on
        # a few rows: the other walk is dropped inside the test's transaction.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute('DROP INDEX "listing_qualified_point"')
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    # The walk itself: nearest first through this index, the languages tested in it.
    walk = r"Index Scan using listing_qualified_languages on directory_listing +\(.*\n"
    walk += r" +Index Cond: .*language_ids OPERATOR\(intarray\.&&\).*\n +Order By: \(point <->"
    assert re.search(walk, plan), plan


def test_intarray_lives_outside_the_search_path():
    """intarray's operators serve only the lookup that names them: installed where the
    search path finds them, they would take over every `integer[] && integer[]`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname, n.nspname = ANY(current_schemas(true)) FROM pg_extension e"
            " JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'intarray'"
        )
        assert cursor.fetchall() == [("intarray", False)]
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'listing_qualified_languages'")
        [(definition,)] = cursor.fetchall()
    # gist__int_ops is intarray's default GiST class for integer arrays: not spelled out.
    assert definition.endswith("USING gist (point, language_ids) WHERE (qualified_until IS NOT NULL)")
