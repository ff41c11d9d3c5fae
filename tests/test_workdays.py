"""Business days, checked against counting the calendar one day at a time."""

import datetime

from hypothesis import given
from hypothesis import strategies as st

from core.workdays import business_days_between, older_than_cutoff

days = st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2030, 12, 31))


def counted(start: datetime.date, end: datetime.date) -> int:
    return sum(
        1 for offset in range(1, (end - start).days + 1) if (start + datetime.timedelta(days=offset)).weekday() < 5
    )


@given(start=days, length=st.integers(min_value=-30, max_value=800))
def test_business_days_between_counts_weekdays_after_start_up_to_end(start, length):
    end = start + datetime.timedelta(days=length)
    assert business_days_between(start, end) == max(0, counted(start, end))


@given(today=days, limit=st.integers(min_value=0, max_value=60), back=st.integers(min_value=0, max_value=120))
def test_older_than_cutoff_separates_the_old_from_the_young(today, limit, back):
    waiting_since = today - datetime.timedelta(days=back)
    assert (counted(waiting_since, today) > limit) == (waiting_since < older_than_cutoff(today, limit))


def test_examples():
    wednesday = datetime.date(2026, 3, 4)
    assert business_days_between(datetime.date(2026, 2, 25), wednesday) == 5
    assert business_days_between(datetime.date(2026, 2, 24), wednesday) == 6
    assert older_than_cutoff(wednesday, 5) == datetime.date(2026, 2, 25)
