"""The FHIR API's read and search: every resource of a seeded demo validates (R4B models and
the code sets the directory promises), the CapabilityStatement lists exactly what works, the
search parameters find what they say, paging is stable under inserts, and every bad
parameter is a 400 OperationOutcome naming it."""

from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from rest_framework.throttling import SimpleRateThrottle

from credentials.models import Credential, Status
from directory.models import Clinic, Listing, Location, Practitioner
from fhirapi import resources
from tests.factories import PractitionerFactory

pytestmark = pytest.mark.django_db

TYPES = ("Practitioner", "PractitionerRole", "Location", "Organization", "VerificationResult")
VERIFICATION_STATUSES = {"attested", "validated", "in-process", "req-revalid", "val-fail", "reval-fail"}
VALIDATION_TYPES = {"nothing", "primary", "multiple"}
PRIMARY_SOURCE_TYPES = {
    "lic-board",
    "prim",
    "cont-ed",
    "post-serv",
    "rel-own",
    "reg-auth",
    "legal",
    "issuer",
    "auth-source",
}
LOCATION_STATUSES = {"active", "suspended", "inactive"}
ACCEPTING = {"newpt", "nopt", "existptonly", "existptfam"}


def all_pages(fhir, url):
    """Every entry of a search, following next links; each Bundle validated as R4B."""
    entries = []
    while url:
        status, body, response = fhir(url)
        assert status == 200, body
        assert response["Content-Type"] == "application/fhir+json"
        Bundle.model_validate(body)
        entries.extend(body.get("entry", []))
        url = next((link["url"] for link in body["link"] if link["relation"] == "next"), None)
    return entries


def check_code_sets(resource, today):
    """The directory's promises beyond the structure: required code sets and systems."""
    kind = resource["resourceType"]
    if kind == "Practitioner":
        for identifier in resource.get("identifier", []):
            assert identifier["system"] == resources.NPI_SYSTEM
            assert len(identifier["value"]) == 10 and identifier["value"].isdigit()
        for item in resource.get("qualification", []):
            assert item["code"]["coding"][0]["code"] in {"license", "certification", "training"}
            (extension,) = item["extension"]
            assert extension["url"] == resources.QUALIFICATION_EXTENSION
            subs = {sub["url"]: sub for sub in extension["extension"]}
            assert subs["status"]["valueCode"] == "active"
            if "whereValid" in subs:
                assert subs["whereValid"]["valueCodeableConcept"]["coding"][0]["system"] == resources.USPS_SYSTEM
            if "end" in item["period"]:
                assert item["period"]["end"] >= today.isoformat()  # only unexpired credentials are public
    elif kind == "PractitionerRole":
        (extension,) = resource["extension"]
        assert extension["url"] == resources.NEW_PATIENTS_EXTENSION
        coding = extension["extension"][0]["valueCodeableConcept"]["coding"][0]
        assert (coding["system"], coding["code"] in ACCEPTING) == (resources.ACCEPTING_PATIENTS_SYSTEM, True)
        assert all(
            s["coding"][0]["system"] == resources.code_system("condition") for s in resource.get("specialty", [])
        )
        assert isinstance(resource["active"], bool)
    elif kind == "Location":
        assert resource["status"] in LOCATION_STATUSES
        assert -90 <= resource["position"]["latitude"] <= 90 and -180 <= resource["position"]["longitude"] <= 180
    elif kind == "VerificationResult":
        assert resource["status"] in VERIFICATION_STATUSES
        assert resource["validationType"]["coding"][0]["code"] in VALIDATION_TYPES
        assert resource["primarySource"][0]["type"][0]["coding"][0]["code"] in PRIMARY_SOURCE_TYPES
        assert resource["statusDate"].endswith("Z")


def test_every_resource_of_the_demo_validates_and_every_public_row_is_served(demo, fhir, today):
    public_credentials = Credential.objects.filter(status=Status.VERIFIED).exclude(expires_on__lt=today)
    expected = {
        "Practitioner": set(Practitioner.objects.values_list("pk", flat=True)),
        "PractitionerRole": set(Listing.objects.qualified_on(today).values_list("pk", flat=True)),
        "Location": set(Location.objects.values_list("pk", flat=True)),
        "Organization": set(Clinic.objects.values_list("pk", flat=True)),
        "VerificationResult": set(public_credentials.values_list("pk", flat=True)),
    }
    assert len(expected["Practitioner"]) == 60 and expected["VerificationResult"]
    for kind in TYPES:
        entries = all_pages(fhir, f"/fhir/{kind}?_count=17")
        ids = [int(entry["resource"]["id"]) for entry in entries]
        assert len(ids) == len(set(ids)) and set(ids) == expected[kind], kind
        for entry in entries:
            assert entry["resource"]["resourceType"] == kind
            assert entry["fullUrl"] == f"http://testserver/fhir/{kind}/{entry['resource']['id']}"
            check_code_sets(entry["resource"], today)
        # A read answers the same resource.
        status, body, _ = fhir(f"/fhir/{kind}/{ids[0]}")
        assert status == 200 and body == entries[0]["resource"]
    # The roles of unqualified listings, on request.
    unqualified = set(Listing.objects.values_list("pk", flat=True)) - expected["PractitionerRole"]
    entries = all_pages(fhir, "/fhir/PractitionerRole?active=false&_count=50")
    assert {int(e["resource"]["id"]) for e in entries} == unqualified
    assert all(e["resource"]["active"] is False for e in entries)
    # No private field anywhere.
    private = [p.email for p in Practitioner.objects.exclude(email="")] + [
        c.license_number for c in Credential.objects.exclude(license_number="")
    ]
    for kind in TYPES:
        status, body, response = fhir(f"/fhir/{kind}?_count=100")
        text = response.content.decode()
        assert not [value for value in private if value in text]


