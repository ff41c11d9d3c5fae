"""The public directory as FHIR R4 resources, written as plain dicts.

Plain dicts rather than the `fhir.resources` models: building and serialising a
model per resource costs several times the dict (the tests validate every
resource of a seeded demo against the R4B models instead, see tests/fhirapi).

Only what the public profile shows is published: a practitioner's name, NPI,
languages, specialties and their verified, unexpired credentials (issuer, dates,
state; never a license number, a document or an email), their listings with the
location's address, point and phone, and the clinic's name, phone and website.
"""

from __future__ import annotations

import datetime

from django.conf import settings

from credentials.models import Kind, Method
from directory.models import Profession

KIND_LABEL = dict(Kind.choices)
METHOD_LABEL = dict(Method.choices)
PROFESSION_LABEL = dict(Profession.choices)

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
UCUM = "http://unitsofmeasure.org"
DISTANCE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/location-distance"
PLAN_NET = "http://hl7.org/fhir/us/davinci-pdex-plan-net"
NEW_PATIENTS_EXTENSION = f"{PLAN_NET}/StructureDefinition/newpatients"
ACCEPTING_PATIENTS_SYSTEM = f"{PLAN_NET}/CodeSystem/AcceptingPatientsCS"
QUALIFICATION_EXTENSION = f"{PLAN_NET}/StructureDefinition/practitioner-qualification"
USPS_SYSTEM = "https://www.usps.com/"
LANGUAGE_SYSTEM = "urn:ietf:bcp:47"
VALIDATION_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/verificationresult-validation-type"
PRIMARY_SOURCE_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/primary-source-type"
ORGANIZATION_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/organization-type"

# VerificationResult.status (http://hl7.org/fhir/ValueSet/verificationresult-status): only
# verified credentials are published, so every one is "validated".
VALIDATED = "validated"
# How each credential kind's issuer is described (primary-source-type).
PRIMARY_SOURCE_TYPE = {"license": "lic-board", "certification": "issuer", "training": "cont-ed"}
# What each verification method checked against (verificationresult-validation-type).
VALIDATION_TYPE = {"primary_source": "primary", "document_review": "nothing", "attestation": "nothing"}


def code_system(name: str) -> str:
    """The URI of one of the directory's own code systems (conditions, professions, ...)."""
    return f"{settings.FHIR_CODE_SYSTEM_BASE}:{name}"


