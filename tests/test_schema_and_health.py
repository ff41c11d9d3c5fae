"""The OpenAPI schema documents every search parameter; docs and health check answer offline."""

import pytest
import yaml

pytestmark = pytest.mark.django_db

SEARCH_PARAMETERS = {
    "near",
    "zip",
    "city",
    "radius_km",
    "radius_mi",
    "specialty",
    "technique",
    "profession",
    "language",
    "accepting_new_patients",
    "min_training_hours",
    "q",
    "include_unqualified",
    "limit",
    "offset",
    "format",
}


def schema(api):
    response = api.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_every_search_parameter_is_documented(api):
    parameters = schema(api)["paths"]["/api/v1/practitioners/"]["get"]["parameters"]
    documented = {p["name"]: p for p in parameters}
    assert SEARCH_PARAMETERS <= set(documented)
    for name in SEARCH_PARAMETERS:
        assert documented[name].get("description"), f"{name} has no description"


def test_clinic_search_documents_its_place_parameters(api):
    parameters = schema(api)["paths"]["/api/v1/clinics/"]["get"]["parameters"]
    assert {"near", "zip", "city", "radius_km", "radius_mi", "limit", "offset"} <= {p["name"] for p in parameters}


def test_docs_page_is_served_from_bundled_assets(api):
    response = api.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert "cdn.jsdelivr" not in page and "unpkg.com" not in page


def test_healthz_reports_each_dependency(api):
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "not configured"}


def test_patient_search_page_offers_the_vocabularies(api):
    response = api.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="low-back-pain"' in page
    assert 'value="deep-dry-needling"' in page
    assert "/api/v1/practitioners/" in page


def test_schema_is_valid_openapi_without_warnings(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/practitioners/" in target.read_text()
