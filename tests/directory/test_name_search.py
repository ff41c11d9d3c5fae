"""The name search (`q`) of GET /api/v1/practitioners/: both of its plans give the rows of a reference.

With or without a place, the search takes one of two routes
(directory.selectors.named_listing_ids): when the listings' trigram index
finds few candidates, they are fetched by id and sorted (by name, or
nearest first within the radius); otherwise the listings are walked by name
or nearest first with the names checked row by row. Each test runs with the
limit set so that the same data takes one route or the other, and compares
every page with a reference computed here from the practitioners' and
clinics' own names (not the listings' copies): the listings the plain name
condition matches, grouped and ordered in Python.
"""

from __future__ import annotations

import pytest
from django.contrib.gis.db.models.functions import GeometryDistance
from django.contrib.gis.measure import D
from django.core.cache import cache

from directory import selectors, services
from directory.models import Listing
from tests.factories import ClinicFactory, ListingFactory, LocationFactory, PractitionerFactory, point_at
from tests.geo import SEATTLE, offset

pytestmark = pytest.mark.django_db

URL = "/api/v1/practitioners/"
NEAR = f"{SEATTLE[0]},{SEATTLE[1]}"
ORIGIN = point_at(*SEATTLE)
# Ranges of names a few listings long (the fixture has 14), for a search without a place.
FEW_LISTINGS = (3, 6, 10, 13)


@pytest.fixture(params=["by_id", "walk", "ranges"])
def route(request, monkeypatch):
    """Which plan the search takes: `walk` sets the limits below any match; `ranges` makes
    the ranges of names a search without a place tries a few listings long, so that the
    pages are found in the first ranges or only in the whole list (with `by_id`, the
    first range is past the last of the few listings: the whole list at once)."""
    if request.param == "walk":
        monkeypatch.setattr(selectors, "NAMED_LISTINGS_LIMIT", -1)
        monkeypatch.setattr(selectors, "NAMED_LISTINGS_NEAR_LIMIT", -1)
    if request.param == "ranges":
        monkeypatch.setattr(selectors, "NAME_RANGE_ROWS", FEW_LISTINGS)
    return "by_id" if request.param == "ranges" else request.param


def tie_slugs(directory):
    return {directory[key].practitioner.slug for key in ("tie1", "tie2", "tie3")}


def at(metres, bearing=0, *, clinic=None):
    return LocationFactory(point=point_at(*offset(SEATTLE, metres, bearing)), **({"clinic": clinic} if clinic else {}))


def reference(text, *, near, today, include_unqualified=False, **filters):
    """The expected result: (practitioner slug, location id) per practitioner, in the API's order.

    Ties in distance come in listing id order: the order the route by id
    gives, and the only order a test can state (the walk nearest first gives
    them in the index's order).
    """
    listings = Listing.objects.filter(selectors.name_matches(["practitioner__name", "location__clinic__name"], text))
    listings = listings.filter(**filters)
    if not include_unqualified:
        listings = listings.qualified_on(today)
    rows = list(
        listings.annotate(knn=GeometryDistance("point", ORIGIN)).values_list(
            "pk", "practitioner_id", "practitioner__slug", "practitioner__name", "location_id", "knn"
        )
    )
    if near:
        within = set(
            listings.filter(point__dwithin=(ORIGIN, D(m=selectors.default_radius_m()))).values_list("pk", flat=True)
        )
        rows = [row for row in rows if row[0] in within]
        key = lambda row: (row[5], row[0])  # noqa: E731
    else:
        key = lambda row: row[0]  # noqa: E731
    best = {}
    for row in sorted(rows, key=key):
        best.setdefault(row[1], row)
    chosen = list(best.values())
    chosen.sort(key=(lambda row: (row[5], row[0])) if near else (lambda row: (row[3], row[0])))
    return [(row[2], row[4]) for row in chosen]


def pages(api, text, *, near, limit=2, **params):
    """Every page of the search, followed by its `next` links, as (slug, location id)."""
    query = {"q": text, "limit": limit, **params}
    if near:
        query["near"] = NEAR
    got, response = [], api.get(URL, query).json()
    while True:
        got.extend((row["slug"], row["location"]["id"]) for row in response["results"])
        if not response["next"]:
            return got
        response = api.get(response["next"]).json()


