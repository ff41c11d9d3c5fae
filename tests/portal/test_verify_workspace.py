"""The verification workspace (/verify/): who may open it, the queue (order, filters, age
against the service level, the checks' flags), one credential per screen, decisions through
the credential services with conflicts shown, and exclusion matches confirmed or dismissed.

The day is Wednesday 2026-03-04; ages are in business days (Monday to Friday).
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from credentials import services
from credentials.models import (
    BoardLookup,
    Credential,
    Exclusion,
    ExclusionDecision,
    ExclusionMatch,
    MatchBasis,
    MatchStatus,
    Method,
    NppesRecord,
    Status,
    TrainingProvider,
    Verification,
)
from tests.credentials.factories import CredentialFactory, listing_in, verified
from tests.factories import ClinicFactory, PractitionerFactory

WEDNESDAY = datetime.date(2026, 3, 4)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def frozen_day():
    return WEDNESDAY


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def verifier(admin, browser_as):
    return browser_as(admin)


def submitted(credential, day: datetime.date, hour=10) -> Credential:
    """Pretend the credential was submitted on `day` (created_at is set by the database)."""
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))
    Credential.objects.filter(pk=credential.pk).update(created_at=moment)
    credential.refresh_from_db()
    return credential


def monday(weeks_back: int) -> datetime.date:
    return WEDNESDAY - datetime.timedelta(days=2 + 7 * weeks_back)


# --- who may open it --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/verify/", "/verify/credentials/{pk}/", "/verify/credentials/{pk}/document/"])
def test_only_admins_open_the_workspace(path, today, practitioner, admin, clinic_user, browser_as):
    credential = CredentialFactory(practitioner=practitioner, document=SimpleUploadedFile("l.pdf", PDF))
    url = path.format(pk=credential.pk)

    anonymous = browser_as(None).get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/?next=")

    staff = browser_as(clinic_user).get(url)
    assert staff.status_code == 403
    assert "Admins only" in staff.content.decode()

    assert browser_as(admin).get(url).status_code == 200


def test_clinic_staff_cannot_decide_or_touch_matches(today, practitioner, clinic_user, browser_as):
    credential = CredentialFactory(practitioner=practitioner)
    match = ExclusionMatch.objects.create(practitioner=practitioner, summary="DOE, JANE", basis=MatchBasis.NPI)
    client = browser_as(clinic_user)
    decide = client.post(
        f"/verify/credentials/{credential.pk}/",
        {"action": "verify", "method": Method.PRIMARY_SOURCE, "seen_status": "pending", "seen_events": 0},
    )
    dismiss = client.post(f"/verify/matches/{match.pk}/", {"decision": "dismissed", "reason": "not her"})
    assert (decide.status_code, dismiss.status_code) == (403, 403)
    credential.refresh_from_db()
    assert credential.status == Status.PENDING
    assert not ExclusionDecision.objects.exists()


# --- the queue ----------------------------------------------------------------------


def test_queue_lists_pending_oldest_first_then_review_due_with_ages(today, practitioner, verifier, settings):
    settings.VERIFY_SLA_BUSINESS_DAYS = 5
    newest = submitted(CredentialFactory(practitioner=practitioner, name="newest"), WEDNESDAY)
    oldest = submitted(CredentialFactory(practitioner=practitioner, name="oldest"), monday(2))
    # Verified on 2023-03-01 for three years: its review fell due on 2026-03-01 (a Sunday).
    review = verified(
        CredentialFactory(practitioner=practitioner, certification=True, name="review me"),
        today=datetime.date(2023, 3, 1),
    )
    page = verifier.get("/verify/")
    body = page.content.decode()
    assert page.status_code == 200
    assert body.index("oldest") < body.index("newest") < body.index("review me")
    # Monday two weeks back to Wednesday: 12 business days, over the level of 5.
    assert "12 business days" in body
    assert "0 business days" in body  # submitted today
    # Due Sunday 1 March: Monday to Wednesday, 3 business days.
    assert "3 business days" in body
    assert "1 over the 5-business-day service level" in body
    assert "2 pending, 1 due for review" in body
    assert {oldest.pk, newest.pk, review.pk} == set(Credential.objects.values_list("pk", flat=True))


def test_service_level_counts_the_boundary_exactly(today, practitioner, verifier, settings):
    settings.VERIFY_SLA_BUSINESS_DAYS = 5
    # Wednesday a week back is exactly 5 business days old (not over); Tuesday is 6 (over).
    submitted(CredentialFactory(practitioner=practitioner), WEDNESDAY - datetime.timedelta(days=7))
    submitted(CredentialFactory(practitioner=practitioner), WEDNESDAY - datetime.timedelta(days=8))
    body = verifier.get("/verify/").content.decode()
    assert "5 business days" in body and "6 business days" in body
    assert "1 over the 5-business-day service level" in body
    older = verifier.get("/verify/?older_than=5").content.decode()
    assert "6 business days" in older and "5 business days" not in older


def test_queue_filters_by_kind_state_and_clinic(today, practitioner, verifier, clinic):
    license_ = CredentialFactory(practitioner=practitioner, name="WA license")
    training = CredentialFactory(practitioner=practitioner, training=True, name="Needling course")
    elsewhere = PractitionerFactory(name="Otto Florida")
    listing_in("FL", practitioner=elsewhere, location_kwargs={"clinic": ClinicFactory(name="Sunshine Rehab")})
    florida = CredentialFactory(
        practitioner=elsewhere, jurisdiction="FL", issuer="Florida Board", name="FL license", license_number="PT9"
    )

    def names(query):
        response = verifier.get(f"/verify/?{query}")
        assert response.status_code == 200, response.content
        body = response.content.decode()
        return {c.name for c in (license_, training, florida) if c.name in body}

    assert names("kind=training") == {"Needling course"}
    assert names("state=FL") == {"FL license"}
    assert names("clinic=sunshine") == {"FL license"}
    assert names(f"clinic={clinic.name[:6]}") == {"WA license", "Needling course"}


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("kind=diploma", "kind"),
        ("older_than=soon", "older_than"),
        ("older_than=-1", "older_than"),
        ("colour=red", "colour"),
    ],
)
def test_a_bad_filter_is_a_400_that_names_it(query, named, today, practitioner, verifier):
    CredentialFactory(practitioner=practitioner)
    response = verifier.get(f"/verify/?{query}")
    assert response.status_code == 400
    body = response.content.decode()
    assert named in body
    assert "queue-item" not in body


def test_queue_flags_exclusion_unrecognised_provider_and_nppes(today, practitioner, verifier):
    practitioner.npi = "1234567893"
    practitioner.save()
    CredentialFactory(practitioner=practitioner, license_number="PT600001")
    CredentialFactory(practitioner=practitioner, training=True, issuer="Fly-by-night Needling")
    NppesRecord.objects.create(
        npi="1234567893",
        entity_type="1",
        last_name="WHITFIELD",
        first_name="DANA",
        licenses=[{"taxonomy": "225100000X", "number": "PT600001", "state": "WA", "primary": True}],
    )
    body = verifier.get("/verify/").content.decode()
    assert "NPPES agrees" in body
    assert "Provider not recognised" in body
    assert "On the exclusion list" not in body

    TrainingProvider.objects.create(
        name="Fly-by-Night Needling Institute", aliases=["fly-by-night needling"], certifies="Courses", source="x"
    )
    ExclusionMatch.objects.create(practitioner=practitioner, summary="WHITFIELD, DANA", basis=MatchBasis.NAME_STATE)
    # An open match whose exclusion row is gone no longer stands; one with a confirmation does.
    ExclusionMatch.objects.update(status=MatchStatus.CONFIRMED)
    body = verifier.get("/verify/").content.decode()
    assert "Provider not recognised" not in body
    assert "On the exclusion list" in body


# --- one credential per screen ---------------------------------------------------------


def test_the_screen_shows_the_document_beside_the_fields_and_the_checks(today, practitioner, verifier):
    practitioner.npi = "1234567893"
    practitioner.save()
    credential = CredentialFactory(
        practitioner=practitioner, license_number="PT-0042", document=SimpleUploadedFile("license.pdf", PDF)
    )
    NppesRecord.objects.create(
        npi="1234567893",
        entity_type="1",
        last_name="WHITFIELD",
        first_name="DANA",
        licenses=[{"taxonomy": "225100000X", "number": "PT0099", "state": "WA", "primary": True}],
    )
    BoardLookup.objects.filter(state="WA").update(checked_on=None)
    body = verifier.get(f"/verify/credentials/{credential.pk}/").content.decode()
    assert f'src="/verify/credentials/{credential.pk}/document/"' in body
    assert "PT-0042" in body  # the verifier sees the number patients never do
    assert "NPPES differs: NPPES has license PT0099 in WA, not PT-0042." in body
    assert 'href="https://fortress.wa.gov/doh/providercredentialsearch/"' in body
    assert "address not checked yet" in body

    document = verifier.get(f"/verify/credentials/{credential.pk}/document/")
    assert document.status_code == 200
    assert document["Content-Type"] == "application/pdf"
    assert document["Content-Disposition"] == "inline"
    assert "default-src 'none'" in document["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in document["Content-Security-Policy"]
    assert document["X-Content-Type-Options"] == "nosniff"
    assert document["X-Frame-Options"] == "SAMEORIGIN"
    assert b"".join(document.streaming_content) == PDF


@pytest.mark.parametrize(
    ("npi", "record", "expected"),
    [
        ("", None, "No NPI on record for this practitioner"),
        ("1234567893", None, "NPI 1234567893 is not in the imported NPPES data."),
        (
            "1234567893",
            {"last_name": "WHITFIELD", "first_name": "DANA", "number": "PT600001", "state": "WA"},
            "NPPES agrees: NPI 1234567893, name, license number and state.",
        ),
        (
            "1234567893",
            {"last_name": "SMITH", "first_name": "DANA", "number": "PT600001", "state": "WA"},
            "NPPES name is DANA SMITH, listed here as Dana Whitfield.",
        ),
        (
            "1234567893",
            {"last_name": "WHITFIELD", "first_name": "DANA", "number": "PT1", "state": "OR"},
            "NPPES has no license in WA (its license states: OR).",
        ),
    ],
)
def test_nppes_check_says_what_agrees_and_what_differs(npi, record, expected, today, practitioner, verifier):
    practitioner.npi = npi
    practitioner.save()
    credential = CredentialFactory(practitioner=practitioner, license_number="PT600001")
    if record:
        NppesRecord.objects.create(
            npi=npi,
            entity_type="1",
            last_name=record["last_name"],
            first_name=record["first_name"],
            licenses=[{"taxonomy": "225100000X", "number": record["number"], "state": record["state"]}],
        )
    body = verifier.get(f"/verify/credentials/{credential.pk}/").content.decode()
    assert expected in body


# --- deciding -------------------------------------------------------------------------------


def decision(credential, **fields):
    return {
        "action": "verify",
        "method": Method.PRIMARY_SOURCE,
        "reason": "",
        "seen_status": credential.status,
        "seen_events": credential.verifications.count(),
        **fields,
    }


def test_verify_records_the_decision_and_goes_to_the_next_in_queue(today, practitioner, admin, verifier):
    first = submitted(CredentialFactory(practitioner=practitioner), monday(1))
    second = submitted(CredentialFactory(practitioner=practitioner, training=True), WEDNESDAY)
    response = verifier.post(f"/verify/credentials/{first.pk}/", decision(first))
    assert response.status_code == 302
    assert response["Location"] == f"/verify/credentials/{second.pk}/"
    first.refresh_from_db()
    assert (first.status, first.method) == (Status.VERIFIED, Method.PRIMARY_SOURCE)
    event = Verification.objects.get(credential=first)
    assert (event.decided_by, event.action) == (admin, "verify")

    # The last one decided: back to the (now empty) queue.
    response = verifier.post(
        f"/verify/credentials/{second.pk}/", decision(second, action="reject", reason="Course certificate unreadable")
    )
    assert response["Location"] == "/verify/"
    second.refresh_from_db()
    assert second.status == Status.REJECTED
    assert "Nothing waiting" in verifier.get("/verify/").content.decode()


def test_next_in_queue_keeps_the_verifiers_filters(today, practitioner, verifier):
    first = CredentialFactory(practitioner=practitioner, training=True, name="first course")
    CredentialFactory(practitioner=practitioner, name="a license in between")
    third = CredentialFactory(practitioner=practitioner, training=True, name="second course")
    response = verifier.post(f"/verify/credentials/{first.pk}/", decision(first, queue="kind=training"))
    assert response["Location"] == f"/verify/credentials/{third.pk}/?queue=kind%3Dtraining"


def test_reject_without_a_reason_is_refused_next_to_the_field(today, practitioner, verifier):
    credential = CredentialFactory(practitioner=practitioner)
    response = verifier.post(f"/verify/credentials/{credential.pk}/", decision(credential, action="reject"))
    assert response.status_code == 400
    assert 'id="reason-error"' in response.content.decode()
    assert "Give a reason to reject." in response.content.decode()
    credential.refresh_from_db()
    assert credential.status == Status.PENDING
    assert not Verification.objects.exists()


def test_someone_elses_decision_is_shown_never_overwritten(today, practitioner, verifier):
    credential = CredentialFactory(practitioner=practitioner)
    seen = decision(credential, action="reject", reason="Blurry scan")
    # Another admin verifies while this one is reading.
    other = verified(credential, today=WEDNESDAY)
    response = verifier.post(f"/verify/credentials/{credential.pk}/", seen)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else got here first: verify by" in body
    # When, in the directory's time zone, as the history table below says it.
    decided = timezone.localtime(Verification.objects.get().decided_at)
    assert f"at {decided:%Y-%m-%d %H:%M}. It is now verified" in body
    assert "your decision was not recorded" in body
    other.refresh_from_db()
    assert other.status == Status.VERIFIED
    assert list(Verification.objects.values_list("action", flat=True)) == ["verify"]


def test_a_credential_with_nothing_to_decide_shows_no_form(today, practitioner, verifier):
    credential = verified(CredentialFactory(practitioner=practitioner), today=WEDNESDAY)
    body = verifier.get(f"/verify/credentials/{credential.pk}/").content.decode()
    assert "Nothing to decide: this credential is verified" in body
    assert 'id="decision-form"' not in body


# --- exclusion matches ----------------------------------------------------------------------


def qualified_in_wa(practitioner):
    """A PT qualified in Washington today (a license and 60 verified hours)."""
    verified(CredentialFactory(practitioner=practitioner), today=WEDNESDAY)
    verified(CredentialFactory(practitioner=practitioner, training=True), today=WEDNESDAY)


def search_slugs(client):
    response = client.get("/api/v1/practitioners/?zip=98101&radius_mi=50")
    assert response.status_code == 200
    return [row["slug"] for row in response.json()["results"]]


def test_a_standing_match_drops_the_listing_the_same_day_and_a_dismissal_restores_it(
    today, practitioner, admin, verifier, api
):
    qualified_in_wa(practitioner)
    assert practitioner.slug in search_slugs(api)

    exclusion = Exclusion.objects.create(
        row_key="a" * 64,
        last_name="WHITFIELD",
        first_name="DANA",
        state="WA",
        exclusion_type="1128a1",
        excluded_on=datetime.date(2025, 1, 20),
    )
    match = ExclusionMatch.objects.create(
        practitioner=practitioner,
        exclusion=exclusion,
        summary="WHITFIELD, DANA (1128a1, 2025-01-20, WA)",
        basis=MatchBasis.NAME_STATE,
    )
    # What screening does after finding a match: requalify.
    services.practitioner_requalify(practitioner=practitioner, today=WEDNESDAY)
    assert practitioner.slug not in search_slugs(api)
    credential = practitioner.credentials.first()
    screen = verifier.get(f"/verify/credentials/{credential.pk}/").content.decode()
    assert "Exclusion list: WHITFIELD, DANA" in screen
    assert "is listed as qualified nowhere while this stands" in screen

    back = f"/verify/credentials/{credential.pk}/"
    missing = verifier.post(f"/verify/matches/{match.pk}/", {"decision": "dismissed", "reason": "", "back": back})
    assert missing.status_code == 302
    assert not ExclusionDecision.objects.exists()
    assert practitioner.slug not in search_slugs(api)

    response = verifier.post(
        f"/verify/matches/{match.pk}/",
        {
            "decision": "dismissed",
            "reason": "Different person: other middle name and licensed since 2015",
            "back": back,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == back
    match.refresh_from_db()
    assert match.status == MatchStatus.DISMISSED
    decision_row = ExclusionDecision.objects.get()
    assert (decision_row.decided_by, decision_row.status_after) == (admin, MatchStatus.DISMISSED)
    assert practitioner.slug in search_slugs(api)


def test_a_confirmed_match_keeps_them_off_even_after_the_exclusion_leaves_the_list(today, practitioner, verifier, api):
    qualified_in_wa(practitioner)
    match = ExclusionMatch.objects.create(practitioner=practitioner, summary="WHITFIELD, DANA", basis=MatchBasis.NPI)
    verifier.post(f"/verify/matches/{match.pk}/", {"decision": "confirmed", "reason": "Same NPI, same address"})
    assert ExclusionMatch.objects.get().status == MatchStatus.CONFIRMED
    assert practitioner.slug not in search_slugs(api)
    # Deciding the same again is refused, and nothing is added.
    verifier.post(f"/verify/matches/{match.pk}/", {"decision": "confirmed", "reason": "again"})
    assert ExclusionDecision.objects.count() == 1


def test_exclusion_decisions_are_append_only_in_the_database(today, practitioner, admin):
    match = ExclusionMatch.objects.create(practitioner=practitioner, summary="x", basis=MatchBasis.NPI)
    row = ExclusionDecision.objects.create(match=match, status_after="dismissed", reason="no", decided_by=admin)
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        ExclusionDecision.objects.all().delete()
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
        cursor.execute("UPDATE credentials_exclusiondecision SET reason = 'edited'")


def test_which_matches_stand(today, practitioner, admin):
    exclusion = Exclusion.objects.create(row_key="b" * 64, last_name="X", excluded_on=datetime.date(2024, 1, 1))
    rows = {
        "open, on the list": ExclusionMatch(exclusion=exclusion, status=MatchStatus.OPEN),
        "open, off the list": ExclusionMatch(exclusion=None, status=MatchStatus.OPEN),
        "confirmed, off the list": ExclusionMatch(exclusion=None, status=MatchStatus.CONFIRMED),
        "dismissed, on the list": ExclusionMatch(exclusion=exclusion, status=MatchStatus.DISMISSED),
    }
    for summary, row in rows.items():
        row.practitioner = PractitionerFactory()
        row.summary = summary
        row.basis = MatchBasis.NPI
        row.save()
    standing = set(ExclusionMatch.objects.standing().values_list("summary", flat=True))
    assert standing == {"open, on the list", "confirmed, off the list"}
