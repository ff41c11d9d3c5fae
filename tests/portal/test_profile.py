"""What patients see of credentials: the public part of verified, unexpired ones, and nothing else."""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from credentials import services
from credentials.models import Method
from tests.credentials.factories import TODAY, CredentialFactory, verified

pytestmark = pytest.mark.django_db

PUBLIC_CREDENTIAL_FIELDS = {
    "kind",
    "name",
    "issuer",
    "jurisdiction",
    "issued_on",
    "expires_on",
    "hours",
    "verified_at",
    "method",
    "next_review_due",
}
PUBLIC_PROFILE_FIELDS = {
    "id",
    "slug",
    "name",
    "profession",
    "profession_name",
    "npi",
    "bio",
    "years_dry_needling",
    "typical_sessions",
    "qualified",
    "verified_training_hours",
    "specialties",
    "techniques",
    "languages",
    "locations",
    "credentials",
}
PUBLIC_RESULT_FIELDS = {
    "id",
    "slug",
    "name",
    "profession",
    "profession_name",
    "qualified",
    "verified_training_hours",
    "years_dry_needling",
    "specialties",
    "techniques",
    "languages",
    "distance_km",
    "distance_mi",
    "location",
}
PRIVATE_WORDS = ["license_number", "document", "status", "submitted_by", "decided_by", "reason", "verifications"]


@pytest.fixture
def record(practitioner, admin, settings, tmp_path):
    """A practitioner with one credential in every state a credential can be in."""
    settings.MEDIA_ROOT = tmp_path
    scan = SimpleUploadedFile("scan.pdf", b"%PDF-1.4 secret scan", content_type="application/pdf")
    decide = {"decided_by": admin, "today": TODAY}
    credentials = {
        "license": verified(
            CredentialFactory(practitioner=practitioner, license_number="PT-SECRET-98765", document=scan)
        ),
        "training": verified(
            CredentialFactory(practitioner=practitioner, training=True, hours=54, name="Visible Course")
        ),
        "expired": verified(
            CredentialFactory(
                practitioner=practitioner,
                certification=True,
                name="Lapsed Certification",
                expires_on=TODAY - datetime.timedelta(days=1),
            )
        ),
        "pending": CredentialFactory(practitioner=practitioner, training=True, name="Pending Course", hours=30),
        "rejected": services.credential_reject(
            credential=CredentialFactory(practitioner=practitioner, training=True, name="Rejected Course"),
            method=Method.DOCUMENT_REVIEW,
            reason="Certificate looks edited.",
            **decide,
        ),
        "revoked": services.credential_revoke(
            credential=verified(
                CredentialFactory(practitioner=practitioner, certification=True, name="Revoked Certification")
            ),
            method=Method.PRIMARY_SOURCE,
            reason="Withdrawn by the issuer.",
            **decide,
        ),
    }
    return credentials


def test_profile_lists_only_verified_unexpired_credentials(api, today, practitioner, record):
    body = api.get(f"/api/v1/practitioners/{practitioner.slug}/").json()
    names = sorted(credential["name"] for credential in body["credentials"])
    assert names == ["Physical therapist license", "Visible Course"]


def test_profile_credentials_carry_the_public_fields_only(api, today, practitioner, record):
    body = api.get(f"/api/v1/practitioners/{practitioner.slug}/").json()
    assert set(body) == PUBLIC_PROFILE_FIELDS
    for credential in body["credentials"]:
        assert set(credential) == PUBLIC_CREDENTIAL_FIELDS
    license_ = next(c for c in body["credentials"] if c["kind"] == "license")
    assert license_ == {
        "kind": "license",
        "name": "Physical therapist license",
        "issuer": "Washington Board of Physical Therapy",
        "jurisdiction": "WA",
        "issued_on": "2015-06-01",
        "expires_on": "2027-12-31",
        "hours": None,
        "verified_at": license_["verified_at"],
        "method": "primary_source",
        "next_review_due": "2027-12-31",
    }
    assert license_["verified_at"]


