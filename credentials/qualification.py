"""The qualification rule, as pure functions of plain data (no ORM, no clock).

A practitioner is qualified at a location on a date D when, on D:

1. the location's state permits dry needling for the practitioner's profession;
2. they hold a verified license of that profession issued by that state,
   valid on D (issued on or before D, and D on or before its expiry date:
   a license expiring today still counts today);
3. the hours of their verified training records valid on D add up to at
   least the state's minimum (the platform default where the state has no
   rule of its own);
4. where the state asks for years of licensed practice, their earliest
   verified license of that profession (in any state: boards count licensed
   practice anywhere) was issued at least that many whole years before D;
5. they are not on the federal exclusion list (a screening match that an
   admin has not dismissed).

The services feed these functions from the database and store the answer
as `Listing.qualified_from` and `Listing.qualified_until`; the search
compares those dates with today.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

# `qualified_until` when nothing the practitioner holds ever expires.
QUALIFIED_INDEFINITELY = datetime.date(9999, 12, 31)

LICENSE, CERTIFICATION, TRAINING = "license", "certification", "training"
VERIFIED = "verified"


@dataclass(frozen=True)
class CredentialFacts:
    """What the rule needs to know about one credential."""

    kind: str
    status: str
    issued_on: datetime.date
    expires_on: datetime.date | None = None
    jurisdiction: str = ""
    profession: str = ""
    hours: int = 0

    def valid_on(self, day: datetime.date) -> bool:
        """Verified, already issued, and not past its expiry date on `day`."""
        return self.status == VERIFIED and self.issued_on <= day and (self.expires_on is None or day <= self.expires_on)


@dataclass(frozen=True)
class Rule:
    """A state's rule, reduced to what qualification needs.

    `professions` None means every profession may dry-needle there.
    """

    permitted: bool
    min_training_hours: int
    professions: frozenset[str] | None = None
    min_years_licensed: int | None = None

    def permits(self, profession: str) -> bool:
        return self.permitted and (self.professions is None or profession in self.professions)


def anniversary(day: datetime.date, years: int) -> datetime.date:
    """`day` plus whole years; 29 February falls on 1 March in other years.

    1 March (not 28 February) because someone licensed on 29 February has
    not completed a whole year until 28 February has passed.
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return datetime.date(day.year + years, 3, 1)


def training_hours(credentials: Iterable[CredentialFacts], on: datetime.date) -> int:
    """Hours of the verified training records valid on `on`."""
    return sum(c.hours or 0 for c in credentials if c.kind == TRAINING and c.valid_on(on))


def is_qualified(
    credentials: Iterable[CredentialFacts], rule: Rule, profession: str, state: str, on: datetime.date
) -> bool:
    """Whether someone of `profession` holding `credentials` is qualified in `state` on `on`."""
    credentials = list(credentials)
    if not rule.permits(profession):
        return False
    licenses = [c for c in credentials if c.kind == LICENSE and c.profession == profession]
    if not any(c.jurisdiction == state and c.valid_on(on) for c in licenses):
        return False
    if training_hours(credentials, on) < rule.min_training_hours:
        return False
    if rule.min_years_licensed:
        first_issued = min(c.issued_on for c in licenses if c.status == VERIFIED and c.issued_on <= on)
        if anniversary(first_issued, rule.min_years_licensed) > on:
            return False
    return True


def qualified_until(
    credentials: Iterable[CredentialFacts], rule: Rule, profession: str, state: str, today: datetime.date
) -> datetime.date | None:
    """The last day D >= today such that they are qualified every day from today to D.

    None when they are not qualified today; QUALIFIED_INDEFINITELY when
    nothing they rely on ever expires.

    Qualification can only be lost on the day after some credential
    expires: between two such days the set of valid credentials can only
    grow and years of practice only accumulate. So checking those days in
    order finds the first day it is lost.
    """
    credentials = list(credentials)
    if not is_qualified(credentials, rule, profession, state, today):
        return None
    ends = sorted(
        {
            c.expires_on
            for c in credentials
            if c.status == VERIFIED and c.expires_on is not None and today <= c.expires_on < datetime.date.max
        }
    )
    for last_day in ends:
        if not is_qualified(credentials, rule, profession, state, last_day + datetime.timedelta(days=1)):
            return last_day
    return QUALIFIED_INDEFINITELY


