"""The nightly expiry scan: thresholds, exactly-once notifications, one digest per clinic,
and the faults it must survive."""

import datetime
import io
import re
import smtplib

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from credentials.expiry import scan
from credentials.expiry.models import ClinicDigest, DigestStatus, ExpiryNotification, ScanRun
from credentials.models import Credential
from directory.models import ClinicMembership, Listing, Practitioner
from tests.credentials.factories import TODAY, CredentialFactory, MembershipFactory, UserFactory, listing_in, verified
from tests.factories import FAR_PAST, ListingFactory, PractitionerFactory

pytestmark = pytest.mark.django_db

DAY = TODAY  # 2026-03-01


def days(n):
    return DAY + datetime.timedelta(days=n)


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def owner(clinic):
    return MembershipFactory(
        clinic=clinic, role="owner", user=UserFactory(username="olga", email="olga@harbor.example")
    ).user


def expiring_license(practitioner, expires_in, *, admin=None, **kwargs):
    credential = CredentialFactory(
        practitioner=practitioner, issued_on=datetime.date(2015, 6, 1), expires_on=days(expires_in), **kwargs
    )
    return verified(credential, by=admin, today=DAY)


def notices():
    return sorted(ExpiryNotification.objects.values_list("credential_id", "threshold"))


@pytest.mark.parametrize(
    ("expires_in", "threshold"),
    [
        (91, None),
        (90, "90d"),
        (61, "90d"),
        (60, "60d"),
        (31, "60d"),
        (30, "30d"),
        (8, "30d"),
        (7, "7d"),
        (1, "7d"),
        (0, "today"),
        (-1, "expired"),
        (-30, "expired"),
        (-31, None),
    ],
)
def test_a_credential_is_noticed_at_its_tightest_threshold(practitioner, admin, expires_in, threshold):
    credential = expiring_license(practitioner, expires_in, admin=admin)
    scan.credentials_scan(today=DAY)
    assert notices() == ([(credential.pk, threshold)] if threshold else [])


def test_the_clinic_gets_one_digest_listing_all_its_credentials(clinic, owner, clinic_user, practitioner, admin):
    colleague = PractitionerFactory(name="Ken Ito")
    listing_in("WA", practitioner=colleague, location_kwargs={"clinic": clinic})
    expiring_license(practitioner, 30, admin=admin, license_number="PT600001")
    expiring_license(colleague, 5, admin=admin, license_number="PT600002")
    expiring_license(colleague, -3, admin=admin, license_number="FL600003", jurisdiction="FL")
    call_command("scan_credentials", "--today", DAY.isoformat(), verbosity=0)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["harbor-staff@example.com", "olga@harbor.example"]
    assert message.subject == "3 credentials at Harbor Physical Therapy need attention"
    body = message.body
    assert 'Dana Whitfield: license "Physical therapist license" (WA), expires 2026-03-31, 30 days left' in body
    assert 'Ken Ito: license "Physical therapist license" (WA), expires 2026-03-06, 5 days left' in body
    assert 'Ken Ito: license "Physical therapist license" (FL), expires 2026-02-26, expired 3 days ago' in body
    # Tightest first: what expired comes before what expires in 30 days.
    assert body.index("Expired:") < body.index("Expires within 7 days:") < body.index("Expires within 30 days:")
    assert "renew each credential" in body
    digest = ClinicDigest.objects.get()
    assert (digest.status, digest.attempts, digest.recipients) == (
        "sent",
        1,
        "harbor-staff@example.com, olga@harbor.example",
    )


