"""The nightly expiry scan and the clinic digests it sends.

The search never waits for this: a listing's qualified days already end on
its license's expiry date (credentials.services). Nor does a directory's
incremental sync (the FHIR API's `_lastUpdated` and `_since`): a listing
whose qualified days begin or end, or a verified credential that expires,
shows as changed from the start of that day, derived from the dates
themselves (fhirapi.changes), so the scan rewrites no row for it. The scan
only tells people, and refreshes the one stored fact that needs a job
(verified training hours after a training record lapses).

For a day D, in one transaction and a fixed handful of statements whatever
the number of credentials:

1. every pending or verified credential that expires within 90 days of D,
   or expired at most EXPIRY_NOTICE_EXPIRED_DAYS before it, gets a notification at its tightest threshold (90, 60, 30 or 7
   days, today, expired), inserted with ON CONFLICT DO NOTHING against a
   unique (credential, threshold's rank): noticed once, ever; and never at a
   threshold looser than one already noticed (a missed night, or a scan of
   a day in the past, sends no stale "90 days" after a "7 days");
2. each new notification of a credential not yet renewed is delivered, by
   the scan that writes it, to every clinic where the practitioner is listed
   then, once per clinic: its id is added to the lines of the clinic's one
   digest for D not yet sent, opened if it has none (steps 1 and 2 are one
   statement);
3. practitioners' verified training hours are refreshed where a training
   record lapsed (the one stored fact that changes with the date);
4. the counts of the day (review due, listings lapsed or back) are kept in a
   ScanRun.

The nightly job (`nightly_scan`) then recomputes every listing's qualification and
repairs and counts any that disagree with the credentials (`listings_repair`), one
transaction per chunk of practitioners, so it never holds the whole directory.

A killed scan leaves nothing behind (one transaction): run it again. Sending
is separate, per digest: `digest_send` claims the digest with a conditional
UPDATE (pending -> sending) before sending, marks it sent after, and puts it
back to pending when the mail server refuses, so it is retried, never lost
and never sent twice by two workers. A worker killed between the mail
server's acceptance and the "sent" mark leaves the claim to expire
(DIGEST_CLAIM_SECONDS) and the digest goes out again: at that one point it
errs on the side of a second email rather than none.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from contextlib import nullcontext

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection
from django.db.models import Case, CharField, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.template.loader import render_to_string
from django.utils import timezone

from core import clock
from core.db import planner_setting, planner_settings
from directory import services as directory_services
from directory.models import Listing, Location, Practitioner
from directory.selectors import clinic_member_emails

from .. import selectors, services
from ..models import (
    THRESHOLD_DAYS,
    THRESHOLD_RANK,
    ClinicDigest,
    Credential,
    DigestStatus,
    ExpiryNotification,
    Kind,
    ScanRun,
    Status,
    Threshold,
)

logger = logging.getLogger(__name__)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model, field: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field).column)


def renewed(prefix: str = "") -> Exists:
    """The outer credential (at `prefix`) has a verified renewal."""
    return Exists(selectors.renewals(prefix).filter(status=Status.VERIFIED))


# How long before the previous scan started a credential's last write may be and still
# be looked at again (`crossings`): a write committed after that scan took its snapshot
# may carry an earlier `updated_at` (set when the row was saved, not when it committed).
# An hour is far longer than any transaction that writes credentials (a roster import
# commits once, in seconds).
CHANGED_SINCE_MARGIN = datetime.timedelta(hours=1)


def crossed_since(since: datetime.date, day: datetime.date) -> Q:
    """Credentials whose tightest threshold on `day` is tighter than on `since` (a boundary
    between them was crossed): those whose expiry is within the (since, day] shift of a
    threshold's days, or that expired in [since, day)."""
    condition = Q(expires_on__gte=since, expires_on__lt=day)
    for days in (0, *(days for _, days in THRESHOLD_DAYS)):
        shift = datetime.timedelta(days=days)
        condition |= Q(expires_on__gt=since + shift, expires_on__lte=day + shift)
    return condition


