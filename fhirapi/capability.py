"""The CapabilityStatement at /fhir/metadata, written from the search definitions themselves
(search.SEARCHES), so it lists exactly the types, interactions and parameters that work."""

from __future__ import annotations

from . import search

PARAMETER_TYPES = {
    "_id": "token",
    "_lastUpdated": "date",
    "_count": "number",
    "identifier": "token",
    "name": "string",
    "specialty": "token",
    "active": "token",
    "address-state": "string",
    "address-postalcode": "string",
    "near": "special",
    "location.near": "special",
    "practitioner": "reference",
    "location": "reference",
    "organization": "reference",
    "target": "reference",
}

DOCUMENTATION = {
    "_id": "One or more ids, comma-separated.",
    "_lastUpdated": "gt, ge, lt or le and a date (YYYY-MM-DD, UTC) or an instant with its time zone; repeat for a range.",
    "_count": "Entries a page, 1 to 100 (default 20); follow Bundle.link next for the next page.",
    "identifier": "The NPI: http://hl7.org/fhir/sid/us-npi|1234567893, or the ten digits alone.",
    "name": "The name, or a word of it, starts with this (any case).",
    "specialty": "A condition treated, by code of the directory's condition code system.",
    "active": "true (the default, except with _lastUpdated): only roles where the practitioner is qualified "
    "today; false: only the others. A _lastUpdated search returns changed roles of either kind.",
    "address-state": "The two-letter US state code.",
    "address-postalcode": "The ZIP code, or its first digits.",
    "near": "lat|lon|distance|unit (UCUM km, m, [mi_i], [mi_us]); distance and unit may be left out "
    "(40 km). Nearest first by distance on the WGS84 spheroid, each entry's distance in the location-distance "
    "extension of entry.search.",
    "location.near": "As Location's near, on the role's location.",
}


def _parameters(definition: search.ResourceSearch) -> list[dict]:
    names = ["_id", "_lastUpdated", "_count", *definition.filters]
    if definition.near:
        names.append(definition.near)
    out = []
    for name in names:
        parameter = {"name": name, "type": PARAMETER_TYPES[name]}
        if name in DOCUMENTATION:
            parameter["documentation"] = DOCUMENTATION[name]
        out.append(parameter)
    return out


def statement(base_url: str) -> dict:
    rest_resources = []
    for type_, definition in search.SEARCHES.items():
        resource = {
            "type": type_,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": _parameters(definition),
        }
        if definition.includes:
            resource["searchInclude"] = list(definition.includes)
        if definition.revincludes:
            resource["searchRevInclude"] = list(definition.revincludes)
        rest_resources.append(resource)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-03-01",
        "publisher": "Dry needling practitioner directory",
        "kind": "instance",
        "software": {"name": "Dry needling practitioner directory"},
        "implementation": {
            "description": "The public directory of qualified dry needling practitioners, read-only.",
            "url": base_url,
        },
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Anonymous and rate-limited. Paging by Bundle.link next only.",
                "resource": rest_resources,
                "operation": [
                    {
                        "name": "export",
                        "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export",
                        "documentation": "System-level $export of the public directory, with _type and _since; "
                        "asynchronous (202 and Content-Location), NDJSON files.",
                    }
                ],
            }
        ],
    }
