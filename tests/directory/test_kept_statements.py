"""The search's statement kept per shape of request (core.prepared) answers exactly as a fresh compile.

For each shape, request A is seen first (its statement is compiled and its
recipe derived) and request B, of the same shape with other values (another
place, other terms, another day), is answered from the kept statement: its
SQL and parameters must be those of a fresh compile of B, and its response
byte for byte the one B gets when nothing is kept.
"""

import datetime
import itertools

import pytest
from django.db import connection
from django.db.models import F
from django.db.models.signals import post_init
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from core import prepared
from directory import selectors
from directory.filters import PractitionerSearchFilter
from directory.models import Clinic, ConsultationRequest
from tests.factories import PractitionerFactory
from tests.geo import SEATTLE, offset

pytestmark = pytest.mark.django_db

URL = "/api/v1/practitioners/"
PORTLAND = (45.5202, -122.6742)
DAY_A, DAY_B = datetime.date(2026, 3, 2), datetime.date(2026, 6, 1)


def near(place, metres=0, bearing=90.0):
    lat, lon = offset(place, metres, bearing) if metres else place
    return f"{lat:.6f},{lon:.6f}"


@pytest.fixture
def directory(listed, specialty, technique, language):
    """Practitioners around Seattle and Portland, differing in every filterable way; some
    qualified only until a day between DAY_A and DAY_B, some only from one."""
    specialties = ["low-back-pain", "neck-pain", "sciatica", "headaches", "knee-pain"]
    techniques = ["deep-dry-needling", "electrical-dry-needling", "superficial-dry-needling"]
    languages = ["en", "es", "zh"]
    professions = ["PT", "DC", "LAc", "MD"]
    windows = [
        (datetime.date(2000, 1, 1), datetime.date(2099, 12, 31)),
        (datetime.date(2000, 1, 1), datetime.date(2026, 4, 1)),
        (datetime.date(2026, 5, 1), datetime.date(2099, 12, 31)),
        (None, None),
    ]
    counter = itertools.count()
    for place in (SEATTLE, PORTLAND):
        for i in range(14):
            n = next(counter)
            practitioner = PractitionerFactory(
                profession=professions[n % 4],
                specialties=[specialty(specialties[n % 5]), specialty(specialties[(n * 3 + 1) % 5])],
                techniques=[technique(techniques[n % 3])],
                languages=[language(languages[n % 3]), language("en")],
                verified_training_hours=(n * 17) % 130,
            )
            qualified_from, qualified_until = windows[(n // 4) % 4]
            listed(
                *offset(place, 400 + i * 900, i * 47),
                practitioner=practitioner,
                qualified_from=qualified_from,
                qualified_until=qualified_until,
                location_kwargs={"accepting_new_patients": n % 3 != 0},
            )
            if n % 5 == 0:  # a second location: one row per practitioner, at the nearest that matches
                listed(
                    *offset(place, 300 + i * 700, i * 47 + 180),
                    practitioner=practitioner,
                    qualified_from=qualified_from,
                    qualified_until=qualified_until,
                    location_kwargs={"accepting_new_patients": n % 2 == 0},
                )


# (request A, request B): the same shape, other values.
PAIRS = {
    "near": ({"near": near(SEATTLE)}, {"near": near(PORTLAND, 500)}),
    "zip": ({"zip": "98101"}, {"zip": "97204"}),
    "city": ({"city": "Seattle,WA"}, {"city": "Portland,OR"}),
    "radius_km": ({"near": near(SEATTLE), "radius_km": "5"}, {"near": near(PORTLAND), "radius_km": "9.5"}),
    "radius_mi": ({"zip": "98101", "radius_mi": "3"}, {"zip": "97204", "radius_mi": "7"}),
    "specialty": ({"zip": "98101", "specialty": "neck-pain"}, {"zip": "97204", "specialty": "sciatica"}),
    "two specialties": (
        {"near": near(SEATTLE), "specialty": "neck-pain,knee-pain"},
        {"near": near(PORTLAND), "specialty": "sciatica,low-back-pain"},
    ),
    "technique": (
        {"near": near(SEATTLE), "technique": "deep-dry-needling"},
        {"near": near(PORTLAND), "technique": "electrical-dry-needling"},
    ),
    "profession": ({"near": near(SEATTLE), "profession": "PT"}, {"near": near(PORTLAND), "profession": "DC"}),
    "two professions": (
        {"near": near(SEATTLE), "profession": "PT,MD"},
        {"near": near(PORTLAND), "profession": "dc,LAc"},
    ),
    "language": ({"near": near(SEATTLE), "language": "es"}, {"near": near(PORTLAND), "language": "zh"}),
    "accepting": (
        {"near": near(SEATTLE), "accepting_new_patients": "true"},
        {"near": near(PORTLAND), "accepting_new_patients": "yes"},
    ),
    "not accepting": (
        {"near": near(SEATTLE), "accepting_new_patients": "false"},
        {"near": near(PORTLAND), "accepting_new_patients": "0"},
    ),
    "min_training_hours": (
        {"near": near(SEATTLE), "min_training_hours": "40"},
        {"near": near(PORTLAND), "min_training_hours": "60"},
    ),
    "include_unqualified": (
        {"near": near(SEATTLE), "include_unqualified": "true"},
        {"near": near(PORTLAND), "include_unqualified": "1"},
    ),
    "include_unqualified false": (
        {"near": near(SEATTLE), "include_unqualified": "false"},
        {"near": near(PORTLAND), "include_unqualified": "no"},
    ),
    "two filters": (
        {"zip": "98101", "specialty": "low-back-pain", "technique": "deep-dry-needling"},
        {"zip": "97204", "specialty": "neck-pain", "technique": "superficial-dry-needling"},
    ),
    "every filter": (
        {
            "near": near(SEATTLE),
            "radius_km": "30",
            "specialty": "neck-pain,sciatica",
            "technique": "deep-dry-needling",
            "profession": "PT,DC",
            "language": "en",
            "accepting_new_patients": "true",
            "min_training_hours": "10",
            "include_unqualified": "true",
        },
        {
            "near": near(PORTLAND, 800),
            "radius_km": "20",
            "specialty": "knee-pain,headaches",
            "technique": "electrical-dry-needling",
            "profession": "MD,LAc",
            "language": "en",
            "accepting_new_patients": "true",
            "min_training_hours": "0",
            "include_unqualified": "true",
        },
    ),
    "a page": (
        {"near": near(SEATTLE), "limit": "3", "offset": "3"},
        {"near": near(PORTLAND), "limit": "3", "offset": "3"},
    ),
    "a short page": ({"zip": "98101", "limit": "5"}, {"city": "Portland,OR", "limit": "5"}),
    "no place": ({"specialty": "neck-pain"}, {"specialty": "knee-pain"}),
    "no place, a page": (
        {"profession": "PT", "limit": "2", "offset": "2"},
        {"profession": "DC", "limit": "2", "offset": "2"},
    ),
    "nothing": ({}, {}),
    "geojson": ({"zip": "98101", "format": "geojson"}, {"zip": "97204", "format": "geojson"}),
}


def fresh(params, day):
    """The FilterSet of a request as the view makes it, on `day`."""
    data = QueryDict(mutable=True)
    data.update(params)
    filterset = PractitionerSearchFilter(data=data, queryset=selectors.listing_search_base(), today=day)
    assert filterset.is_valid(), filterset.errors
    return filterset


def page_bounds(params):
    start = int(params.get("offset", 0))
    return start, start + int(params.get("limit", 20)) + 1


@pytest.mark.parametrize("case", PAIRS)
def test_a_kept_statement_gives_the_sql_and_parameters_of_a_fresh_compile(directory, case):
    a, b = PAIRS[case]
    start, stop = page_bounds(a)
    first = fresh(a, DAY_A)
    statement, _ = prepared.prepare(
        lambda inputs: first.build(first.queryset.all(), inputs)[start:stop], first.search_inputs(), "default"
    )
    assert statement is not None, "the shape was refused"

    second = fresh(b, DAY_B)
    sql, params = second.qs[start:stop].query.sql_with_params()
    kept = statement.params(second.search_inputs())
    assert statement.sql == sql
    assert len(kept) == len(params)
    for got, expected in zip(kept, params, strict=True):
        assert type(got) is type(expected)
        if hasattr(expected, "ewkb"):  # a PostGIS adapter: the same point, the same cast
            assert (got.ewkb, got.srid, got.geography) == (expected.ewkb, expected.srid, expected.geography)
        else:
            assert got == expected


@pytest.mark.parametrize("case", PAIRS)
def test_a_kept_statement_answers_byte_for_byte_as_a_fresh_one(api, directory, freeze_today, case):
    a, b = PAIRS[case]
    freeze_today(DAY_B)
    expected = api.get(URL, b)  # nothing kept: compiled as usual
    assert expected.status_code == 200, expected.content
    assert prepared.kept_shapes() == 1

    prepared.forget()
    freeze_today(DAY_A)
    assert api.get(URL, a).status_code == 200  # A's shape is compiled and kept
    freeze_today(DAY_B)
    answered = api.get(URL, b)  # B, from A's statement

    assert answered.status_code == 200
    assert answered.content == expected.content
    assert prepared.kept_shapes() == 1


def test_the_pairs_tell_the_directory_apart(api, directory, freeze_today):
    # The byte-for-byte test means something only if B's answer is not A's, nor empty.
    freeze_today(DAY_B)
    different = 0
    for a, b in PAIRS.values():
        results_b = api.get(URL, b).json()
        rows = results_b.get("results", results_b.get("features"))
        assert rows, b
        results_a = api.get(URL, a).json()
        different += results_a != results_b
    assert different >= len(PAIRS) - 1  # "nothing" asks the same twice


def test_a_day_that_ends_a_qualification_changes_a_kept_answer(api, directory, freeze_today):
    freeze_today(DAY_A)
    before = api.get(URL, {"zip": "98101"}).json()["results"]
    freeze_today(DAY_B)
    after = api.get(URL, {"zip": "98101"}).json()["results"]
    assert prepared.kept_shapes() == 1
    assert {row["id"] for row in before} != {row["id"] for row in after}
    assert all(row["qualified"] for row in after)


@pytest.mark.parametrize("params", [{"q": "Practitioner 1", "zip": "98101"}, {"q": "Practitioner 2"}])
def test_a_name_search_keeps_the_statements_of_its_steps(api, directory, params):
    """The clinics it names, its candidates, its page's ids and its rows, near a place or
    without one (tests/directory/test_kept_name_search.py compares them with fresh ones)."""
    first = api.get(URL, params)
    again = api.get(URL, params)
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert prepared.kept_shapes() == 4


GOOD = {"specialty": "neck-pain", "near": "47.6,-122.3", "radius_km": "5", "limit": "5", "min_training_hours": "3"}


@pytest.mark.parametrize(
    "params, name",
    [
        ({"zip": "98101", "specialty": "no-such-thing"}, "specialty"),
        ({"near": "91,0"}, "near"),
        ({"zip": "98101", "radius_km": "501"}, "radius_km"),
        ({"zip": "98101", "limit": "0"}, "limit"),
        ({"zip": "98101", "min_training_hours": "-1"}, "min_training_hours"),
    ],
)
def test_a_kept_shape_still_answers_a_bad_value_with_a_400_naming_it(api, directory, params, name):
    good = {**params, name: GOOD[name]}
    assert api.get(URL, good).status_code == 200
    assert api.get(URL, good).status_code == 200
    assert prepared.kept_shapes() == 1
    response = api.get(URL, params)
    assert response.status_code == 400
    assert name in response.json()["errors"]


# --- the recipe refuses what it cannot explain --------------------------------


def test_parameters_the_markers_do_not_explain_are_refused():
    inputs = {"day": datetime.date(2026, 3, 2), "ids": [4, 7]}
    markers = prepared._markers(inputs)
    sql = "SELECT 1 WHERE day = %s AND id = ANY(ARRAY[%s, %s]) AND x = %s"
    real = (sql, [inputs["day"], 4, 7, 10])
    # x is 10 for the request and 11 for the markers: it depends on the inputs somehow.
    assert prepared.derive_recipe(real, (sql, [markers["day"], *markers["ids"], 11]), inputs, markers) is None
    # The same constant in both compiles is part of the shape.
    recipe = prepared.derive_recipe(real, (sql, [markers["day"], *markers["ids"], 10]), inputs, markers)
    assert [slot.value({"day": DAY_B, "ids": [1, 2]}) for slot in recipe] == [DAY_B, 1, 2, 10]


def test_another_sql_text_for_the_markers_is_refused():
    inputs = {"ids": [4]}
    markers = prepared._markers(inputs)
    real = ("SELECT %s", [4])
    assert prepared.derive_recipe(real, ("SELECT %s WHERE true", markers["ids"]), inputs, markers) is None


def test_a_recipe_that_does_not_rebuild_the_request_is_refused():
    # The ORM turned the request's 5.5 into 6 but the marker into itself: no single conversion explains both.
    inputs = {"hours": 5.5}
    markers = prepared._markers(inputs)
    assert prepared.derive_recipe(("SELECT %s", [6]), ("SELECT %s", [markers["hours"]]), inputs, markers) is None


def test_a_refused_shape_is_compiled_every_time_and_answers_the_same(api, directory, monkeypatch):
    monkeypatch.setattr(prepared, "derive_recipe", lambda *args: None)
    first = api.get(URL, {"zip": "98101", "specialty": "neck-pain"})
    again = api.get(URL, {"zip": "98101", "specialty": "neck-pain"})
    assert prepared.kept_shapes() == 0
    assert first.status_code == again.status_code == 200
    assert first.content == again.content


def test_the_kept_shapes_are_bounded_and_the_older_half_goes_first(api, directory, monkeypatch):
    monkeypatch.setattr(prepared, "MAX_SHAPES", 4)
    for offset_ in range(6):
        assert api.get(URL, {"zip": "98101", "limit": "1", "offset": str(offset_)}).status_code == 200
    assert prepared.kept_shapes() == 4  # 0-3 kept; at 4 the older half (0, 1) went; 4 and 5 added
    again = api.get(URL, {"zip": "98101", "limit": "1", "offset": "0"})
    assert again.status_code == 200
    assert len(again.json()["results"]) == 1


# --- the instances of a kept statement's rows ----------------------------------


def kept_statement(params, day=DAY_B):
    filterset = fresh(params, day)
    start, stop = page_bounds(params)
    statement, queryset = prepared.prepare(
        lambda inputs: filterset.build(filterset.queryset.all(), inputs)[start:stop],
        filterset.search_inputs(),
        "default",
    )
    return statement, queryset, filterset.search_inputs()


def loaded(instance):
    """What an instance holds: its loaded values and state, the related instances it caches (the same, in turn)."""
    if instance is None:
        return None
    values = {name: value for name, value in vars(instance).items() if name != "_state"}
    point = values.pop("point", None)
    if point is not None:  # a kept row leaves it as the database's text until read
        values["point"] = bytes(instance.point.ewkb)
    state = instance._state
    related = {name: loaded(other) for name, other in state.fields_cache.items()}
    return (type(instance), values, state.adding, state.db, related, instance.get_deferred_fields())


@pytest.mark.parametrize("case", ["near", "every filter", "no place", "a page"])
def test_a_kept_statements_instances_are_those_djangos_iterable_makes(directory, case):
    statement, queryset, inputs = kept_statement(PAIRS[case][1])
    assert statement.instances is not None, "the search's select list is planned"
    kept = statement.rows(inputs, "default")
    made = list(queryset)
    assert kept
    assert [loaded(instance) for instance in kept] == [loaded(instance) for instance in made]
    for instance in kept:
        assert instance.location.point == made[kept.index(instance)].location.point
        assert instance.location.point.srid == 4326
        if hasattr(made[0], "distance"):
            assert instance.distance == made[kept.index(instance)].distance


def test_a_model_with_init_listeners_is_left_to_djangos_iterable(directory):
    def receiver(**kwargs):
        pass

    post_init.connect(receiver, sender=Clinic)
    try:
        statement, _, _ = kept_statement(PAIRS["near"][0])
    finally:
        post_init.disconnect(receiver, sender=Clinic)
    assert statement is not None and statement.instances is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_outside_a_transaction_a_kept_search_answers_as_a_fresh_one_and_leaves_sorts_on(api, directory, freeze_today):
    # As a request runs (no ATOMIC_REQUESTS): the search's planner setting goes in its pipeline.
    a, b = PAIRS["two filters"]
    freeze_today(DAY_B)
    expected = api.get(URL, b)
    prepared.forget()
    freeze_today(DAY_A)
    assert api.get(URL, a).status_code == 200
    freeze_today(DAY_B)
    with CaptureQueriesContext(connection) as queries:
        answered = api.get(URL, b)
    assert answered.status_code == 200
    assert answered.content == expected.content
    assert prepared.kept_shapes() == 1
    statements = [query["sql"] for query in queries]
    assert "SELECT set_config('enable_sort', 'off', true)" in statements
    assert not any(sql.startswith(("SET LOCAL", "SAVEPOINT")) for sql in statements)
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_sort")
        assert cursor.fetchone() == ("on",)


def test_instances_of_an_outer_join_without_a_row_cache_none_as_djangos_iterable_does(listed, django_user_model):
    listing = listed(*SEATTLE)
    someone = django_user_model.objects.create_user("someone")
    for contacted_by in (someone, None):
        ConsultationRequest.objects.create(
            practitioner=listing.practitioner,
            location=listing.location,
            name="A patient",
            email="patient@example.com",
            message="Hello",
            contacted_by=contacted_by,
        )
    queryset = ConsultationRequest.objects.select_related("practitioner", "location__clinic", "contacted_by")
    queryset = queryset.order_by("id")
    compiler = queryset.query.get_compiler(using="default")
    compiler.as_sql()
    kept = prepared.Instances.plan(compiler).of(compiler, "default")
    assert [loaded(instance) for instance in kept] == [loaded(instance) for instance in queryset]
    assert kept[0].contacted_by == someone
    assert kept[1].contacted_by is None


def test_a_geometry_that_is_not_a_models_column_is_left_to_djangos_iterable(listed):
    listed(*SEATTLE)
    queryset = selectors.listing_search_base().annotate(where=F("location__point")).order_by("id")
    compiler = queryset.query.get_compiler(using="default")
    compiler.as_sql()
    assert prepared.Instances.plan(compiler) is None
    plain = selectors.listing_search_base().order_by("id")
    compiler = plain.query.get_compiler(using="default")
    compiler.as_sql()
    assert prepared.Instances.plan(compiler) is not None