@pytest.fixture
def directory(today):
    """Practitioners named Nguyen (some alike), a misspelling's neighbours, clinics with Nguyen in
    their name, colleagues at one location, and a practitioner qualified only at some of their places."""
    nguyen_clinic = ClinicFactory(name="Nguyen Family Physical Therapy")
    other_clinic = ClinicFactory(name="Summit Spine & Sport")
    cast = {}
    # Two practitioners with the same name: ordered by listing id without a place.
    for key, name, metres in [("anh", "Anh Nguyen", 3_000), ("anh2", "Anh Nguyen", 1_500), ("bao", "Bao Nguyễn", 900)]:
        cast[key] = ListingFactory(practitioner=PractitionerFactory(name=name), location=at(metres, 40))
    # Colleagues at one location: a tie in distance.
    shared = at(2_200, 90, clinic=other_clinic)
    for key in ("tie1", "tie2", "tie3"):
        cast[key] = ListingFactory(practitioner=PractitionerFactory(name=f"Chi Nguyen {key}"), location=shared)
    # Not named Nguyen, but works at a Nguyen clinic far away and at another clinic nearby:
    # the result is the clinic-name match, not the nearest listing.
    dana = PractitionerFactory(name="Dana Whitfield")
    ListingFactory(practitioner=dana, location=at(500, 180, clinic=other_clinic))
    cast["dana"] = ListingFactory(practitioner=dana, location=at(12_000, 270, clinic=nguyen_clinic))
    # Named Nguyen at two places: the nearer one is the result.
    eve = PractitionerFactory(name="Eve NGUYEN")
    ListingFactory(practitioner=eve, location=at(20_000, 300))
    cast["eve"] = ListingFactory(practitioner=eve, location=at(6_000, 300))
    # Unqualified (nearest) and qualified (farther) places of one Nguyen.
    fay = PractitionerFactory(name="Fay Nguyen")
    cast["fay_unqualified"] = ListingFactory(practitioner=fay, location=at(700, 10), qualified_until=None)
    cast["fay"] = ListingFactory(practitioner=fay, location=at(9_000, 10))
    # Outside the 40 km default radius.
    ListingFactory(practitioner=PractitionerFactory(name="Gia Nguyen"), location=at(60_000, 0))
    # Not matching at all.
    ListingFactory(practitioner=PractitionerFactory(name="Hal Brennan"), location=at(1_000, 0))
    return cast


@pytest.mark.parametrize("near", [True, False], ids=["near", "no_place"])
@pytest.mark.parametrize(
    "text", ["Nguyen", "nguyn", "NGUYEN", "guye", "Nguyễn", "Family Physical", "Brennan", "zzz", "ng", "Fay N"]
)
def test_every_page_is_the_reference(api, directory, route, today, near, text):
    expected = reference(text, near=near, today=today)
    got = pages(api, text, near=near)
    if selectors.name_search_walks(text):  # a text too short for the indexes
        route = "walk"
    assert_same(got, expected, directory, near=near, route=route)


def assert_same(got, expected, directory, *, near, route):
    if near and route == "walk":
        # The walk nearest first gives colleagues at one distance in index order.
        ties = tie_slugs(directory)
        assert sorted(got) == sorted(expected)
        assert [slug for slug, _ in got if slug not in ties] == [slug for slug, _ in expected if slug not in ties]
    else:
        assert got == expected


@pytest.mark.parametrize("near", [True, False], ids=["near", "no_place"])
def test_unqualified_places_are_listed_when_asked(api, directory, route, today, near):
    expected = reference("Nguyen", near=near, today=today, include_unqualified=True)
    got = pages(api, "Nguyen", near=near, include_unqualified="true")
    fay = directory["fay_unqualified"]
    if near:
        assert (fay.practitioner.slug, fay.location_id) in got
    assert_same(got, expected, directory, near=near, route=route)


