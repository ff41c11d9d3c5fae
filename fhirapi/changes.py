"""What changes with the date alone, and when: the part of `meta.lastUpdated` no row stores.

A practitioner's public record changes without anyone writing to it when

- one of their listings starts being qualified (its `qualified_from` day comes), or stops
  (the day after its `qualified_until`): the PractitionerRole's `active` flips;
- one of their verified credentials expires (the day after its `expires_on`): it leaves
  the Practitioner's qualifications (and its VerificationResult is no longer public, so
  that one has nothing to show as changed).

Each such change happens at the start of its day in TIME_ZONE, the instant core.clock's
"today" turns to that day, when the API starts showing it. A resource's
`meta.lastUpdated` is the latest of its rows' `updated_at` and of these instants that are
not after today: no nightly job rewrites rows for a sync to see them.

A Practitioner changes with every listing's window and every credential's expiry of its
own (the rows the nightly scan once rewrote); a PractitionerRole with its listing, its
location and its practitioner, as for what they store.
"""

from __future__ import annotations

import datetime

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from credentials.models import Credential
from directory.models import Listing

ONE_DAY = datetime.timedelta(days=1)


def day_start(day: datetime.date) -> datetime.datetime:
    """The instant `day` begins in TIME_ZONE: when core.clock's today turns to it."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def first_day(at: datetime.datetime, *, strict: bool) -> datetime.date:
    """The first day beginning after `at` (`strict`), or at or after it."""
    day = timezone.localdate(at)
    if not strict and day_start(day) == at:
        return day
    return day + ONE_DAY


def practitioners_changed_between(first: datetime.date, last: datetime.date) -> QuerySet:
    """Ids (`practitioner_id`) of practitioners with a date-driven change on a day in [first, last]:
    a listing qualified from that day, or qualified until the day before, or a verified
    credential that expired the day before. Three index range scans, one UNION."""
    began = Listing.objects.filter(qualified_from__range=(first, last))
    ended = Listing.objects.filter(qualified_until__range=(first - ONE_DAY, last - ONE_DAY))
    expired = Credential.objects.verified().filter(expires_on__range=(first - ONE_DAY, last - ONE_DAY))
    return (
        began.order_by()
        .values("practitioner_id")
        .union(ended.order_by().values("practitioner_id"), expired.order_by().values("practitioner_id"))
    )


def practitioner_change_days(practitioner_ids, *, today: datetime.date) -> dict[int, datetime.date]:
    """Each practitioner's latest date-driven change on or before `today`, as a day (absent:
    none). Two grouped reads by practitioner, for a page or an export chunk."""
    days: dict[int, datetime.date] = {}

    def keep(practitioner_id, day):
        if day is not None and (practitioner_id not in days or days[practitioner_id] < day):
            days[practitioner_id] = day

    windows = (
        Listing.objects.filter(practitioner_id__in=practitioner_ids)
        .order_by()
        .values("practitioner_id")
        .annotate(
            began=Max("qualified_from", filter=Q(qualified_from__lte=today)),
            ended=Max("qualified_until", filter=Q(qualified_until__lt=today)),
        )
        .values_list("practitioner_id", "began", "ended")
    )
    for practitioner_id, began, ended in windows:
        keep(practitioner_id, began)
        keep(practitioner_id, ended + ONE_DAY if ended else None)
    expiries = (
        Credential.objects.verified()
        .filter(practitioner_id__in=practitioner_ids, expires_on__lt=today)
        .order_by()
        .values("practitioner_id")
        .annotate(last=Max("expires_on"))
        .values_list("practitioner_id", "last")
    )
    for practitioner_id, last in expiries:
        keep(practitioner_id, last + ONE_DAY)
    return days


def latest(stored: datetime.datetime, day: datetime.date | None) -> datetime.datetime:
    """`meta.lastUpdated`: the stored timestamp, or the start of the change's day if later."""
    return stored if day is None else max(stored, day_start(day))
