"""Inputs that used to be 500s: a NUL in a path, a non-numeric id in an API path, a JSON body
nested a thousand levels deep. Each is now a 4xx in the API's error shape, naming what is wrong."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/api/v1/state-rules/W%00/", "/api/v1/practitioners/a%00b/", "/api/v1/clinics/1/locations/%00/"],
)
def test_a_nul_in_an_api_path_is_a_400_naming_the_path(api, path):
    response = api.get(path)
    assert response.status_code == 400
    assert response.json()["errors"] == {"path": ["The address must not contain NUL characters."]}


def test_a_nul_in_a_page_path_is_a_400(client):
    response = client.get("/practitioners/a%00b/")
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/api/v1/clinics/abc/", "/api/v1/credentials/1e3/", "/api/v1/no-such-thing/"])
def test_an_api_path_that_matches_nothing_is_a_json_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_page_that_does_not_exist_is_the_sites_404_page(client):
    response = client.get("/practitioners/nobody-by-this-name/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


@pytest.mark.parametrize(
    "path", ["/api/v1/consultation-requests/", "/api/v1/auth/token/", "/api/v1/auth/token/refresh/"]
)
def test_a_json_body_nested_a_thousand_levels_deep_is_a_400_naming_the_body(api, path):
    body = "[" * 1000 + "]" * 1000
    response = api.post(path, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"body": ["The JSON body is nested too deeply."]}