def test_the_result_is_the_nearest_listing_whose_clinic_matches(api, directory, route):
    dana = directory["dana"]
    rows = api.get(URL, {"q": "Nguyen Family", "near": NEAR}).json()["results"]
    [row] = [row for row in rows if row["slug"] == dana.practitioner.slug]
    assert row["location"]["id"] == dana.location_id
    assert row["distance_km"] == pytest.approx(12.0, rel=0.01)


def test_pages_cut_through_a_tie_without_repeating_a_row(api, directory, route):
    ties = tie_slugs(directory)
    everything = pages(api, "Chi Nguyen", near=True, limit=1)
    assert len(everything) == len(set(everything))
    got = [slug for slug, _ in everything if slug in ties]
    assert sorted(got) == sorted(ties)
    # The three are at one distance, so they come one after another.
    first = [slug for slug, _ in everything].index(got[0])
    assert [slug for slug, _ in everything[first : first + 3]] == got


def test_namesakes_come_in_listing_order_page_by_page(api, directory, route, today):
    anh = [directory["anh"], directory["anh2"]]
    got = pages(api, "Nguyen", near=False, limit=1)
    assert got == reference("Nguyen", near=False, today=today)
    assert got[:2] == [(listing.practitioner.slug, listing.location_id) for listing in sorted(anh, key=lambda x: x.pk)]


@pytest.mark.parametrize(
    "params",
    [{"accepting_new_patients": "true"}, {"profession": "DC"}, {"min_training_hours": 10}, {"radius_km": 5}],
)
def test_other_filters_combine_with_the_name(api, directory, route, today, params):
    directory["eve"].location.accepting_new_patients = False
    directory["eve"].location.save()
    bao = directory["bao"].practitioner
    bao.profession, bao.verified_training_hours = "DC", 40
    bao.save()
    # The listings' copies of those facts, as the services keep them (see Listing).
    Listing.objects.filter(location=directory["eve"].location).update(accepting_new_patients=False)
    Listing.objects.filter(practitioner=bao).update(profession="DC", verified_training_hours=40)
    got = pages(api, "Nguyen", near=True, **params)
    rows = api.get(URL, {"q": "Nguyen", "near": NEAR, **params, "limit": 100}).json()["results"]
    assert [(row["slug"], row["location"]["id"]) for row in rows] == got
    if "accepting_new_patients" in params:
        # Eve's nearer place no longer matches: her farther one is the result.
        assert all(row["location"]["accepting_new_patients"] for row in rows)
        [eve] = [row for row in rows if row["slug"] == directory["eve"].practitioner.slug]
        assert eve["distance_km"] == pytest.approx(20.0, rel=0.01)
    elif "radius_km" in params:
        assert all(row["distance_km"] <= 5 for row in rows)
        assert directory["bao"].practitioner.slug in {slug for slug, _ in got}
    else:
        assert [slug for slug, _ in got] == [bao.slug]


def test_the_clinic_search_matches_clinic_names_as_before(api, directory):
    rows = api.get("/api/v1/clinics/", {"q": "nguyn family", "near": NEAR}).json()["results"]
    assert [row["id"] for row in rows] == [directory["dana"].location.clinic_id]


def origin(near, radius_km=40):
    return selectors.Origin(ORIGIN, radius_km * 1000) if near else None


def test_each_route_is_the_one_taken(directory, route):
    named = selectors.named_listing_ids("Nguyen")
    if route == "walk":
        assert named is None
    else:
        assert set(named) >= {directory[key].pk for key in ("anh", "bao", "tie1", "dana", "eve", "fay")}
        assert set(named) >= {directory["fay_unqualified"].pk}  # candidates: the filters come after
        assert named == sorted(named)


def test_near_a_place_the_candidates_are_those_within_the_radius(directory):
    gia = Listing.objects.get(practitioner__name="Gia Nguyen")  # 60 km away
    within_40 = set(selectors.named_listing_ids("Nguyen", origin=origin(True)))
    assert gia.pk not in within_40
    assert {directory[key].pk for key in ("anh", "bao", "tie1", "dana", "eve", "fay")} <= within_40
    assert gia.pk in selectors.named_listing_ids("Nguyen", origin=origin(True, radius_km=100))
    assert gia.pk in selectors.named_listing_ids("Nguyen")


