"""seed_demo's screening stage: the sample NPPES file and exclusion list, made for the
default seed, put NPPES records behind demo practitioners and two of them on the list."""

import datetime

import pytest
from django.core.management import call_command

from credentials.screening.models import Exclusion, ExclusionMatch, MatchBasis, NppesRecord
from directory.models import Practitioner

pytestmark = pytest.mark.django_db


def test_the_default_demo_has_nppes_records_and_two_exclusion_matches(today):
    call_command("seed_demo", "--practitioners=2000", "--today=2026-03-01", "--verbosity=0")

    assert NppesRecord.objects.count() == 300
    assert Exclusion.objects.count() == 60
    beatriz = Practitioner.objects.get(slug="beatriz-carvalho-1")
    record = NppesRecord.objects.get(npi=beatriz.npi)
    assert (record.first_name, record.last_name) == ("BEATRIZ", "CARVALHO")
    matches = sorted(ExclusionMatch.objects.values_list("practitioner__name", "basis", "exclusion__excluded_on"))
    assert matches == [
        ("Justin Bailey", MatchBasis.NAME_STATE, datetime.date(2023, 11, 19)),
        ("Lauren Taylor", MatchBasis.NPI, datetime.date(2024, 6, 20)),
    ]