def crossings(day: datetime.date, *, previous: ScanRun | None = None):
    """Credentials at a threshold on `day` not yet noticed at it (or a tighter one), as
    rows (credential_id, threshold, rank, scan_day, created_at, practitioner_id, renewed):
    a notice ready to insert, then what its delivery needs.

    Renewed credentials are noticed too but never delivered (see _notice_and_deliver):
    checking renewals on the few new notices, not on every credential near its expiry,
    keeps the scan in seconds at millions of credentials (bench/scan.py).

    With the `previous` finished scan (of an earlier day or the same one), only the
    credentials that can have a new notice are looked at: those that crossed a
    threshold's boundary since its day (`crossed_since`), and those written since it
    started (a new, renewed, corrected or newly verified credential), with
    CHANGED_SINCE_MARGIN to spare. Every other credential was noticed by that scan at
    its threshold of then, which is still its threshold today. On an ordinary night
    at 5M credentials that is a few thousand index lookups instead of the 400,000
    credentials within 90 days of expiry (bench/scan.py). The first scan ever looks
    at all of them.
    """
    tightest_first = [(Threshold.TODAY, 0), *reversed(THRESHOLD_DAYS)]

    def by_threshold(value_of, output_field):
        """A CASE on expires_on giving each threshold's value_of(threshold)."""
        return Case(
            When(expires_on__lt=day, then=Value(value_of(Threshold.EXPIRED))),
            *(
                When(expires_on__lte=day + datetime.timedelta(days=days), then=Value(value_of(t)))
                for t, days in tightest_first
            ),
            output_field=output_field,
        )

    threshold = by_threshold(str, CharField())
    rank = by_threshold(THRESHOLD_RANK.__getitem__, IntegerField())
    noticed_as_tight = ExpiryNotification.objects.filter(
        credential_id=OuterRef("pk"), rank__gte=OuterRef("notice_rank")
    )
    earliest = day - datetime.timedelta(days=settings.EXPIRY_NOTICE_EXPIRED_DAYS)
    candidates = Credential.objects.filter(
        status__in=[Status.PENDING, Status.VERIFIED],
        expires_on__gte=earliest,
        expires_on__lte=day + datetime.timedelta(days=THRESHOLD_DAYS[0][1]),
    )
    if previous is not None:
        candidates = candidates.filter(
            crossed_since(previous.day, day) | Q(updated_at__gte=previous.started_at - CHANGED_SINCE_MARGIN)
        )
    return (
        candidates
        # Annotated in the INSERT's column order.
        .annotate(
            notice_credential=F("pk"),
            notice_threshold=threshold,
            notice_rank=rank,
            notice_day=Value(day),
            notice_created=Value(timezone.now()),
        )
        .filter(~Exists(noticed_as_tight))
        .annotate(notice_renewed=renewed())
        .values_list(
            "notice_credential",
            "notice_threshold",
            "notice_rank",
            "notice_day",
            "notice_created",
            "practitioner_id",
            "notice_renewed",
        )
        .order_by()
    )