def test_metadata_lists_exactly_the_types_and_parameters_that_work(demo, fhir):
    status, statement, response = fhir("/fhir/metadata")
    body = statement
    assert status == 200 and response["Content-Type"] == "application/fhir+json"
    CapabilityStatement.model_validate(body)
    listed = {resource["type"]: resource for resource in body["rest"][0]["resource"]}
    assert set(listed) == set(TYPES)
    npi = Practitioner.objects.exclude(npi="").values_list("npi", flat=True).first()
    samples = {
        "_id": "1",
        "_lastUpdated": "ge2020-01-01",
        "_count": "5",
        "identifier": npi,
        "name": "a",
        "specialty": "neck-pain",
        "active": "false",
        "address-state": "WA",
        "address-postalcode": "98",
        "near": "47.61|-122.33|100|km",
        "location.near": "47.61|-122.33",
        "practitioner": "Practitioner/1",
        "location": "1",
        "organization": "Organization/1",
        "target": "Practitioner/1",
    }
    for kind, resource in listed.items():
        assert [i["code"] for i in resource["interaction"]] == ["read", "search-type"]
        for parameter in resource["searchParam"]:
            status, body, _ = fhir(f"/fhir/{kind}", data={parameter["name"]: samples[parameter["name"]]})
            assert status == 200, (kind, parameter["name"], body)
        for value in resource.get("searchInclude", []):
            assert fhir(f"/fhir/{kind}", data={"_include": value})[0] == 200
        for value in resource.get("searchRevInclude", []):
            assert fhir(f"/fhir/{kind}", data={"_revinclude": value})[0] == 200
        # And a parameter it does not list is refused.
        for other in set(samples) - {p["name"] for p in resource["searchParam"]}:
            status, body, _ = fhir(f"/fhir/{kind}", data={other: samples[other]})
            assert status == 400 and body["issue"][0]["expression"] == [other], (kind, other)
    assert [operation["name"] for operation in statement["rest"][0]["operation"]] == ["export"]


def ids_of(body, mode="match"):
    return [int(e["resource"]["id"]) for e in body.get("entry", []) if e["search"]["mode"] == mode]


def test_search_parameters_find_what_they_say(demo, fhir, today):
    practitioner = Practitioner.objects.exclude(npi="").order_by("pk").first()
    for value in (practitioner.npi, f"{resources.NPI_SYSTEM}|{practitioner.npi}"):
        status, body, _ = fhir("/fhir/Practitioner", data={"identifier": value})
        assert ids_of(body) == [practitioner.pk]
    assert ids_of(fhir("/fhir/Practitioner", data={"identifier": "urn:other|" + practitioner.npi})[1]) == []

    surname = practitioner.name.split()[-1]
    expected = sorted(
        p.pk for p in Practitioner.objects.all() if any(w.lower().startswith(surname.lower()) for w in p.name.split())
    )
    assert ids_of(fhir("/fhir/Practitioner", data={"name": surname.lower(), "_count": 100})[1]) == expected

    location = Location.objects.order_by("pk").first()
    body = fhir("/fhir/Location", data={"address-state": location.state, "_count": 100})[1]
    assert ids_of(body) == sorted(Location.objects.filter(state=location.state).values_list("pk", flat=True))
    body = fhir("/fhir/Location", data={"address-postalcode": location.postal_code[:3], "_count": 100})[1]
    assert ids_of(body) == sorted(
        Location.objects.filter(postal_code__startswith=location.postal_code[:3]).values_list("pk", flat=True)
    )
    body = fhir("/fhir/Organization", data={"address-state": location.state, "_count": 100})[1]
    assert ids_of(body) == sorted(
        set(Location.objects.filter(state=location.state).values_list("clinic_id", flat=True))
    )

    specialty = practitioner.specialties.order_by("slug").first()
    body = fhir(
        "/fhir/PractitionerRole",
        data={"specialty": f"{resources.code_system('condition')}|{specialty.slug}", "_count": 100},
    )[1]
    assert ids_of(body) == sorted(
        Listing.objects.qualified_on(today).filter(practitioner__specialties=specialty).values_list("pk", flat=True)
    )

    # _include and _revinclude
    listing = Listing.objects.qualified_on(today).order_by("pk").first()
    body = fhir(
        "/fhir/PractitionerRole",
        data={
            "_id": listing.pk,
            "_include": ["PractitionerRole:practitioner", "PractitionerRole:location", "PractitionerRole:organization"],
        },
    )[1]
    Bundle.model_validate(body)
    included = {
        (e["resource"]["resourceType"], e["resource"]["id"]) for e in body["entry"] if e["search"]["mode"] == "include"
    }
    assert included == {
        ("Practitioner", str(listing.practitioner_id)),
        ("Location", str(listing.location_id)),
        ("Organization", str(listing.location.clinic_id)),
    }
    body = fhir(
        "/fhir/Practitioner", data={"_id": listing.practitioner_id, "_revinclude": "PractitionerRole:practitioner"}
    )[1]
    assert ids_of(body, "include") == sorted(
        Listing.objects.filter(practitioner_id=listing.practitioner_id).values_list("pk", flat=True)
    )


