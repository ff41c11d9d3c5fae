"""`icontains`, `istartswith` and `iendswith` on text columns are ILIKE (core.lookups): the
same rows as Django's own, LIKE's wildcards taken literally, and the name's trigram index
serving them."""

import pytest
from django.db.models import F

from core.db import planner_settings
from directory.models import Practitioner
from tests.factories import PractitionerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def names():
    rows = {
        name: PractitionerFactory(name=name).pk
        for name in ("Anh Nguyen", "NGUYEN Thi", "Bao Ng_yen", "Lan 100% Nguyen", "Minh Tran")
    }
    return rows


@pytest.mark.parametrize(
    ("lookup", "text", "expected"),
    [
        ("icontains", "nGuYeN", {"Anh Nguyen", "NGUYEN Thi", "Lan 100% Nguyen"}),
        ("icontains", "ng_yen", {"Bao Ng_yen"}),  # _ is a letter here, not any letter
        ("icontains", "0% n", {"Lan 100% Nguyen"}),  # and % is a percent sign
        ("istartswith", "nguyen", {"NGUYEN Thi"}),
        ("iendswith", "NGUYEN", {"Anh Nguyen", "Lan 100% Nguyen"}),
        ("icontains", "vu", set()),
    ],
)
def test_matches_in_any_case_with_wildcards_taken_literally(names, lookup, text, expected):
    found = Practitioner.objects.filter(**{f"name__{lookup}": text}).values_list("name", flat=True)
    assert set(found) == expected


def test_an_expression_on_the_right():
    PractitionerFactory(name="Dr. NGUYEN", slug="nguyen")
    PractitionerFactory(name="Dr. Tran", slug="trần")
    PractitionerFactory(name="Dr. Vu", slug="v_")
    # Practitioners whose name holds their slug in any case: an F() pattern, escaped in SQL.
    found = Practitioner.objects.filter(name__icontains=F("slug")).values_list("name", flat=True)
    assert list(found) == ["Dr. NGUYEN"]


def test_the_written_sql_is_ilike_on_the_column():
    sql = str(Practitioner.objects.filter(name__icontains="ngu").values("pk").query)
    assert 'WHERE "directory_practitioner"."name"::text ILIKE %ngu%' in sql
    assert "UPPER" not in sql


def test_the_names_trigram_index_serves_it(names):
    # Whether the index can serve it, not what the planner prefers on a few rows: without the
    # sequential scan and whole-index walks, only an index that reads matching names is left
    # (beside the name-search tests' statistics, a walk of the (name, id) index looked cheaper).
    with planner_settings({"enable_seqscan": "off", "enable_indexscan": "off", "enable_indexonlyscan": "off"}):
        plan = Practitioner.objects.filter(name__icontains="nguyen").values("pk").explain()
    assert "directory_practitioner_name_trgm" in plan