def _notice_and_deliver(day: datetime.date, *, previous: ScanRun | None) -> tuple[int, int]:
    """Write the day's new notices (`crossings`) and deliver those of credentials not yet
    renewed to every clinic where the practitioner is listed, each filed into the clinic's
    pending digest for `day`, opened for the clinics without one; returns (notices written,
    digests opened).

    One statement: the crossings, the notices written from them (ON CONFLICT DO NOTHING
    against the unique (credential, rank), a rank being its threshold's: a scan running at
    the same time writes each notice once, and only the one that wrote it files it), the
    (notice, clinic) pairs, and one row per clinic appending its notices' ids to its pending digest
    (`ClinicDigest.notifications`; INSERT ... ON CONFLICT DO UPDATE on the one pending
    digest per clinic and day, whose condition is written as a constant: a parameter
    there no longer matches the partial unique index once the statement is prepared).
    A notice is delivered by the scan that writes it, to the clinics where its
    practitioner is listed then, as a notice of an earlier day is: so a rerun of the day
    delivers only what it noticed, and nothing twice. On the first scan of 5M credentials
    (307k notices, 304k lines for 133k clinics), the notices' INSERT and the delivery as
    rows of lines took 2.4 + 7.4 s and the COMMIT, checking the lines' foreign keys, 9.2 s;
    this statement takes 6.5 s and the COMMIT 0.6 s (bench/scan.py).

    A sender claiming a digest while this runs either claimed it first (it is then no
    longer pending, and a new digest is opened beside it) or waits for the row this
    statement updates, and reads the lines filed here once the scan commits.
    """
    crossing_sql, crossing_params = crossings(day, previous=previous).query.sql_with_params()
    notice, digest = _table(ExpiryNotification), _table(ClinicDigest)
    listing, location = _table(Listing), _table(Location)
    notice_credential = _column(ExpiryNotification, "credential")
    notice_columns = [
        _column(ExpiryNotification, f) for f in ("credential", "threshold", "rank", "scan_day", "created_at")
    ]
    d_clinic, d_day, d_status, d_lines = (
        _column(ClinicDigest, f) for f in ("clinic", "scan_day", "status", "notifications")
    )
    digest_columns = ", ".join(
        _column(ClinicDigest, f)
        for f in ("clinic", "scan_day", "status", "attempts", "recipients", "last_error", "created_at", "notifications")
    )
    sql = f"""
        WITH crossing (credential_id, threshold, rank, scan_day, created_at, practitioner_id, renewed)
            AS MATERIALIZED ({crossing_sql}),
        noticed AS (
            INSERT INTO {notice} ({", ".join(notice_columns)})
            SELECT credential_id, threshold, rank, scan_day, created_at FROM crossing
            ON CONFLICT ({notice_credential}, {_column(ExpiryNotification, "rank")}) DO NOTHING
            RETURNING {notice}.id, {notice}.{notice_credential} AS credential_id
        ),
        pairs AS MATERIALIZED (
            SELECT DISTINCT noticed.id AS notification_id, {location}.{_column(Location, "clinic")} AS clinic_id
            FROM noticed
            JOIN crossing ON crossing.credential_id = noticed.credential_id AND NOT crossing.renewed
            JOIN {listing} ON {listing}.{_column(Listing, "practitioner")} = crossing.practitioner_id
            JOIN {location} ON {location}.id = {listing}.{_column(Listing, "location")}
        ),
        filed AS (
            INSERT INTO {digest} ({digest_columns})
            SELECT clinic_id, %s, %s, 0, '', '', %s, array_agg(notification_id ORDER BY notification_id)
            FROM pairs GROUP BY clinic_id
            ON CONFLICT ({d_clinic}, {d_day}) WHERE {d_status} = '{DigestStatus.PENDING}'
            DO UPDATE SET {d_lines} = {digest}.{d_lines} || EXCLUDED.{d_lines}
        )
        SELECT
            (SELECT count(*) FROM noticed),
            (SELECT count(*) FROM (SELECT DISTINCT clinic_id FROM pairs) clinic
             WHERE NOT EXISTS (
                SELECT FROM {digest}
                WHERE {digest}.{d_clinic} = clinic.clinic_id AND {digest}.{d_day} = %s AND {digest}.{d_status} = %s))
    """
    pending = DigestStatus.PENDING
    params = [*crossing_params, day, pending, timezone.now(), day, pending]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        noticed, opened = cursor.fetchone()
    return noticed, opened


