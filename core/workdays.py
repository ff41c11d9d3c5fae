"""Business days (Monday to Friday; public holidays are not counted out) for service levels.

Counted by arithmetic rather than day by day: a queue page ages fifty items
on each load, some of them years old.
"""

import datetime

WEEK = 7
WORKDAYS_PER_WEEK = 5


def business_days_between(start: datetime.date, end: datetime.date) -> int:
    """Weekdays after `start` up to and including `end` (0 when end <= start): an item
    waiting since Monday is 1 business day old on Tuesday and 5 on the next Monday."""
    if end <= start:
        return 0
    days = (end - start).days
    weeks, rest = divmod(days, WEEK)
    count = weeks * WORKDAYS_PER_WEEK
    for offset in range(1, rest + 1):
        if (start + datetime.timedelta(days=weeks * WEEK + offset)).weekday() < WORKDAYS_PER_WEEK:
            count += 1
    return count


def older_than_cutoff(today: datetime.date, days: int) -> datetime.date:
    """The day C such that something waiting since day D is more than `days` business days
    old on `today` exactly when D < C (C is the (days + 1)-th weekday counting back from
    today, today included)."""
    weeks, rest = divmod(days + 1, WORKDAYS_PER_WEEK)
    day = today
    # Whole weeks hold five weekdays wherever they start; step back over them at once.
    if rest == 0:
        weeks, rest = weeks - 1, WORKDAYS_PER_WEEK
    day -= datetime.timedelta(days=weeks * WEEK)
    found = 0
    while True:
        if day.weekday() < WORKDAYS_PER_WEEK:
            found += 1
            if found == rest:
                return day
        day -= datetime.timedelta(days=1)