def qualified_window(
    credentials: Iterable[CredentialFacts],
    rule: Rule,
    profession: str,
    state: str,
    today: datetime.date,
    *,
    excluded: bool = False,
) -> tuple[datetime.date, datetime.date] | None:
    """(first, last): the first run of qualified days that ends on or after today.

    None when they are not qualified on any day from today on, as far as
    their credentials can tell.

    Qualification can only be gained on a day a credential takes effect
    (its issue date) or a years-licensed anniversary passes, so the run
    starts on today or on the first such day that qualifies. Credentials
    cannot be issued in the future (the services refuse them), and then
    there is only one run: once a license or training lapses nothing can
    bring it back but a new credential, which recomputes the run.

    Someone `excluded` (on the federal exclusion list, the match not dismissed)
    is qualified on no day, whatever they hold.
    """
    if excluded:
        return None
    credentials = list(credentials)
    starts = {today}
    for c in credentials:
        if c.status != VERIFIED:
            continue
        starts.add(c.issued_on)
        if c.kind == LICENSE and c.profession == profession and rule.min_years_licensed:
            starts.add(anniversary(c.issued_on, rule.min_years_licensed))
    for start in sorted(day for day in starts if day >= today):
        until = qualified_until(credentials, rule, profession, state, start)
        if until is not None:
            return start, until
    return None


# What can be missing (Shortfall.what), in the order the rule checks them.
NOT_PERMITTED = "not_permitted"
PROFESSION_NOT_PERMITTED = "profession_not_permitted"
NO_LICENSE = "no_license"
LICENSE_EXPIRED = "license_expired"
TRAINING_HOURS = "training_hours"
YEARS_LICENSED = "years_licensed"


@dataclass(frozen=True)
class Shortfall:
    """One thing that keeps someone from being qualified in a state on a day.

    `expired_on`: the last day of the latest verified license of the state
    (LICENSE_EXPIRED); `needed` and `has`: hours or years (TRAINING_HOURS,
    YEARS_LICENSED); `licensed_since` and `qualifies_on`: the first verified
    license's issue date and the day the state's years are reached.
    """

    what: str
    needed: int | None = None
    has: int | None = None
    expired_on: datetime.date | None = None
    licensed_since: datetime.date | None = None
    qualifies_on: datetime.date | None = None


def shortfalls(
    credentials: Iterable[CredentialFacts], rule: Rule, profession: str, state: str, on: datetime.date
) -> list[Shortfall]:
    """Everything that keeps someone of `profession` from being qualified in `state` on `on`:
    empty exactly when `is_qualified` says they are (the same checks, each one reported
    instead of stopping at the first). A state that forbids dry needling, or their
    profession, is the only shortfall reported: nothing else could help."""
    credentials = list(credentials)
    if not rule.permitted:
        return [Shortfall(NOT_PERMITTED)]
    if not rule.permits(profession):
        return [Shortfall(PROFESSION_NOT_PERMITTED)]
    found = []
    licenses = [c for c in credentials if c.kind == LICENSE and c.profession == profession]
    if not any(c.jurisdiction == state and c.valid_on(on) for c in licenses):
        lapsed = [
            c.expires_on
            for c in licenses
            if c.jurisdiction == state and c.status == VERIFIED and c.expires_on is not None and c.expires_on < on
        ]
        found.append(Shortfall(LICENSE_EXPIRED, expired_on=max(lapsed)) if lapsed else Shortfall(NO_LICENSE))
    hours = training_hours(credentials, on)
    if hours < rule.min_training_hours:
        found.append(Shortfall(TRAINING_HOURS, needed=rule.min_training_hours, has=hours))
    if rule.min_years_licensed:
        issued = [c.issued_on for c in licenses if c.status == VERIFIED and c.issued_on <= on]
        if issued:
            since = min(issued)
            reached = anniversary(since, rule.min_years_licensed)
            if reached > on:
                found.append(
                    Shortfall(
                        YEARS_LICENSED,
                        needed=rule.min_years_licensed,
                        licensed_since=since,
                        qualifies_on=reached,
                    )
                )
    return found