# A catch-up of many days lapses many practitioners' training at once (a year's at 5M
# credentials: 145k practitioners). Their hours are then summed and written by walking
# the training records' index and the practitioners in id order (merge joins), rather
# than hashing 1.3M training records and looking each practitioner up by id: 2.24-2.34 ->
# 1.46 s for that year (EXPLAIN ANALYZE, alternating; 2.01-2.04 -> 1.29-1.53 s in
# bench/scan.py). Their listings' copies likewise, by the listings' practitioner index
# rather than a hash of all 1.1M listings: 1.66-1.71 -> 1.20 s. On an ordinary night
# (574 practitioners) the walk would read every record: 18 -> 738 ms. The two meet at
# about 5% of practitioners lapsing, a little over four months of this directory's
# lapses (15% a year).
CATCH_UP_DAYS = 120
CATCH_UP_PLAN = {"enable_hashjoin": "off", "enable_nestloop": "off"}


def _refresh_hours(since: datetime.date, day: datetime.date) -> int:
    """Refresh the one stored fact that changes with the date: the verified training hours of
    practitioners whose verified training record expired in [since, day), and their
    listings' copy of them (the search's min_training_hours), only where they differ;
    returns the practitioners whose hours changed.

    The same sum as qualification.training_hours (hours of verified training records valid
    today). Today, not the scan's day: the hours are what patients see now, so a scan run
    for a day ahead or behind (--today) must not move them to that day.

    Nothing else is written, and no row's `updated_at`: what the public sees change with
    the date alone (a listing's qualified days beginning or ending, a verified credential
    expiring) is derived from those dates by the FHIR API's incremental sync
    (fhirapi.changes), whether or not this scan ran. The hours are not in any FHIR
    resource, and the training record's expiry that changed them is such a date. Marking
    those rows here rewrote 537k practitioners, 845k credentials and 166k listings for a
    year's catch-up at 5M credentials (bench/scan.py).

    One statement picks the practitioners, sums their hours and writes those that differ;
    their ids and new hours come back for the listings' copies. Picking them by a
    subquery keeps PostgreSQL's limit of 65,535 parameters out of the way (a list of ids
    broke it on the first scan of 5M credentials), and summing every lapsed practitioner's
    hours in one join, rather than a subquery per practitioner, and writing only the
    hours that changed, took the refresh of a year's catch-up at 5M credentials (145k
    practitioners) from 6.9 to 5.2 s with 135k practitioners' hours changed, and from
    15.1 to 3.4 s with none to change (bench/scan.py; EXPLAIN ANALYZE, a busy machine).
    Both reads come from two partial indexes of verified training records (migration
    credentials 0017): 3.1-3.4 -> 1.4-1.6 s for a year's catch-up (2.1-2.5 s on a freshly
    seeded database).
    """
    as_of = clock.today()
    practitioner, credential = _table(Practitioner), _table(Credential)
    hours = _column(Practitioner, "verified_training_hours")
    c = {
        field: _column(Credential, field)
        for field in ("practitioner", "status", "kind", "issued_on", "expires_on", "hours")
    }

    # Verified training records, written as constants: what the partial indexes hold
    # (Credential.Meta), which a parameter no longer matches once the statement is prepared.
    def training(alias: str = "") -> str:
        return f"{alias}{c['status']} = '{Status.VERIFIED}' AND {alias}{c['kind']} = '{Kind.TRAINING}'"

    sql = f"""
        WITH lapsed (id) AS MATERIALIZED (
            SELECT DISTINCT {c["practitioner"]} FROM {credential}
            WHERE {training()} AND {c["expires_on"]} >= %s AND {c["expires_on"]} < %s
        ),
        summed (id, hours) AS (
            SELECT lapsed.id, coalesce(sum(c.{c["hours"]}), 0)
            FROM lapsed
            LEFT JOIN {credential} c ON c.{c["practitioner"]} = lapsed.id AND {training("c.")}
                AND c.{c["issued_on"]} <= %s AND (c.{c["expires_on"]} IS NULL OR c.{c["expires_on"]} >= %s)
            GROUP BY lapsed.id
        )
        UPDATE {practitioner} p SET {hours} = summed.hours
        FROM summed
        WHERE p.id = summed.id AND p.{hours} IS DISTINCT FROM summed.hours
        RETURNING p.id, p.{hours}
    """
    catching_up = (day - since).days > CATCH_UP_DAYS
    with planner_settings(CATCH_UP_PLAN) if catching_up else nullcontext():
        with connection.cursor() as cursor:
            cursor.execute(sql, [since, day, as_of, as_of])
            refreshed = dict(cursor.fetchall())
        directory_services.listings_refresh_hours(hours=refreshed)
    return len(refreshed)


