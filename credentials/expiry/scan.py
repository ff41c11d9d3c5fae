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
   unique (credential, threshold): noticed once, ever; and never at a
   threshold looser than one already noticed (a missed night, or a scan of
   a day in the past, sends no stale "90 days" after a "7 days");
2. each new notification of a credential not yet renewed is delivered to
   every clinic where the practitioner is listed (unique per notification
   and clinic), as a line filed at once into the clinic's one digest for D
   not yet sent, opened if it has none (one statement);
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

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Case, CharField, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone

from core import clock
from directory import services as directory_services
from directory.models import Listing, Practitioner
from directory.selectors import clinic_member_emails

from .. import selectors, services
from ..models import (
    THRESHOLD_DAYS,
    THRESHOLD_RANK,
    ClinicDigest,
    Credential,
    DigestItem,
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


def _insert_select(model, columns: list[str], queryset, *, conflict: list[str] | None = None) -> int:
    """INSERT INTO model (columns) <queryset's SELECT> [ON CONFLICT (conflict) DO NOTHING]: rows inserted.

    The ORM has no INSERT ... SELECT; this keeps the scan one statement per
    step however many rows it writes, with the SELECT still built (and
    checked) by the ORM.
    """
    select_sql, params = queryset.query.sql_with_params()
    sql = f"INSERT INTO {_table(model)} ({', '.join(_column(model, c) for c in columns)}) {select_sql}"
    if conflict:
        sql += f" ON CONFLICT ({', '.join(_column(model, c) for c in conflict)}) DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


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
    rows (credential_id, threshold, rank, scan_day, created_at) ready to insert.

    Renewed credentials are noticed too but never delivered (see _deliver): checking
    renewals on the few new notices, not on every credential near its expiry, keeps
    the scan in seconds at millions of credentials (bench/scan.py).

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
        .values_list("notice_credential", "notice_threshold", "notice_rank", "notice_day", "notice_created")
        .order_by()
    )


def _deliver(day: datetime.date) -> int:
    """Deliver the day's undelivered notifications of credentials not yet renewed to every
    clinic where the practitioner is listed, each line filed at once into the clinic's
    pending digest for `day`, opened for the clinics without one; returns the digests
    opened. Notices and deliveries commit together.

    One statement: the (notification, clinic) pairs, the digests they need (a
    data-modifying WITH ... RETURNING), and the lines written once with their
    digest. Writing the lines first and filing them with an UPDATE wrote every
    line twice, and PostgreSQL checked each rewritten line's foreign keys again
    at COMMIT (rows updated by the transaction that inserted them always are):
    on the first scan of 5M credentials, on a shared machine, the three steps
    took 40 s and the COMMIT 28 s, the one statement 32 s and the COMMIT 21 s
    (bench/scan.py).

    The day's pending digests are locked first, until the scan commits: a
    sender claiming one of them meanwhile waits, and then reads the lines
    filed here. Without the lock it could claim and send the digest as it
    was, and lines filed into it by this (not yet committed) scan would be
    marked as part of a digest already sent, and never mailed.
    """
    list(
        ClinicDigest.objects.select_for_update()
        .filter(scan_day=day, status=DigestStatus.PENDING)
        .order_by("id")
        .values_list("id", flat=True)
    )
    pairs = (
        ExpiryNotification.objects.filter(scan_day=day)
        .exclude(Exists(DigestItem.objects.filter(notification_id=OuterRef("pk"))))
        .exclude(renewed("credential__"))
        .annotate(item_notification=F("pk"), item_clinic=F("credential__practitioner__listings__location__clinic_id"))
        .filter(item_clinic__isnull=False)
        .values_list("item_notification", "item_clinic")
        .distinct()
        .order_by()
    )
    pairs_sql, pairs_params = pairs.query.sql_with_params()
    digest, item = _table(ClinicDigest), _table(DigestItem)
    d_clinic, d_day, d_status = (_column(ClinicDigest, f) for f in ("clinic", "scan_day", "status"))
    digest_columns = ", ".join(
        _column(ClinicDigest, f)
        for f in ("clinic", "scan_day", "status", "attempts", "recipients", "last_error", "created_at")
    )
    item_columns = ", ".join(_column(DigestItem, f) for f in ("notification", "clinic", "digest"))
    conflict = ", ".join(_column(DigestItem, f) for f in ("notification", "clinic"))
    open_today = f"{digest}.{d_day} = %s AND {digest}.{d_status} = %s"
    sql = f"""
        WITH pairs (notification_id, clinic_id) AS MATERIALIZED ({pairs_sql}),
        opened AS (
            INSERT INTO {digest} ({digest_columns})
            SELECT DISTINCT pairs.clinic_id, %s, %s, 0, '', '', %s FROM pairs
            WHERE NOT EXISTS (SELECT FROM {digest} WHERE {digest}.{d_clinic} = pairs.clinic_id AND {open_today})
            RETURNING {digest}.id, {digest}.{d_clinic} AS clinic_id
        ),
        filed AS (
            INSERT INTO {item} ({item_columns})
            SELECT pairs.notification_id, pairs.clinic_id, COALESCE(opened.id, {digest}.id)
            FROM pairs
            LEFT JOIN opened ON opened.clinic_id = pairs.clinic_id
            LEFT JOIN {digest} ON {digest}.{d_clinic} = pairs.clinic_id AND {open_today}
            ON CONFLICT ({conflict}) DO NOTHING
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM opened), (SELECT count(*) FROM filed)
    """
    pending = DigestStatus.PENDING
    params = [*pairs_params, day, pending, timezone.now(), day, pending, day, pending]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        opened, _filed = cursor.fetchone()
    return opened


