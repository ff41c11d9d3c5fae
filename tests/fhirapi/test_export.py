"""Bulk export (`GET /fhir/$export`): a 202 with the status URL to poll, then the manifest of
NDJSON files; the files hold every public resource (as many as the database has) and, with
`_since`, only what changed; every bad parameter is a 400 OperationOutcome."""

import json

import pytest
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

from credentials.models import Credential, Status
from directory import services as directory_services
from directory.models import Clinic, Listing, Location, Practitioner
from fhirapi import resources
from fhirapi.models import ExportJob

pytestmark = pytest.mark.django_db

TYPES = ("Practitioner", "PractitionerRole", "Location", "Organization", "VerificationResult")


def run_export(fhir, client, query=""):
    status, body, response = fhir(f"/fhir/$export{query}", HTTP_PREFER="respond-async")
    assert status == 202, body
    OperationOutcome.model_validate(body)
    status_url = response["Content-Location"]
    assert status_url.startswith("http://testserver/fhir/$export-status/")
    response = client.get(status_url)  # tasks run in-process in the tests: it is done
    assert response.status_code == 200
    manifest = json.loads(response.content)
    files = {}
    for item in manifest["output"]:
        download = client.get(item["url"])
        assert download.status_code == 200 and download["Content-Type"] == "application/fhir+ndjson"
        lines = b"".join(download.streaming_content).decode().splitlines()
        assert len(lines) == item["count"]
        files[item["type"]] = [json.loads(line) for line in lines]
    return manifest, files


def test_an_export_round_trips_every_public_resource(demo, fhir, client, today):
    manifest, files = run_export(fhir, client)
    assert manifest["requiresAccessToken"] is False and manifest["error"] == []
    assert set(files) == set(TYPES)
    counts = {
        "Practitioner": Practitioner.objects.count(),
        "PractitionerRole": Listing.objects.count(),
        "Location": Location.objects.count(),
        "Organization": Clinic.objects.count(),
        "VerificationResult": Credential.objects.filter(status=Status.VERIFIED).exclude(expires_on__lt=today).count(),
    }
    assert {kind: len(rows) for kind, rows in files.items()} == counts
    for kind, rows in files.items():
        assert len({row["id"] for row in rows}) == len(rows)
        # Each resource validates (as a searchset Bundle of them) and is what a read answers.
        Bundle.model_validate(
            {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in rows]}
        )
        assert fhir(f"/fhir/{kind}/{rows[-1]['id']}")[1] == rows[-1]


def test_an_export_since_a_moment_holds_only_what_changed(demo, fhir, client):
    since = timezone.now()
    location = Location.objects.order_by("pk")[1]
    directory_services.location_update(location=location, changes={"phone": "(206) 555-0199"})
    manifest, files = run_export(fhir, client, f"?_since={resources.instant(since)}&_type=Location,PractitionerRole")
    assert set(files) == {"Location", "PractitionerRole"}
    assert [row["id"] for row in files["Location"]] == [str(location.pk)]
    assert {row["id"] for row in files["PractitionerRole"]} == {
        str(pk) for pk in Listing.objects.filter(location=location).values_list("pk", flat=True)
    }


def test_the_status_is_202_while_the_export_runs_and_unknown_ones_are_404(db, client, fhir):
    job = ExportJob.objects.create(types=["Location"], request_url="http://testserver/fhir/$export", status="running")
    response = client.get(f"/fhir/$export-status/{job.pk}")
    assert response.status_code == 202 and response["X-Progress"] == "running"
    job.status = ExportJob.Status.FAILED
    job.save()
    status, body, _ = fhir(f"/fhir/$export-status/{job.pk}")
    assert status == 500
    OperationOutcome.model_validate(body)
    assert fhir("/fhir/$export-status/00000000-0000-0000-0000-000000000000")[0] == 404
    assert fhir(f"/fhir/$export-file/{job.pk}/Location.ndjson")[0] == 404


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("?_type=Patient", "_type"),
        ("?_type=", "_type"),
        ("?_since=yesterday", "_since"),
        ("?_since=2026-03-01T00:00:00", "_since"),
        ("?_outputFormat=text/csv", "_outputFormat"),
        ("?_typeFilter=Practitioner%3Fname%3Dx", "_typeFilter"),
    ],
)
def test_a_bad_export_parameter_is_a_400_and_starts_nothing(db, fhir, query, parameter):
    status, body, _ = fhir(f"/fhir/$export{query}")
    assert status == 400
    OperationOutcome.model_validate(body)
    assert body["issue"][0]["expression"] == [parameter]
    assert not ExportJob.objects.exists()