@pytest.mark.parametrize("near", [True, False], ids=["near", "no_place"])
def test_a_search_of_qualified_listings_leaves_out_listings_never_qualified(directory, near):
    never = directory["fay_unqualified"]  # no qualified days at all
    assert never.pk in selectors.named_listing_ids("Nguyen", origin=origin(near))
    assert never.pk not in selectors.named_listing_ids("Nguyen", origin=origin(near), qualified_only=True)


@pytest.mark.parametrize(
    ("near", "limit"), [(False, "NAMED_LISTINGS_LIMIT"), (True, "NAMED_LISTINGS_NEAR_LIMIT")], ids=["no_place", "near"]
)
def test_over_the_limit_the_search_walks(api, directory, monkeypatch, today, near, limit):
    """The limit counts candidates: one more than the index finds, and the search walks;
    a search near a place counts those within its radius, against a limit of its own."""
    found = len(selectors.named_listing_ids("Nguyen", origin=origin(near), qualified_only=True))
    monkeypatch.setattr(selectors, limit, found)
    assert selectors.named_listing_ids("Nguyen", origin=origin(near), qualified_only=True) is not None
    assert_same(
        pages(api, "Nguyen", near=near),
        reference("Nguyen", near=near, today=today),
        directory,
        near=near,
        route="by_id",
    )
    monkeypatch.setattr(selectors, limit, found - 1)
    assert selectors.named_listing_ids("Nguyen", origin=origin(near), qualified_only=True) is None
    expected = reference("Nguyen", near=near, today=today)
    assert_same(pages(api, "Nguyen", near=near), expected, directory, near=near, route="walk")


@pytest.mark.parametrize(
    ("near", "limit"), [(True, "NAMED_CLINICS_NEAR_LIMIT"), (False, "NAMED_CLINICS_LIMIT")], ids=["near", "no_place"]
)
def test_a_text_naming_more_clinics_than_the_limit_walks(api, directory, monkeypatch, today, near, limit):
    """Each route has its own limit: near a place a lower one (the walk nearest first meets
    a clinic's name early)."""
    monkeypatch.setattr(selectors, limit, 0)  # "Nguyen" names one clinic
    assert selectors.named_listing_ids("Nguyen", origin=origin(near)) is None
    assert selectors.named_listing_ids("Nguyen", origin=origin(not near)) is not None
    expected = reference("Nguyen", near=near, today=today)
    assert_same(pages(api, "Nguyen", near=near), expected, directory, near=near, route="walk")


@pytest.mark.parametrize("near", [True, False], ids=["near", "no_place"])
@pytest.mark.parametrize("text", ["Nguyen", "Family", "nguyen famly"])
def test_pages_of_one_row_are_the_reference(api, directory, route, today, near, text):
    expected = reference(text, near=near, today=today)
    assert_same(pages(api, text, near=near, limit=1), expected, directory, near=near, route=route)


def test_a_tie_in_distance_comes_in_listing_order_by_id(api, directory):
    """Fetched by id and sorted, colleagues at one distance come in listing id order, page by page."""
    ties = [directory[key] for key in ("tie1", "tie2", "tie3")]
    got = [row for row in pages(api, "Chi Nguyen", near=True, limit=1) if row[0] in tie_slugs(directory)]
    assert got == [(listing.practitioner.slug, listing.location_id) for listing in sorted(ties, key=lambda x: x.pk)]


@pytest.mark.parametrize("near", [True, False], ids=["near", "no_place"])
def test_names_renamed_through_the_services_are_searched_by_their_new_names(api, directory, route, today, near):
    services.practitioner_update(practitioner=directory["bao"].practitioner, changes={"name": "Bao Okafor"})
    services.clinic_update(clinic=directory["dana"].location.clinic, changes={"name": "Okafor Family Physio"})
    for text in ("Okafor", "okafr", "Nguyen", "Nguyen Family"):
        assert_same(
            pages(api, text, near=near), reference(text, near=near, today=today), directory, near=near, route=route
        )
    assert directory["bao"].practitioner.slug not in {slug for slug, _ in pages(api, "Bao Nguy", near=near)}