def test_a_credential_deleted_before_its_digest_goes_out_is_left_out_of_it(clinic, owner, practitioner, admin):
    """Notices go with their credential (Django's cascade; the table has no constraint), and
    a digest lists only the notices whose credential is still there."""
    colleague = PractitionerFactory(name="Ken Ito")
    listing_in("WA", practitioner=colleague, location_kwargs={"clinic": clinic})
    leaver = PractitionerFactory(name="Lee Gone")
    listing_in("WA", practitioner=leaver, location_kwargs={"clinic": clinic})
    expiring_license(practitioner, 30, admin=admin, license_number="PT600001")
    # Pending (an audit trail of decisions protects a decided credential from deletion).
    removed = CredentialFactory(
        practitioner=colleague, issued_on=datetime.date(2015, 6, 1), expires_on=days(5), license_number="PT600002"
    )
    vanished = CredentialFactory(
        practitioner=leaver, issued_on=datetime.date(2015, 6, 1), expires_on=days(7), license_number="PT600003"
    )
    scan.credentials_scan(today=DAY)
    digest = ClinicDigest.objects.get()
    assert len(digest.notifications) == 3

    Credential.objects.filter(pk=removed.pk).delete()  # the ORM's cascade takes the notice
    assert not ExpiryNotification.objects.filter(credential_id=removed.pk).exists()
    with connection.cursor() as cursor:  # gone behind the ORM's back: the notice stays
        cursor.execute("DELETE FROM credentials_credential WHERE id = %s", [vanished.pk])
    assert ExpiryNotification.objects.filter(credential_id=vanished.pk).exists()

    assert scan.digest_send(digest_id=digest.pk) is True
    [message] = mail.outbox
    assert message.subject == "1 credential at Harbor Physical Therapy needs attention"
    assert "Dana Whitfield" in message.body
    assert "Ken Ito" not in message.body and "Lee Gone" not in message.body


def test_another_clinics_credentials_never_appear_and_each_clinic_hears_of_its_own(
    clinic, other_clinic, clinic_user, other_clinic_user, practitioner, admin
):
    stranger = PractitionerFactory(name="Theirs Only")
    listing_in("WA", practitioner=stranger, location_kwargs={"clinic": other_clinic})
    expiring_license(practitioner, 30, admin=admin)
    expiring_license(stranger, 30, admin=admin)
    # Dana also works at the other clinic: both clinics hear about her license.
    listing_in("WA", practitioner=practitioner, location_kwargs={"clinic": other_clinic})
    call_command("scan_credentials", "--today", DAY.isoformat(), verbosity=0)

    by_recipient = {tuple(m.to): m.body for m in mail.outbox}
    assert set(by_recipient) == {("harbor-staff@example.com",), ("elsewhere-staff@example.com",)}
    assert "Theirs Only" not in by_recipient[("harbor-staff@example.com",)]
    assert "Dana Whitfield" in by_recipient[("harbor-staff@example.com",)]
    assert "Theirs Only" in by_recipient[("elsewhere-staff@example.com",)]
    assert "Dana Whitfield" in by_recipient[("elsewhere-staff@example.com",)]


def test_running_the_scan_twice_the_same_day_sends_nothing_new(clinic_user, practitioner, admin):
    expiring_license(practitioner, 7, admin=admin)
    call_command("scan_credentials", "--today", DAY.isoformat(), verbosity=0)
    call_command("scan_credentials", "--today", DAY.isoformat(), verbosity=0)
    assert len(mail.outbox) == 1
    assert ExpiryNotification.objects.count() == 1 and ClinicDigest.objects.count() == 1
    assert list(ScanRun.objects.order_by("started_at").values_list("notifications", "digests")) == [(1, 1), (0, 0)]


def test_each_threshold_is_notified_once_ever_as_the_days_pass(clinic_user, practitioner, admin):
    credential = expiring_license(practitioner, 95, admin=admin)
    sent = []
    for day in range(0, 100):
        call_command("scan_credentials", "--today", days(day).isoformat(), verbosity=0)
        sent.extend((day, m.body.count("Dana Whitfield")) for m in mail.outbox)
        mail.outbox.clear()
    assert [day for day, _ in sent] == [5, 35, 65, 88, 95, 96]
    assert [
        t for _, t in sorted(ExpiryNotification.objects.filter(credential=credential).values_list("rank", "threshold"))
    ] == ["90d", "60d", "30d", "7d", "today", "expired"]