def test_paging_is_stable_under_inserts(demo, fhir):
    before = sorted(Practitioner.objects.values_list("pk", flat=True))
    status, body, _ = fhir("/fhir/Practitioner?_count=25")
    seen = ids_of(body)
    next_url = next(link["url"] for link in body["link"] if link["relation"] == "next")
    assert "_cursor" in parse_qs(urlsplit(next_url).query)
    # New practitioners arrive (whatever their names) while the client pages.
    added = [PractitionerFactory(name=name).pk for name in ("Aaron Aardvark", "Zed Zulu")]
    for entry in all_pages(fhir, next_url):
        seen.append(int(entry["resource"]["id"]))
    assert seen == sorted(before + added)


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/fhir/Practitioner?colour=blue", "colour"),
        ("/fhir/Practitioner?name:exact=Ann", "name:exact"),
        ("/fhir/Practitioner?_count=0", "_count"),
        ("/fhir/Practitioner?_count=101", "_count"),
        ("/fhir/Practitioner?_count=ten", "_count"),
        ("/fhir/Practitioner?_id=abc", "_id"),
        ("/fhir/Practitioner?_id=", "_id"),
        ("/fhir/Practitioner?identifier=123", "identifier"),
        ("/fhir/Practitioner?_lastUpdated=2026-03-01", "_lastUpdated"),
        ("/fhir/Practitioner?_lastUpdated=eq2026-03-01", "_lastUpdated"),
        ("/fhir/Practitioner?_lastUpdated=gt2026-02-30", "_lastUpdated"),
        ("/fhir/Practitioner?_lastUpdated=gt2026-03-01T10:00:00", "_lastUpdated"),
        ("/fhir/Practitioner?_lastUpdated=gtyesterday", "_lastUpdated"),
        ("/fhir/Practitioner?_cursor=forged", "_cursor"),
        ("/fhir/Practitioner?_include=PractitionerRole:location", "_include"),
        ("/fhir/Practitioner?_format=xml", "_format"),
        ("/fhir/PractitionerRole?_revinclude=PractitionerRole:practitioner", "_revinclude"),
        ("/fhir/PractitionerRole?specialty=no-such-condition", "specialty"),
        ("/fhir/PractitionerRole?specialty=http://snomed.info/sct|123", "specialty"),
        ("/fhir/PractitionerRole?active=yes", "active"),
        ("/fhir/PractitionerRole?practitioner=Location/1", "practitioner"),
        ("/fhir/Location?address-state=XX", "address-state"),
        ("/fhir/Location?address-postalcode=98a", "address-postalcode"),
        ("/fhir/Location?near=47.6|-122.3&near=40|-70", "near"),
        ("/fhir/Organization?near=47.6|-122.3", "near"),
        ("/fhir/metadata?mode=x&colour=1", "colour"),
        ("/fhir/Practitioner/1?colour=1", "colour"),
        ("/fhir/Practitioner/1?_format=xml", "_format"),
        ("/fhir/metadata?_format=text/html", "_format"),
    ],
)
def test_a_bad_parameter_is_a_400_operation_outcome_naming_it(db, fhir, url, parameter):
    status, body, response = fhir(url)
    assert status == 400, body
    assert response["Content-Type"] == "application/fhir+json"
    OperationOutcome.model_validate(body)
    (issue,) = body["issue"]
    assert issue["severity"] == "error" and issue["expression"] == [parameter]
    assert issue["diagnostics"].startswith(f"{parameter}: ")


def test_an_unknown_type_or_id_is_a_404_operation_outcome(db, fhir):
    for url in ("/fhir/Patient", "/fhir/Practitioner/999999", "/fhir/Practitioner/abc", "/fhir/Patient/1"):
        status, body, _ = fhir(url)
        assert status == 404, url
        OperationOutcome.model_validate(body)
        assert body["issue"][0]["code"] in {"not-found", "not-supported"}


def test_the_fhir_api_is_rate_limited_like_the_public_api(db, fhir):
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "anon": "3/minute"}
    with mock.patch.object(SimpleRateThrottle, "THROTTLE_RATES", rates):
        statuses = [fhir("/fhir/Organization")[0] for _ in range(3)]
        status, body, response = fhir("/fhir/Organization")
    assert statuses == [200, 200, 200] and status == 429
    OperationOutcome.model_validate(body)
    assert int(response["Retry-After"]) > 0