def _refresh_hours(since: datetime.date, day: datetime.date) -> int:
    """Refresh the one stored fact that changes with the date: the verified training hours of
    practitioners whose verified training record expired in [since, day), and their
    listings' copy of them (the search's min_training_hours), only where it differs;
    returns the practitioners refreshed.

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

    The practitioners are picked by a subquery, in the database: reading their ids into
    Python and sending them back as one IN list broke PostgreSQL's limit of 65,535
    parameters on the first scan of 5M credentials (bench/scan.py).
    """
    as_of = clock.today()
    lapsed = Credential.objects.verified().filter(kind=Kind.TRAINING, expires_on__gte=since, expires_on__lt=day)
    valid_hours = (
        Credential.objects.verified()
        .filter(practitioner_id=OuterRef("pk"), kind=Kind.TRAINING, issued_on__lte=as_of)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=as_of))
        .order_by()
        .values("practitioner_id")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    Practitioner.objects.filter(pk__in=lapsed.order_by().values("practitioner_id")).update(
        verified_training_hours=Coalesce(Subquery(valid_hours), 0)
    )
    refreshed = list(lapsed.order_by().values_list("practitioner_id", flat=True).distinct())
    directory_services.listings_refresh_hours(practitioner_ids=refreshed)
    return len(refreshed)


@transaction.atomic
def credentials_scan(*, today: datetime.date) -> ScanRun:
    """Run the expiry scan for `today` (see the module docstring); returns the run's record."""
    # Lapses before the last finished scan's day were that scan's to handle (a rerun of
    # the same day has none left); the first scan ever catches up a month.
    previous = ScanRun.objects.filter(finished_at__isnull=False, day__lte=today).order_by("-day").first()
    since = previous.day if previous else today - datetime.timedelta(days=settings.EXPIRY_NOTICE_EXPIRED_DAYS)
    run = ScanRun.objects.create(day=today)
    run.notifications = _insert_select(
        ExpiryNotification,
        ["credential", "threshold", "rank", "scan_day", "created_at"],
        crossings(today, previous=previous),
        conflict=["credential", "threshold"],
    )
    # The planner's statistics know neither the notices just written nor, often, the
    # lines of an earlier scan that day (autovacuum analyzes them later): guessing a
    # few notices of the day, it checked all 307k of the first scan's for renewals
    # before finding them all delivered, on a rerun of the day (10.8 s instead of
    # 1.5 s, bench/scan.py). ANALYZE reads a sample of 30,000 rows whatever the size.
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {_table(ExpiryNotification)}, {_table(DigestItem)}")
    run.digests = _deliver(today)
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


def digest_lines(digest: ClinicDigest) -> dict[str, list[dict]]:
    """The digest's credentials grouped by threshold (tightest first), each with what a
    clinic manager needs to act on it."""
    items = (
        DigestItem.objects.filter(digest=digest)
        .select_related("notification__credential__practitioner")
        .order_by("notification__credential__expires_on", "notification__credential__practitioner__name", "id")
    )
    groups = defaultdict(list)
    for item in items:
        notification = item.notification
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
            subject=f"{count} credential{'s' if count != 1 else ''} at {digest.clinic.name} need attention",
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