def test_the_database_keeps_one_notice_per_threshold_each_with_its_own_rank(practitioner, admin):
    """The claim the scan's INSERT ... ON CONFLICT relies on is unique per (credential, rank),
    which is per threshold only while each rank is its threshold's: both are the database's."""
    from django.db import IntegrityError, transaction

    from credentials.expiry.models import THRESHOLD_RANK, Threshold

    credential = expiring_license(practitioner, 7, admin=admin)
    ExpiryNotification.objects.create(credential=credential, threshold="7d", rank=THRESHOLD_RANK["7d"], scan_day=DAY)
    for threshold, rank in [
        ("7d", THRESHOLD_RANK["7d"]),
        ("90d", THRESHOLD_RANK["7d"]),
        ("30d", THRESHOLD_RANK["60d"]),
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            ExpiryNotification.objects.create(credential=credential, threshold=threshold, rank=rank, scan_day=DAY)
    for threshold in Threshold.values:
        if threshold != "7d":
            ExpiryNotification.objects.create(
                credential=credential, threshold=threshold, rank=THRESHOLD_RANK[threshold], scan_day=DAY
            )
    assert ExpiryNotification.objects.filter(credential=credential).count() == len(Threshold.values)


def test_a_missed_week_sends_only_the_tightest_threshold_and_never_a_looser_one_later(clinic_user, practitioner, admin):
    expiring_license(practitioner, 50, admin=admin)  # the 90-day notice was never sent
    call_command("scan_credentials", "--today", days(45).isoformat(), verbosity=0)  # 5 days left
    assert notices()[0][1] == "7d" and len(mail.outbox) == 1
    # A scan of a day in the past would find "60 days": it sends nothing stale.
    call_command("scan_credentials", "--today", DAY.isoformat(), verbosity=0)
    assert [t for _, t in notices()] == ["7d"] and len(mail.outbox) == 1


def test_a_renewed_credential_is_not_nagged_about(clinic_user, practitioner, admin):
    expiring_license(practitioner, 20, admin=admin, license_number="PT600001")
    verified(
        CredentialFactory(practitioner=practitioner, license_number="PT600002", issued_on=DAY, expires_on=days(800)),
        by=admin,
        today=DAY,
    )
    call_command("scan_credentials", "--today", DAY.isoformat(), verbosity=0)
    assert mail.outbox == [] and not ClinicDigest.objects.exists()


def test_the_mail_server_refusing_leaves_the_digest_pending_until_a_retry_sends_it(
    clinic_user, practitioner, admin, monkeypatch
):
    expiring_license(practitioner, 30, admin=admin)

    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    with pytest.raises(CommandError, match="1 digest"):
        call_command("scan_credentials", "--today", DAY.isoformat(), verbosity=0)
    digest = ClinicDigest.objects.get()
    assert (digest.status, digest.attempts, digest.sent_at) == (DigestStatus.PENDING, 1, None)
    assert "SMTPServerDisconnected" in digest.last_error

    monkeypatch.undo()
    from credentials.tasks import send_digest

    assert send_digest.apply(args=[digest.pk]).get() is True
    digest.refresh_from_db()
    assert (digest.status, digest.attempts, digest.last_error) == (DigestStatus.SENT, 2, "")
    assert len(mail.outbox) == 1
    # The next night's scan does not send it again.
    call_command("scan_credentials", "--today", days(1).isoformat(), verbosity=0)
    assert len(mail.outbox) == 1


def test_a_send_task_that_fails_is_retried_with_backoff(clinic_user, practitioner, admin, monkeypatch, settings):
    from credentials.tasks import send_digest

    expiring_license(practitioner, 30, admin=admin)
    scan.credentials_scan(today=DAY)
    digest = ClinicDigest.objects.get()
    attempts = []

    def flaky(self, messages):
        attempts.append(1)
        if len(attempts) < 3:
            raise smtplib.SMTPServerDisconnected("try later")
        return len(messages)

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", flaky)
    monkeypatch.setattr(send_digest, "retry_backoff", False)  # no real waiting in a test
    settings.CELERY_TASK_EAGER_PROPAGATES = False
    result = send_digest.apply(args=[digest.pk])
    assert result.get() is True and len(attempts) == 3
    digest.refresh_from_db()
    assert (digest.status, digest.attempts) == (DigestStatus.SENT, 3)


def test_a_killed_sender_is_finished_by_the_next_run_and_nothing_is_sent_twice(
    clinic, other_clinic, clinic_user, other_clinic_user, practitioner, admin, monkeypatch
):
    stranger = PractitionerFactory()
    listing_in("WA", practitioner=stranger, location_kwargs={"clinic": other_clinic})
    expiring_license(practitioner, 30, admin=admin)
    expiring_license(stranger, 30, admin=admin)
    real_send = scan.digest_send
    calls = []

    def killed_after_first(**kwargs):
        if calls:
            raise SystemExit("worker killed")  # not an Exception: nothing catches it, as with a SIGKILL
        calls.append(kwargs)
        return real_send(**kwargs)

    monkeypatch.setattr(scan, "digest_send", killed_after_first)
    with pytest.raises(SystemExit):
        call_command("scan_credentials", "--today", DAY.isoformat(), verbosity=0)
    assert len(mail.outbox) == 1
    monkeypatch.setattr(scan, "digest_send", real_send)
    call_command("scan_credentials", "--today", DAY.isoformat(), verbosity=0)
    assert sorted(tuple(m.to) for m in mail.outbox) == [("elsewhere-staff@example.com",), ("harbor-staff@example.com",)]
    assert set(ClinicDigest.objects.values_list("status", flat=True)) == {DigestStatus.SENT}


def test_a_scan_killed_midway_leaves_nothing_and_the_rerun_completes(clinic_user, practitioner, admin, monkeypatch):
    expiring_license(practitioner, 30, admin=admin)

    def killed(since, day):
        raise SystemExit("worker killed")

    # Killed once the notices are written and delivered, before the scan commits.
    monkeypatch.setattr(scan, "_refresh_hours", killed)
    with pytest.raises(SystemExit):
        scan.credentials_scan(today=DAY)
    assert (ExpiryNotification.objects.count(), ScanRun.objects.count()) == (0, 0)
    monkeypatch.undo()
    call_command("scan_credentials", "--today", DAY.isoformat(), verbosity=0)
    assert len(mail.outbox) == 1 and ExpiryNotification.objects.count() == 1


def test_a_claimed_digest_is_not_sent_by_a_second_sender_until_the_claim_expires(
    clinic_user, practitioner, admin, settings
):
    expiring_license(practitioner, 30, admin=admin)
    scan.credentials_scan(today=DAY)
    digest = ClinicDigest.objects.get()
    ClinicDigest.objects.filter(pk=digest.pk).update(status=DigestStatus.SENDING, claimed_at=digest.created_at)
    now = digest.created_at + datetime.timedelta(seconds=settings.DIGEST_CLAIM_SECONDS - 1)
    assert scan.digest_send(digest_id=digest.pk, now=now) is False and mail.outbox == []
    later = digest.created_at + datetime.timedelta(seconds=settings.DIGEST_CLAIM_SECONDS + 1)
    assert scan.digest_send(digest_id=digest.pk, now=later) is True and len(mail.outbox) == 1


def test_a_clinic_with_no_one_to_write_to_is_recorded_not_retried(clinic, practitioner, admin):
    expiring_license(practitioner, 30, admin=admin)
    call_command("scan_credentials", "--today", DAY.isoformat(), verbosity=0)
    assert mail.outbox == []
    assert ClinicDigest.objects.get().status == DigestStatus.NO_RECIPIENTS


def test_the_scan_counts_review_due_and_listings_that_lapse_or_return(practitioner, admin, clinic_user):
    expiring_license(practitioner, -1, admin=admin)  # a license's review is due on its expiry date
    ListingFactory(qualified_from=FAR_PAST, qualified_until=days(-1))  # last qualified yesterday
    ListingFactory(qualified_from=DAY, qualified_until=days(300))  # qualified again from today
    ListingFactory()  # qualified throughout
    run = scan.credentials_scan(today=DAY)
    assert (run.review_due, run.listings_lapsed, run.listings_returned) == (1, 1, 1)


def test_verified_training_hours_drop_after_a_training_record_lapses(practitioner, admin, clinic_user, freeze_today):
    verified(
        CredentialFactory(practitioner=practitioner, training=True, hours=60, expires_on=days(3)), by=admin, today=DAY
    )
    practitioner.refresh_from_db()
    assert practitioner.verified_training_hours == 60
    scan.credentials_scan(today=DAY)
    freeze_today(days(4))
    run = scan.credentials_scan(today=days(4))
    practitioner.refresh_from_db()
    assert (practitioner.verified_training_hours, run.practitioners_requalified) == (0, 1)


def test_the_hours_refresh_reads_the_training_indexes_once_prepared(practitioner, admin, clinic_user, freeze_today):
    """The refresh's two reads come from a partial index of verified training records alone,
    under the generic plan PostgreSQL keeps for a prepared statement: their condition is
    written as constants, which a parameter would not match."""
    verified(
        CredentialFactory(practitioner=practitioner, training=True, hours=60, expires_on=days(3)), by=admin, today=DAY
    )
    refresh = []

    def keep_refresh(execute, sql, params, many, context):
        if sql.lstrip().startswith("WITH lapsed"):
            refresh.append((sql, params))
        return execute(sql, params, many, context)

    freeze_today(days(4))
    with connection.execute_wrapper(keep_refresh):
        scan.credentials_scan(today=days(4))
    ((sql, params),) = refresh
    numbered = iter(range(1, len(params) + 1))
    with connection.cursor() as cursor:
        # Generic, with no sequential scan of tables this small and none of the credentials'
        # other indexes to choose from (dropped inside the test's transaction): whether the
        # training indexes can serve it, not which one the planner prefers on a few rows.
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname NOT LIKE 'credential_training_%%'"
            " AND indexname <> %s",
            [Credential._meta.db_table, f"{Credential._meta.db_table}_pkey"],
        )
        for (index,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{index}"')
        # Prepared after the drops: psycopg deallocates every prepared statement after DDL.
        cursor.execute("PREPARE refresh_hours AS " + re.sub("%s", lambda _: f"${next(numbered)}", sql))
        # A utility statement takes no parameters of its own: the values go in as literals.
        cursor.execute(
            connection.ops.compose_sql(f"EXPLAIN EXECUTE refresh_hours({', '.join(['%s'] * len(params))})", params)
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE refresh_hours")
    reads = [line.strip() for line in plan.splitlines() if "on credentials_credential" in line]
    assert len(reads) == 2
    # Either training index, read alone or with the table: which one, and whether the table's
    # rows are read too, the planner decides from the visibility map of a table this small,
    # which autovacuum sets when it gets round to it (the full suite once planned the sum
    # through the expiry index and the table).
    assert all(re.search(r"Index (Only )?Scan using credential_training_(expiry|hours) ", read) for read in reads), plan


@pytest.mark.parametrize("offset", [365, -365, 3650])
def test_a_scan_far_ahead_or_back_works_in_a_few_queries(practitioner, admin, clinic_user, offset):
    for n in range(20):
        expiring_license(practitioner, offset + n * 5, admin=admin, license_number=f"PT7{n:05d}")
    with CaptureQueriesContext(connection) as queries:
        run = scan.credentials_scan(today=days(offset + 50))
    # Bounded by statements, not seconds (bench/scan.py times it at 5M credentials).
    assert len(queries) <= 20
    assert run.notifications == ExpiryNotification.objects.count() > 0


def test_the_scan_issues_the_same_number_of_queries_for_1_or_40_credentials(practitioner, admin, clinic_user):
    def count():
        with CaptureQueriesContext(connection) as queries:
            scan.credentials_scan(today=DAY)
        return len(queries)

    expiring_license(practitioner, 30, admin=admin)
    few = count()
    ExpiryNotification.objects.all().delete()
    ClinicDigest.objects.all().delete()
    for n in range(40):
        expiring_license(practitioner, n, admin=admin, license_number=f"PT8{n:05d}")
    assert count() == few


def test_a_bad_date_is_a_usage_error_naming_it():
    with pytest.raises(CommandError, match="argument --today: expected YYYY-MM-DD, got '2026-13-01'"):
        call_command("scan_credentials", "--today", "2026-13-01")
    assert not ScanRun.objects.exists()


def test_membership_roles_both_receive_the_digest(clinic, practitioner, admin):
    MembershipFactory(
        clinic=clinic, role=ClinicMembership.Role.OWNER, user=UserFactory(username="o", email="o@x.example")
    )
    MembershipFactory(
        clinic=clinic, role=ClinicMembership.Role.STAFF, user=UserFactory(username="s", email="s@x.example")
    )
    MembershipFactory(clinic=clinic, user=UserFactory(username="no-email", email=""))
    expiring_license(practitioner, 30, admin=admin)
    call_command("scan_credentials", "--today", DAY.isoformat(), verbosity=0)
    assert sorted(mail.outbox[0].to) == ["o@x.example", "s@x.example"]


def test_admins_see_what_was_sent_and_when(client, admin, clinic_user, practitioner):
    expiring_license(practitioner, 30, admin=admin)
    call_command("scan_credentials", "--today", DAY.isoformat(), verbosity=0)
    client.force_login(admin)
    page = client.get("/admin/credentials/clinicdigest/")
    assert page.status_code == 200
    assert b"harbor-staff@example.com" in page.content and b"Sent" in page.content
    # A digest's page lists what it said: the practitioner, the credential and its threshold.
    digest = ClinicDigest.objects.get()
    page = client.get(f"/admin/credentials/clinicdigest/{digest.pk}/change/")
    assert page.status_code == 200
    credential = ExpiryNotification.objects.get().credential
    assert practitioner.name.encode() in page.content and b"Expires within 30 days" in page.content
    assert f"/admin/credentials/credential/{credential.pk}/change/".encode() in page.content
    assert client.get("/admin/credentials/scanrun/").status_code == 200
    assert client.get("/admin/credentials/expirynotification/").status_code == 200
    assert client.get("/admin/credentials/clinicdigest/add/").status_code == 403


def test_refreshed_hours_match_the_qualification_rule(practitioner, admin, clinic_user, freeze_today):
    from credentials.qualification import training_hours

    verified(
        CredentialFactory(practitioner=practitioner, training=True, hours=60, expires_on=days(3)), by=admin, today=DAY
    )
    verified(
        CredentialFactory(practitioner=practitioner, training=True, name="Level 2", hours=40, expires_on=None),
        by=admin,
        today=DAY,
    )
    scan.credentials_scan(today=DAY)
    freeze_today(days(4))
    scan.credentials_scan(today=days(4))
    practitioner.refresh_from_db()
    facts = [c.as_facts() for c in practitioner.credentials.all()]
    assert practitioner.verified_training_hours == training_hours(facts, days(4)) == 40


@pytest.mark.parametrize("later", [4, scan.CATCH_UP_DAYS + 60])
def test_hours_after_a_night_or_a_catch_up_of_months_match_the_qualification_rule(
    practitioner, admin, clinic_user, freeze_today, later
):
    """An ordinary night and a catch-up of more than CATCH_UP_DAYS (summed by another plan)
    leave the same hours as the rule, with training lapsing, still valid and never expiring."""
    from credentials.qualification import training_hours

    for name, hours, expires in [("Level 1", 60, days(3)), ("Level 2", 40, None), ("Level 3", 25, days(later + 30))]:
        verified(
            CredentialFactory(practitioner=practitioner, training=True, name=name, hours=hours, expires_on=expires),
            by=admin,
            today=DAY,
        )
    scan.credentials_scan(today=DAY)
    freeze_today(days(later))
    run = scan.credentials_scan(today=days(later))
    practitioner.refresh_from_db()
    facts = [c.as_facts() for c in practitioner.credentials.all()]
    assert practitioner.verified_training_hours == training_hours(facts, days(later)) == 65
    assert run.practitioners_requalified == 1
    assert set(practitioner.listings.values_list("verified_training_hours", flat=True)) == {65}


def test_a_scan_for_a_day_ahead_leaves_todays_hours_alone(practitioner, admin, clinic_user, freeze_today):
    verified(
        CredentialFactory(practitioner=practitioner, training=True, hours=60, expires_on=days(3)), by=admin, today=DAY
    )
    call_command("scan_credentials", "--today", days(365).isoformat(), "--no-send", verbosity=0)
    practitioner.refresh_from_db()
    assert practitioner.verified_training_hours == 60  # still valid today (2026-03-01)


# --- the nightly repair of stored qualification ------------------------------------------


def test_the_nightly_scan_repairs_a_listing_whose_stored_window_was_corrupted(today, practitioner, admin):
    listing = practitioner.listings.get()
    verified(CredentialFactory(practitioner=practitioner), by=admin)
    verified(CredentialFactory(practitioner=practitioner, training=True, hours=60), by=admin)
    listing.refresh_from_db()
    right = (listing.qualified_from, listing.qualified_until)
    assert listing.is_qualified(TODAY)
    # A write that went round the services: the listing now claims no qualified days.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE directory_listing SET qualified_from = NULL, qualified_until = NULL WHERE id = %s", [listing.pk]
        )

    out = io.StringIO()
    call_command("scan_credentials", "--no-send", stdout=out, stderr=io.StringIO())

    listing.refresh_from_db()
    assert (listing.qualified_from, listing.qualified_until) == right
    assert ScanRun.objects.get().listings_repaired == 1
    assert "1 listing(s) repaired" in out.getvalue()


def test_the_nightly_scan_repairs_and_counts_a_practitioners_corrupted_training_hours(today, practitioner, admin):
    verified(CredentialFactory(practitioner=practitioner), by=admin)
    verified(CredentialFactory(practitioner=practitioner, training=True, hours=60), by=admin)
    listing = practitioner.listings.get()
    window = (listing.qualified_from, listing.qualified_until)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE directory_practitioner SET verified_training_hours = 200 WHERE id = %s", [practitioner.pk]
        )

    run = scan.nightly_scan(today=DAY)

    practitioner.refresh_from_db()
    listing.refresh_from_db()
    assert practitioner.verified_training_hours == 60
    assert (listing.qualified_from, listing.qualified_until) == window
    assert ScanRun.objects.get().listings_repaired == run.listings_repaired == 1