def test_nothing_private_leaks_from_the_profile_or_the_search(api, today, practitioner, record):
    profile = api.get(f"/api/v1/practitioners/{practitioner.slug}/")
    results = api.get("/api/v1/practitioners/", {"include_unqualified": "true"})
    geojson = api.get("/api/v1/practitioners/", {"include_unqualified": "true", "format": "geojson"})
    for response in (profile, results, geojson):
        assert response.status_code == 200
        text = response.content.decode()
        for secret in [
            "PT-SECRET-98765",
            "98765",
            record["license"].document.name,
            "scan.pdf",
            "Pending Course",
            "Rejected Course",
            "Revoked Certification",
            "Lapsed Certification",
            "Certificate looks edited",
            "Withdrawn by the issuer",
            "verifier",
        ]:
            assert secret not in text, (secret, response.request["PATH_INFO"])
        assert not any(f'"{word}"' in text for word in PRIVATE_WORDS)

    for row in results.json()["results"]:
        assert set(row) <= PUBLIC_RESULT_FIELDS
        assert json.dumps(row).count("license") == 0


def test_profile_drops_a_credential_the_day_after_it_expires(api, freeze_today, practitioner, admin):
    verified(CredentialFactory(practitioner=practitioner, expires_on=datetime.date(2026, 3, 10)))
    assert len(api.get(f"/api/v1/practitioners/{practitioner.slug}/").json()["credentials"]) == 1
    freeze_today(datetime.date(2026, 3, 11))
    assert api.get(f"/api/v1/practitioners/{practitioner.slug}/").json()["credentials"] == []


def test_profile_query_count_does_not_grow_with_credentials(api, today, practitioner, django_assert_max_num_queries):
    for _ in range(5):
        verified(CredentialFactory(practitioner=practitioner, training=True))
    with django_assert_max_num_queries(10):
        response = api.get(f"/api/v1/practitioners/{practitioner.slug}/")
    assert len(response.json()["credentials"]) == 5


def test_a_profile_with_every_kind_of_credential_is_exactly_what_the_schema_publishes(api, today, practitioner):
    from tests.credentials.factories import CredentialFactory, verified
    from tests.directory.test_results import assert_conforms, published_schema

    verified(CredentialFactory(practitioner=practitioner))
    verified(CredentialFactory(practitioner=practitioner, certification=True))
    verified(CredentialFactory(practitioner=practitioner, training=True))
    schema = published_schema(api)
    operation = schema["paths"]["/api/v1/practitioners/{slug}/"]["get"]
    body = api.get(f"/api/v1/practitioners/{practitioner.slug}/").json()
    assert len(body["credentials"]) == 3
    assert_conforms(schema, operation["responses"]["200"]["content"]["application/json"]["schema"], body)


def test_a_profile_names_every_term_held_in_name_order_listed_or_not(api, today, specialty, language):
    """A listed practitioner's terms are named from a listing's copies of their ids, an
    unlisted one's from the link tables; either way every term in name order, and a change
    made through the services shows at once."""
    from directory import services as directory_services
    from directory.models import Specialty
    from tests.factories import ListingFactory, PractitionerFactory

    slugs = ["tmj", "tendinopathy", "arthritis"]
    by_name = [
        {"slug": slug, "name": name}
        for slug, name in Specialty.objects.filter(slug__in=slugs).order_by("name").values_list("slug", "name")
    ]
    listed = PractitionerFactory(specialties=[specialty(slug) for slug in slugs], languages=[language("es")])
    ListingFactory(practitioner=listed)
    ListingFactory(practitioner=listed)
    unlisted = PractitionerFactory(specialties=[specialty(slug) for slug in slugs], languages=[language("es")])

    for practitioner in (listed, unlisted):
        body = api.get(f"/api/v1/practitioners/{practitioner.slug}/").json()
        assert body["specialties"] == by_name
        assert body["languages"] == [{"code": "es", "name": "Spanish"}]
        assert body["techniques"] == []

    directory_services.practitioner_update(practitioner=listed, specialties=[specialty("tmj")], languages=[])
    body = api.get(f"/api/v1/practitioners/{listed.slug}/").json()
    assert body["specialties"] == [{"slug": "tmj", "name": "TMJ (jaw) disorders"}]
    assert body["languages"] == []