# Memory for the sorts and hashes of the scan's statements: a year's catch-up at 5M
# credentials sorts and groups 300k notices and (notice, clinic) pairs, which at the
# default 4 MB spilled to disk in hundreds of batches; with 64 MB it took 9.2 s rather
# than 10.0 s, the first scan 7.1 rather than 7.6 s (bench/scan.py). For this
# transaction only, on the one connection of the scan.
SCAN_WORK_MEM = "64MB"


def credentials_scan(*, today: datetime.date) -> ScanRun:
    """Run the expiry scan for `today` (see the module docstring); returns the run's record."""
    with planner_setting("work_mem", f"'{SCAN_WORK_MEM}'"):
        return _scan(today)


def _scan(today: datetime.date) -> ScanRun:
    # Lapses before the last finished scan's day were that scan's to handle (a rerun of
    # the same day has none left); the first scan ever catches up a month.
    previous = ScanRun.objects.filter(finished_at__isnull=False, day__lte=today).order_by("-day").first()
    since = previous.day if previous else today - datetime.timedelta(days=settings.EXPIRY_NOTICE_EXPIRED_DAYS)
    run = ScanRun.objects.create(day=today)
    run.notifications, run.digests = _notice_and_deliver(today, previous=previous)
    run.review_due = Credential.objects.review_due(today).count()
    run.listings_lapsed = Listing.objects.filter(qualified_until=today - datetime.timedelta(days=1)).count()
    run.listings_returned = Listing.objects.filter(qualified_from=today).count()
    run.practitioners_requalified = _refresh_hours(since, today)
    run.finished_at = timezone.now()
    run.save()
    return run


def listings_repair(*, run: ScanRun, progress=None) -> int:
    """The nightly safety net after the scan: recompute every listing's qualification as of
    today (not the scan's day, as for the training hours), repair and count those that
    disagreed (their qualified days, or their practitioner's verified training hours); the
    count goes on the scan's record and in the log.

    Every listing, every night, not only those a change touched: it is there for the
    writes nobody requalified after. That is affordable: the repair is one SQL statement
    per range of 50,000 practitioner ids (credentials.requalification); on a loaded 2-core
    machine it took 3.6-4.8 s at 50,000 practitioners with nothing to repair (the Python
    rule per listing took 37-43 s there) and scales linearly (bench/requalify.py).
    """
    repaired = services.qualification_repair(today=clock.today(), progress=progress)
    ScanRun.objects.filter(pk=run.pk).update(listings_repaired=repaired)
    run.listings_repaired = repaired
    log = logger.warning if repaired else logger.info
    log("Scan for %s: %d listing(s) disagreed with their credentials and were repaired.", run.day, repaired)
    return repaired


def nightly_scan(*, today: datetime.date, progress=None) -> ScanRun:
    """The nightly job: the expiry scan for `today`, then the repair of stored qualification."""
    run = credentials_scan(today=today)
    listings_repair(run=run, progress=progress)
    return run


# --- sending ------------------------------------------------------------------------