def test_a_scan_over_a_directory_in_order_repairs_nothing(today, practitioner, admin):
    verified(CredentialFactory(practitioner=practitioner), by=admin)
    run = scan.nightly_scan(today=DAY)
    assert run.listings_repaired == 0
    assert ScanRun.objects.get().listings_repaired == 0


# --- what the set-based steps write ------------------------------------------------------


def test_every_line_goes_to_each_clinic_of_the_practitioner_once_filed_in_that_clinics_digest(
    clinic, other_clinic, practitioner, admin
):
    """The lines and digests the scan writes in one statement, against what the listings say
    in Python: one line per notice and clinic (two locations of one clinic make one line),
    none for a renewed credential, each filed in its own clinic's one pending digest."""
    # Dana: a second location at her clinic, and one at the other clinic.
    listing_in("WA", practitioner=practitioner, location_kwargs={"clinic": clinic})
    listing_in("WA", practitioner=practitioner, location_kwargs={"clinic": other_clinic})
    ken = PractitionerFactory(name="Ken Ito")
    listing_in("WA", practitioner=ken, location_kwargs={"clinic": other_clinic})
    unlisted = PractitionerFactory(name="Not Listed")
    expiring_license(practitioner, 30, admin=admin, license_number="PT600001")
    expiring_license(practitioner, -3, admin=admin, license_number="FL600002", jurisdiction="FL")
    expiring_license(ken, 7, admin=admin, license_number="PT600003")
    renewed_one = expiring_license(ken, 20, admin=admin, license_number="CO600004", jurisdiction="CO")
    expiring_license(ken, 800, admin=admin, license_number="CO600005", jurisdiction="CO")  # renews it
    expiring_license(unlisted, 5, admin=admin, license_number="PT600006")

    run = scan.credentials_scan(today=DAY)

    expected = {
        (notice.pk, listing.location.clinic_id)
        for notice in ExpiryNotification.objects.select_related("credential")
        if notice.credential_id != renewed_one.pk
        for listing in notice.credential.practitioner.listings.select_related("location")
    }
    digests = list(ClinicDigest.objects.all())
    filed = [(notice, digest.clinic_id) for digest in digests for notice in digest.notifications]
    assert set(filed) == expected
    assert len(filed) == len(expected) == 5
    assert all((digest.scan_day, digest.status) == (DAY, "pending") for digest in digests)
    assert sorted(digest.clinic_id for digest in digests) == sorted([clinic.pk, other_clinic.pk])
    assert run.digests == 2


