"""seed_demo's screening stage: the sample NPPES file and exclusion list, made for the
default seed, put NPPES records behind demo practitioners and two of them on the list."""

import datetime

import pytest
from django.core.management import call_command

from credentials.models import Credential, Kind, Status
from credentials.screening.models import Exclusion, ExclusionMatch, MatchBasis, NppesRecord, TrainingProvider
from directory.models import Practitioner
from portal.demo.credentials import RECOGNISED_PROVIDERS

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

    # The queue it makes has old and new items, and providers both recognised and not.
    pending = Credential.objects.filter(status=Status.PENDING)
    submitted = sorted(pending.values_list("created_at", flat=True))
    assert submitted[-1] - submitted[0] > datetime.timedelta(days=14)
    recognised = set(TrainingProvider.objects.values_list("name", flat=True))
    assert recognised == set(RECOGNISED_PROVIDERS)
    issuers = set(Credential.objects.filter(kind=Kind.TRAINING).values_list("issuer", flat=True))
    assert issuers & recognised and issuers - recognised
