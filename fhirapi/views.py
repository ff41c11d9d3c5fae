"""The /fhir/ endpoints: metadata, read, search and the bulk export, answered as
`application/fhir+json`, anonymous and rate-limited like the public API (the DRF throttles
of REST_FRAMEWORK), every error an OperationOutcome."""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import urlencode

from django.http import FileResponse, HttpResponse
from rest_framework import exceptions, permissions
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from core import clock
from core.throttling import SignedInRateThrottle

from . import capability, export, params, resources, search
from .models import ExportJob
from .params import BadParameter

FHIR_JSON = "application/fhir+json"
NDJSON = "application/fhir+ndjson"


def fhir_response(body: dict, status: int = 200, headers: Mapping[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(body, separators=(",", ":")), status=status, content_type=FHIR_JSON)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def outcome(status: int, code: str, diagnostics: str, expression: str | None = None, headers=None) -> HttpResponse:
    return fhir_response(resources.operation_outcome(code, diagnostics, expression=expression), status, headers)


def base_url(request) -> str:
    return request.build_absolute_uri("/fhir/").rstrip("/")


def query_lists(request) -> dict[str, list[str]]:
    return {name: request.GET.getlist(name) for name in request.GET}


class FhirView(APIView):
    """Anonymous and throttled; exceptions answered as OperationOutcome; not in the OpenAPI schema
    (the CapabilityStatement at /fhir/metadata describes these endpoints)."""

    permission_classes = [permissions.AllowAny]
    schema = None

    def handle_exception(self, exc):
        if isinstance(exc, BadParameter):
            return outcome(400, exc.code, str(exc), exc.name)
        if isinstance(exc, exceptions.Throttled):
            headers = {"Retry-After": str(int(exc.wait))} if exc.wait else {}
            return outcome(429, "throttled", f"Too many requests: {exc.detail}", headers=headers)
        if isinstance(exc, exceptions.APIException):
            status = exc.status_code
            code = {401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported"}.get(status, "processing")
            return outcome(status, code, str(exc.detail))
        return super().handle_exception(exc)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if "_format" in request.GET and params.single("_format", request.GET.getlist("_format")) not in search.FORMATS:
            raise BadParameter("_format", "Only JSON is served: give json or application/fhir+json.")

    def context(self) -> search.Context:
        return search.Context(today=clock.today())


class MetadataView(FhirView):
    def get(self, request):
        query = query_lists(request)
        unknown = sorted(set(query) - {"_format", "mode"})
        if unknown:
            raise BadParameter(unknown[0], "Unknown parameter for the CapabilityStatement.")
        return fhir_response(capability.statement(base_url(request)))


class SearchView(FhirView):
    def get(self, request, resource_type):
        definition = search.SEARCHES.get(resource_type)
        if definition is None:
            return outcome(404, "not-supported", f"Resource type '{resource_type}' is not served here.")
        context = self.context()
        query = query_lists(request)
        page = search.run(definition, query, context)
        base = base_url(request)
        self_url = request.build_absolute_uri(request.path)
        kept = [(name, value) for name, items in query.items() if name != "_cursor" for value in items]
        links = [{"relation": "self", "url": f"{self_url}?{urlencode(kept)}" if kept else self_url}]
        if page.next_cursor:
            links.append({"relation": "next", "url": f"{self_url}?{urlencode([*kept, ('_cursor', page.next_cursor)])}"})
        entries = []
        for resource, distance in zip(page.resources, page.distances):
            entry_search = {"mode": "match"}
            if distance is not None:
                entry_search["extension"] = [resources.distance_extension(distance, context.near.unit)]
            entries.append(
                {
                    "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
                    "resource": resource,
                    "search": entry_search,
                }
            )
        seen = {(entry["resource"]["resourceType"], entry["resource"]["id"]) for entry in entries}
        for resource in page.included:
            key = (resource["resourceType"], resource["id"])
            if key in seen:
                continue
            seen.add(key)
            entries.append(
                {"fullUrl": f"{base}/{key[0]}/{key[1]}", "resource": resource, "search": {"mode": "include"}}
            )
        bundle = {"resourceType": "Bundle", "type": "searchset", "link": links}
        if entries:
            bundle["entry"] = entries
        return fhir_response(bundle)


class ReadView(FhirView):
    def get(self, request, resource_type, pk):
        if resource_type not in search.SEARCHES:
            return outcome(404, "not-supported", f"Resource type '{resource_type}' is not served here.")
        unknown = sorted(set(request.GET) - {"_format"})
        if unknown:
            raise BadParameter(unknown[0], "Unknown parameter for a read.")
        found = search.read(resource_type, int(pk), self.context()) if pk.isdigit() and len(pk) <= 18 else None
        if found is None:
            return outcome(404, "not-found", f"{resource_type}/{pk} is not known.")
        return fhir_response(found)


class ExportStartThrottle(AnonRateThrottle):
    """New export jobs per client address (each one writes the whole directory)."""

    scope = "fhir_export"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ExportView(FhirView):
    """`GET /fhir/$export`: start a bulk export of the public directory (anonymous: it is the
    same public data the search serves); 202 with Content-Location, the job's status URL."""

    throttle_classes = [AnonRateThrottle, SignedInRateThrottle, ExportStartThrottle]

    def get(self, request):
        job = export.export_start(
            query=query_lists(request),
            request_url=request.build_absolute_uri(),
            prefer=request.headers.get("Prefer", ""),
        )
        status_url = request.build_absolute_uri(f"/fhir/$export-status/{job.pk}")
        return outcome(
            202,
            "informational",
            f"Export {job.pk} is queued; poll the Content-Location.",
            headers={"Content-Location": status_url},
        )


class ExportStatusView(FhirView):
    def get(self, request, job_id):
        job = ExportJob.objects.filter(pk=job_id).first()
        if job is None:
            return outcome(404, "not-found", "No such export.")
        if job.status in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING):
            response = HttpResponse(status=202)
            response["X-Progress"] = job.status
            response["Retry-After"] = "5"
            return response
        if job.status == ExportJob.Status.FAILED:
            return outcome(500, "exception", "The export failed on our side; start a new one.")
        base = request.build_absolute_uri("/fhir/$export-file/")
        manifest = {
            "transactionTime": resources.instant(job.transaction_time),
            "request": job.request_url,
            "requiresAccessToken": False,
            "output": [
                {"type": item["type"], "url": f"{base}{job.pk}/{item['type']}.ndjson", "count": item["count"]}
                for item in job.output
            ],
            "error": [],
        }
        return HttpResponse(json.dumps(manifest), content_type="application/json")


class ExportFileView(FhirView):
    def get(self, request, job_id, resource_type):
        job = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.DONE).first()
        if job is None or resource_type not in {item["type"] for item in job.output}:
            return outcome(404, "not-found", "No such export file.")
        path = export.file_path(job, resource_type)
        if not path.exists():
            return outcome(404, "not-found", "This export's files have been removed; start a new one.")
        return FileResponse(path.open("rb"), content_type=NDJSON)