def test_a_rescan_after_the_days_digest_went_out_files_the_new_lines_into_a_new_digest(
    clinic, clinic_user, practitioner, admin
):
    expiring_license(practitioner, 30, admin=admin, license_number="PT600001")
    scan.credentials_scan(today=DAY)
    sent = ClinicDigest.objects.get()
    assert scan.digest_send(digest_id=sent.pk) is True
    # Later that day a colleague is listed with a license about to expire: the scan runs again.
    ken = PractitionerFactory(name="Ken Ito")
    listing_in("WA", practitioner=ken, location_kwargs={"clinic": clinic})
    expiring_license(ken, 5, admin=admin, license_number="PT600002")
    run = scan.credentials_scan(today=DAY)

    fresh = ClinicDigest.objects.exclude(pk=sent.pk).get()
    assert (run.notifications, run.digests, fresh.status, fresh.scan_day) == (1, 1, "pending", DAY)
    lines = {
        notice.credential.practitioner.name: digest.pk
        for digest in (sent, fresh)
        for notice in scan.digest_notifications(ClinicDigest.objects.get(pk=digest.pk))
    }
    assert lines == {"Dana Whitfield": sent.pk, "Ken Ito": fresh.pk}
    # And a third run that day finds nothing new and opens nothing.
    assert (scan.credentials_scan(today=DAY).digests, ClinicDigest.objects.count()) == (0, 2)