@pytest.mark.parametrize(
    ("text", "walks"), [("Vu", True), ("ng", True), ("Al Wu", True), ("Fay N", False), ("Nguyen", False)]
)
def test_a_text_without_a_word_of_three_letters_walks(text, walks):
    """The trigram indexes cannot narrow a substring test without a trigram: they would read every entry."""
    assert selectors.name_search_walks(text) is walks


def test_whether_a_text_walks_is_kept_until_its_clinics_are_counted_again(monkeypatch, django_assert_num_queries):
    # Any clinic it names makes a search without a place walk; near one, two do.
    monkeypatch.setattr(selectors, "NAMED_CLINICS_LIMIT", 0)
    monkeypatch.setattr(selectors, "NAMED_CLINICS_NEAR_LIMIT", 1)
    clinic = ClinicFactory(name="Okafor Physio")
    with django_assert_num_queries(2):
        assert selectors.name_search_walks("Okafor") is True
        assert selectors.name_search_walks("Okafor", near=True) is False

    services.clinic_update(clinic=clinic, changes={"name": "Harbor Physio"})
    with django_assert_num_queries(0):
        assert selectors.name_search_walks("Okafor") is True
        assert selectors.name_search_walks("Okafor", near=True) is False
    cache.clear()  # as when NAME_ROUTES_SECONDS have passed
    with django_assert_num_queries(2):
        assert selectors.name_search_walks("Okafor") is False
        assert selectors.name_search_walks("Harbor") is True


def test_without_a_place_the_first_range_holding_the_page_gives_it(api, directory, monkeypatch, today):
    monkeypatch.setattr(selectors, "NAME_RANGE_ROWS", FEW_LISTINGS)
    ranges = []
    listing_candidates = selectors.listing_candidates

    def spy(text, **kwargs):
        ranges.append(kwargs["name_below"])
        return listing_candidates(text, **kwargs)

    monkeypatch.setattr(selectors, "listing_candidates", spy)
    names = sorted(Listing.objects.values_list("practitioner_name", flat=True))
    ends = {names[rows] for rows in FEW_LISTINGS}
    # The first page (and the one row that tells whether there is a next page) is among
    # the listings named before the 3rd in name order: two Anh Nguyens and Bao.
    rows = api.get(URL, {"q": "Nguyen", "limit": 1}).json()["results"]
    assert [(row["slug"], row["location"]["id"]) for row in rows] == reference("Nguyen", near=False, today=today)[:1]
    assert ranges == [names[FEW_LISTINGS[0]]]
    # Page by page, later pages need longer ranges, then the whole list: the same rows.
    ranges.clear()
    assert pages(api, "Nguyen", near=False, limit=1) == reference("Nguyen", near=False, today=today)
    assert set(ranges) - ends == {None}
    assert len(set(ranges) & ends) >= 2


def test_ranges_ended_by_names_since_changed_still_give_the_reference(api, directory, monkeypatch, today):
    """The names ending the ranges are remembered for a while; a listing added or renamed
    meanwhile moves which range holds a page, never the result."""
    monkeypatch.setattr(selectors, "NAME_RANGE_ROWS", FEW_LISTINGS)
    assert pages(api, "Nguyen", near=False) == reference("Nguyen", near=False, today=today)
    added = [
        ListingFactory(practitioner=PractitionerFactory(name=name), location=at(metres, 200))
        for name, metres in [("Aaron Nguyen", 1_200), ("Aaron Nguyen", 2_500), ("Abe Nguyen", 800)]
    ]
    services.practitioner_update(practitioner=directory["bao"].practitioner, changes={"name": "Aba Nguyen"})
    expected = reference("Nguyen", near=False, today=today)
    assert [slug for slug, _ in expected[:4]] == [
        *(listing.practitioner.slug for listing in added[:2]),
        directory["bao"].practitioner.slug,
        added[2].practitioner.slug,
    ]
    assert pages(api, "Nguyen", near=False, limit=1) == expected


def test_without_ranges_the_whole_list_gives_the_pages(api, directory, monkeypatch, today):
    monkeypatch.setattr(selectors, "NAME_RANGE_ROWS", ())
    assert pages(api, "Nguyen", near=False, limit=1) == reference("Nguyen", near=False, today=today)
