"""The name search's statements kept per shape (core.prepared) answer exactly as fresh ones.

The text is a parameter of every statement of the name search (the clinics it names,
its candidates, its page's ids and rows), as itself (word similarity) and as a LIKE
pattern (its `%`, `_` and backslashes escaped); the candidates' ids are one array
parameter. A statement kept for one text must give another text's pages as a fresh
compile gives them, and as the reference of tests/directory/test_name_search.py.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from core import prepared
from directory import selectors
from tests.directory.test_name_search import FEW_LISTINGS, NEAR, URL, at, pages, reference
from tests.directory.test_name_search import directory as directory  # noqa: F401  (the fixture)
from tests.factories import ListingFactory, PractitionerFactory

pytestmark = pytest.mark.django_db

# Texts whose LIKE patterns need escaping, and texts the escaping must not widen: "Ng_yen"
# is no pattern for "Nguyen", "100%" none for "100 Nguyen".
TEXTS = ["Nguyen", "nguyn", "100%", "Ng_yen", "k\\sla", "50\\%", "a%b_c\\d", "Nguyen Family", "zzz"]


@pytest.fixture
def odd_names(directory):  # noqa: F811
    names = ["Lan 100% Nguyen", "Bao Ng_yen", "Kim Back\\slash", "Tom 50\\% Off", "Ana a%b_c\\d", "Ivo 100 Ngu"]
    for n, name in enumerate(names):  # at distinct distances: no ties for the walk nearest first
        ListingFactory(practitioner=PractitionerFactory(name=name), location=at(1_300 + 1_000 * n, 120))


@pytest.fixture(params=["whole list", "ranges"])
def ranges(request, monkeypatch):
    if request.param == "ranges":
        monkeypatch.setattr(selectors, "NAME_RANGE_ROWS", FEW_LISTINGS)


@pytest.mark.parametrize("near", [True, False], ids=["near", "no_place"])
def test_a_kept_statement_gives_another_texts_pages_as_a_fresh_one(api, odd_names, ranges, today, near):
    for text in TEXTS:
        cache.clear()  # the anonymous rate's count of requests
        prepared.forget()
        selectors.forget_name_ranges()
        fresh = pages(api, text, near=near, limit=1)
        for keeper in ("Nguyen", "Back"):
            prepared.forget()
            pages(api, keeper, near=near, limit=1)  # every page's shape kept for this text
            kept = prepared.kept_shapes()
            assert kept >= 2
            assert pages(api, text, near=near, limit=1) == fresh, (text, keeper)
        assert fresh == reference(text, near=near, today=today), text


def test_the_whole_response_from_kept_statements_is_a_fresh_ones(api, odd_names):
    for text in TEXTS:
        cache.clear()  # the anonymous rate's count of requests
        for params in ({"q": text}, {"q": text, "near": NEAR}):
            prepared.forget()
            fresh = api.get(URL, params)
            prepared.forget()
            api.get(URL, {**params, "q": "Nguyen"})
            kept = api.get(URL, params)
            assert fresh.status_code == kept.status_code == 200
            assert kept.content == fresh.content


def test_a_like_pattern_is_rebuilt_from_the_text():
    inputs = {"q": "a%b_c\\d"}
    markers = prepared._markers(inputs)
    sql = "SELECT 1 WHERE name ILIKE %s OR name %%> %s"
    real = (sql, [prepared.like_contains(inputs["q"]), inputs["q"]])
    assert real[1][0] == "%a\\%b\\_c\\\\d%"
    marked = (sql, [f"%{markers['q']}%", markers["q"]])
    recipe = prepared.derive_recipe(real, marked, inputs, markers)
    assert [slot.value({"q": "x_%\\"}) for slot in recipe] == ["%x\\_\\%\\\\%", "x_%\\"]
    # A pattern escaped otherwise than Django's is not explained: refused.
    unescaped = (sql, ["%a%b_c\\d%", inputs["q"]])
    assert prepared.derive_recipe(unescaped, marked, inputs, markers) is None


def test_an_array_is_one_parameter_whatever_its_length():
    inputs = {"ids": prepared.Array([4, 7, 9])}
    assert prepared.shape_of(inputs) == prepared.shape_of({"ids": prepared.Array([1])})
    markers = prepared._markers(inputs)
    sql = "SELECT 1 WHERE id = ANY(%s)"
    recipe = prepared.derive_recipe((sql, [[4, 7, 9]]), (sql, [list(markers["ids"])]), inputs, markers)
    assert [slot.value({"ids": prepared.Array([2, 3])}) for slot in recipe] == [[2, 3]]