def test_the_scans_statements_do_not_grow_with_the_number_of_lapses(admin, clinic):
    """No list of ids goes to PostgreSQL and back: a list of every practitioner whose
    credential lapsed broke its limit of 65,535 parameters on the first scan of 5M."""

    def statements(lapses):
        ExpiryNotification.objects.all().delete()
        ClinicDigest.objects.all().delete()
        ScanRun.objects.all().delete()
        for n in range(lapses):
            someone = PractitionerFactory()
            listing_in("WA", practitioner=someone, location_kwargs={"clinic": clinic})
            expiring_license(someone, -5, admin=admin, license_number=f"PT9{lapses:02d}{n:04d}")
        with CaptureQueriesContext(connection) as queries:
            scan.credentials_scan(today=DAY)
        # The statements' text, each number (ids, dates, times) written as 0.
        return [re.sub(r"\d+", "0", query["sql"]) for query in queries.captured_queries]

    assert statements(1) == statements(40)


def test_a_lapsed_license_leaves_the_practitioner_its_listing_and_the_license_as_stored(
    practitioner, admin, clinic_user
):
    """The scan refreshes training hours only where a verified training record lapsed (other
    stored hours are the nightly repair's to fix), and rewrites no row for a directory's
    sync: that sees the lapse from its date (tests/fhirapi/test_sync.py)."""
    credential = expiring_license(practitioner, -2, admin=admin)
    Practitioner.objects.filter(pk=practitioner.pk).update(verified_training_hours=77)  # not the rule's 0
    listing = listing_in("WA", practitioner=practitioner)
    Listing.objects.filter(pk=listing.pk).update(qualified_from=FAR_PAST, qualified_until=days(-1))

    def stored():
        return (
            Practitioner.objects.filter(pk=practitioner.pk).values_list("updated_at", "verified_training_hours").get(),
            Listing.objects.filter(pk=listing.pk).values_list("updated_at", flat=True).get(),
            Credential.objects.filter(pk=credential.pk).values_list("updated_at", flat=True).get(),
        )

    before = stored()
    run = scan.credentials_scan(today=DAY)
    assert (before[0][1], run.practitioners_requalified, run.listings_lapsed) == (77, 0, 1)
    assert stored() == before


