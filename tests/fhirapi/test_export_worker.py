"""The bulk export through the real components: the kick-off queues the job on Redis, a
Celery worker writes the files, and the client polls 202 until the manifest."""

import json
import time
from unittest import mock

import pytest

from directory.models import Location
from fhirapi import tasks
from tests.factories import LocationFactory


@pytest.fixture
def export_root(monkeypatch, tmp_path, settings):
    """The worker (a subprocess) and this test read and write the same export directory."""
    root = tmp_path / "worker-export"
    monkeypatch.setenv("FHIR_EXPORT_ROOT", str(root))
    settings.FHIR_EXPORT_ROOT = root
    return root


@pytest.fixture
def export_worker(export_root, worker):
    return worker


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_export_queued_on_redis_is_written_by_a_worker_while_the_client_polls(
    export_worker,
    broker,
    queue,
    client,
    settings,
    tmp_path,
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    for _ in range(3):
        LocationFactory()

    def send(job_id):
        return tasks.run_export.apply_async(args=[job_id], connection=broker, queue=queue)

    with mock.patch.object(tasks.run_export, "delay", side_effect=send):
        response = client.get("/fhir/$export?_type=Location")
    assert response.status_code == 202
    status_url = response["Content-Location"]

    deadline = time.monotonic() + 90
    polls = []
    while time.monotonic() < deadline:
        polled = client.get(status_url)
        polls.append(polled.status_code)
        if polled.status_code != 202:
            break
        time.sleep(0.3)
    assert polls[-1] == 200, "no manifest within 90 s; worker log:\n" + (tmp_path / "worker.log").read_text()[-3000:]
    manifest = json.loads(polled.content)
    (output,) = manifest["output"]
    assert (output["type"], output["count"]) == ("Location", Location.objects.count())
    download = client.get(output["url"])
    rows = [json.loads(line) for line in b"".join(download.streaming_content).decode().splitlines()]
    assert sorted(int(row["id"]) for row in rows) == sorted(Location.objects.values_list("pk", flat=True))
