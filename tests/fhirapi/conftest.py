"""Fixtures of the FHIR API tests: a seeded demo directory on a frozen day, and a reader of
/fhir/ answers."""

import datetime
import json

import pytest
from django.core.management import call_command

from tests.credentials.test_scan_worker import broker, queue, worker

__all__ = ["broker", "queue", "worker"]

DEMO_DAY = datetime.date(2026, 3, 2)


@pytest.fixture
def frozen_day():
    return DEMO_DAY


@pytest.fixture(autouse=True)
def _export_root(settings, tmp_path):
    settings.FHIR_EXPORT_ROOT = tmp_path / "fhir-export"


@pytest.fixture
def demo(db, today):
    """A demo directory of 60 practitioners with their credentials, seeded for the frozen day."""
    call_command("seed_demo", "--practitioners=60", "--seed=3", f"--today={today}", "--verbosity=0")


@pytest.fixture
def fhir(client):
    """GET a /fhir/ URL; returns (status, parsed body or None, response)."""

    def get(url, **headers):
        response = client.get(url, **headers)
        body = None
        if response.get("Content-Type", "").startswith(("application/fhir+json", "application/json")):
            body = json.loads(response.content)
        return response.status_code, body, response

    return get