def _age(credentials):
    """As if written long before any scan (beyond scan.CHANGED_SINCE_MARGIN)."""
    CredentialFactory._meta.model.objects.filter(pk__in=[c.pk for c in credentials]).update(
        updated_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )


@pytest.mark.parametrize("scan_days", [[0, 1, 2, 3], [0, 5, 6, 30, 31, 59, 61, 95, 100], [0, 45, 46, 47, 120]])
def test_a_scan_after_another_notices_everything_a_scan_of_every_credential_would(
    clinic_user, practitioner, admin, scan_days
):
    """Each scan after the first looks only at the credentials that crossed a threshold
    since the previous scan's day, or were written since it started; after every
    scan, a scan of every credential would find nothing left to notice."""
    credentials = [expiring_license(practitioner, offset, admin=admin) for offset in range(-40, 125, 1)]
    credentials += [
        CredentialFactory(practitioner=practitioner, expires_on=days(offset), license_number=f"PEND{offset}")
        for offset in range(-10, 100, 9)
    ]
    _age(credentials)
    for day in scan_days:
        scan.credentials_scan(today=days(day))
        assert list(scan.crossings(days(day))) == [], day
    noticed = ExpiryNotification.objects.values_list("credential_id", flat=True).distinct().count()
    assert noticed > 100


def test_a_credential_written_since_the_last_scan_is_noticed_without_crossing_a_boundary(
    clinic_user, practitioner, admin
):
    early = expiring_license(practitioner, 200, admin=admin)
    _age([early])
    scan.credentials_scan(today=DAY)
    assert notices() == []
    # Corrected the next day: it expires in 20 days, not 200 (no boundary crossed overnight).
    early.expires_on = days(21)
    early.save()
    scan.credentials_scan(today=days(1))
    assert notices() == [(early.pk, "30d")]