def instant(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _meta(last_updated: datetime.datetime) -> dict:
    return {"lastUpdated": instant(last_updated)}


def _reference(resource_type: str, pk: int) -> dict:
    return {"reference": f"{resource_type}/{pk}"}


def _phone(phone: str) -> list[dict]:
    return [{"system": "phone", "value": phone, "use": "work"}] if phone else []


def _without_empty(resource: dict) -> dict:
    """FHIR has no empty arrays or strings: leave such elements out."""
    return {key: value for key, value in resource.items() if value not in ("", [], None, {})}


def practitioner(row, *, languages, credentials, last_updated: datetime.datetime) -> dict:
    """A Practitioner: `languages` its (code, name) pairs; `credentials` its public ones."""
    identifiers = [{"use": "official", "system": NPI_SYSTEM, "value": row.npi}] if row.npi else []
    return _without_empty(
        {
            "resourceType": "Practitioner",
            "id": str(row.pk),
            "meta": _meta(last_updated),
            "identifier": identifiers,
            "active": True,
            "name": [{"use": "official", "text": row.name}],
            "communication": [
                {"coding": [{"system": LANGUAGE_SYSTEM, "code": code, "display": name}]} for code, name in languages
            ],
            "qualification": [qualification(credential) for credential in credentials],
        }
    )


def qualification(credential) -> dict:
    extension = [{"url": "status", "valueCode": "active"}]
    if credential.jurisdiction:
        extension.append(
            {
                "url": "whereValid",
                "valueCodeableConcept": {"coding": [{"system": USPS_SYSTEM, "code": credential.jurisdiction}]},
            }
        )
    period = {"start": credential.issued_on.isoformat()}
    if credential.expires_on:
        period["end"] = credential.expires_on.isoformat()
    return {
        "extension": [{"url": QUALIFICATION_EXTENSION, "extension": extension}],
        "code": {
            "coding": [
                {
                    "system": code_system("credential-kind"),
                    "code": credential.kind,
                    "display": KIND_LABEL[credential.kind],
                }
            ],
            "text": credential.display_name,
        },
        "period": period,
        "issuer": {"display": credential.issuer},
    }


def practitioner_role(listing, *, today: datetime.date, specialties, last_updated: datetime.datetime) -> dict:
    """A PractitionerRole: a practitioner at one location of a clinic; active while qualified there."""
    location = listing.location
    practitioner = listing.practitioner
    accepting = "newpt" if location.accepting_new_patients else "nopt"
    return _without_empty(
        {
            "resourceType": "PractitionerRole",
            "id": str(listing.pk),
            "meta": _meta(last_updated),
            "extension": [
                {
                    "url": NEW_PATIENTS_EXTENSION,
                    "extension": [
                        {
                            "url": "acceptingPatients",
                            "valueCodeableConcept": {
                                "coding": [{"system": ACCEPTING_PATIENTS_SYSTEM, "code": accepting}]
                            },
                        }
                    ],
                }
            ],
            "active": listing.is_qualified(today),
            "practitioner": _reference("Practitioner", listing.practitioner_id),
            "organization": _reference("Organization", location.clinic_id),
            "code": [
                {
                    "coding": [
                        {
                            "system": code_system("profession"),
                            "code": practitioner.profession,
                            "display": PROFESSION_LABEL[practitioner.profession],
                        }
                    ]
                }
            ],
            "specialty": [
                {"coding": [{"system": code_system("condition"), "code": slug, "display": name}]}
                for slug, name in specialties
            ],
            "location": [_reference("Location", location.pk)],
            "telecom": _phone(location.phone),
        }
    )


def location(row) -> dict:
    return _without_empty(
        {
            "resourceType": "Location",
            "id": str(row.pk),
            "meta": _meta(row.updated_at),
            "status": "active",
            "name": row.name or row.address,
            "mode": "instance",
            "telecom": _phone(row.phone),
            "address": {
                "use": "work",
                "type": "physical",
                "line": [row.address],
                "city": row.city,
                "state": row.state,
                "postalCode": row.postal_code,
                "country": "US",
            },
            "position": {"longitude": round(row.point.x, 6), "latitude": round(row.point.y, 6)},
            "managingOrganization": _reference("Organization", row.clinic_id),
        }
    )


def organization(row) -> dict:
    telecom = _phone(row.phone)
    if row.website:
        telecom.append({"system": "url", "value": row.website, "use": "work"})
    return _without_empty(
        {
            "resourceType": "Organization",
            "id": str(row.pk),
            "meta": _meta(row.updated_at),
            "active": True,
            "type": [
                {"coding": [{"system": ORGANIZATION_TYPE_SYSTEM, "code": "prov", "display": "Healthcare Provider"}]}
            ],
            "name": row.name,
            "telecom": telecom,
        }
    )


def verification_result(row) -> dict:
    """A VerificationResult of one verified credential: who checked it against what, and when
    it is looked at again (its review date)."""
    method = row.method
    result = {
        "resourceType": "VerificationResult",
        "id": str(row.pk),
        "meta": _meta(row.updated_at),
        "target": [_reference("Practitioner", row.practitioner_id)],
        "targetLocation": ["Practitioner.qualification"],
        "status": VALIDATED,
        "statusDate": instant(row.verified_at) if row.verified_at else None,
        "validationType": {
            "coding": [{"system": VALIDATION_TYPE_SYSTEM, "code": VALIDATION_TYPE.get(method, "nothing")}],
        },
        "validationProcess": [
            {
                "coding": [
                    {"system": code_system("verification-method"), "code": method, "display": METHOD_LABEL[method]}
                ]
            }
        ]
        if method
        else [],
        "primarySource": [
            {
                "who": {"display": row.issuer},
                "type": [{"coding": [{"system": PRIMARY_SOURCE_TYPE_SYSTEM, "code": PRIMARY_SOURCE_TYPE[row.kind]}]}],
            }
        ],
        "nextScheduled": row.next_review_due.isoformat() if row.next_review_due else None,
    }
    return _without_empty(result)


def operation_outcome(code: str, diagnostics: str, *, expression: str | None = None) -> dict:
    issue = {"severity": "error", "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def distance_extension(metres: float, unit: str) -> dict:
    """entry.search's location-distance extension, in the unit the client asked in (UCUM)."""
    from .params import METRES_PER_UNIT

    return {
        "url": DISTANCE_EXTENSION,
        "valueDistance": {
            "value": round(metres / METRES_PER_UNIT[unit], 6),
            "unit": unit,
            "system": UCUM,
            "code": unit,
        },
    }