def sendable_digest_ids(*, now: datetime.datetime | None = None) -> list[int]:
    """Digests waiting to go out: pending ones, and ones whose sender's claim has expired."""
    now = now or timezone.now()
    stale = now - datetime.timedelta(seconds=settings.DIGEST_CLAIM_SECONDS)
    return list(
        ClinicDigest.objects.filter(
            Q(status=DigestStatus.PENDING) | Q(status=DigestStatus.SENDING, claimed_at__lt=stale)
        )
        .order_by("scan_day", "id")
        .values_list("id", flat=True)
    )


def _claim(digest_id: int, now: datetime.datetime) -> bool:
    stale = now - datetime.timedelta(seconds=settings.DIGEST_CLAIM_SECONDS)
    claimable = Q(status=DigestStatus.PENDING) | Q(status=DigestStatus.SENDING, claimed_at__lt=stale)
    return bool(
        ClinicDigest.objects.filter(claimable, pk=digest_id).update(
            status=DigestStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    )


def digest_recipients(digest: ClinicDigest) -> list[str]:
    """The clinic's owners' and staff's addresses, and the clinic's own."""
    emails = set(clinic_member_emails(digest.clinic_id))
    if digest.clinic.email:
        emails.add(digest.clinic.email)
    return sorted(emails)


def digest_notifications(digest: ClinicDigest):
    """The notices the digest lists, soonest expiry first, then by practitioner."""
    return (
        ExpiryNotification.objects.filter(pk__in=digest.notifications)
        .select_related("credential__practitioner")
        .order_by("credential__expires_on", "credential__practitioner__name", "id")
    )


def digest_lines(digest: ClinicDigest) -> dict[str, list[dict]]:
    """The digest's credentials grouped by threshold (tightest first), each with what a
    clinic manager needs to act on it."""
    groups = defaultdict(list)
    for notification in digest_notifications(digest):
        credential = notification.credential
        groups[notification.get_threshold_display()].append(
            {
                "practitioner": credential.practitioner.name,
                "kind": credential.get_kind_display(),
                "name": credential.display_name,
                "jurisdiction": credential.jurisdiction,
                "expires_on": credential.expires_on,
                "days_left": (credential.expires_on - digest.scan_day).days,
                "status": credential.get_status_display(),
            }
        )
    order = [Threshold(value).label for value in reversed(Threshold.values)]
    return {label: groups[label] for label in order if label in groups}


def digest_send(*, digest_id: int, now: datetime.datetime | None = None) -> bool:
    """Send one clinic digest if no one else is sending it; True if this call sent it.

    Raises what failed (the mail backend refusing, or reading and rendering
    the digest) after putting the digest back to pending, so the caller (a
    Celery task) retries it at once rather than after the claim expires.
    """
    now = now or timezone.now()
    if not _claim(digest_id, now):
        return False
    try:
        digest = ClinicDigest.objects.select_related("clinic").get(pk=digest_id)
        recipients = digest_recipients(digest)
        if not recipients:
            ClinicDigest.objects.filter(pk=digest_id).update(status=DigestStatus.NO_RECIPIENTS, recipients="")
            return False
        groups = digest_lines(digest)
        count = sum(len(rows) for rows in groups.values())
        context = {"clinic": digest.clinic, "day": digest.scan_day, "groups": groups, "count": count}
        message = EmailMessage(
            subject=(
                f"{count} credential{'s' if count != 1 else ''} at {digest.clinic.name} "
                f"need{'s' if count == 1 else ''} attention"
            ),
            body=render_to_string("credentials/email/expiry_digest.txt", context),
            to=recipients,
        )
        message.send()
    except Exception as exc:  # retry later, keep the digest
        ClinicDigest.objects.filter(pk=digest_id).update(status=DigestStatus.PENDING, last_error=repr(exc)[:2000])
        raise
    ClinicDigest.objects.filter(pk=digest_id).update(
        status=DigestStatus.SENT, sent_at=timezone.now(), recipients=", ".join(recipients), last_error=""
    )
    return True
