"""Roster import: a clinic's CSV of practitioners (and optionally their state licenses)
applied in one transaction, or previewed without writing.

It lives in the composition layer (portal) because a row may carry a license:
it uses both the directory's services and the credentials', and neither of
those apps may import the other's writes for it. The upload runs it as a job
(portal.services.roster_import_start / roster_import_run).

The file, one practitioner per row (headers case-insensitive, any order):

    name, profession, location             required
    email, npi, specialties, techniques,   optional; lists are separated by ";"
    languages
    license_state, license_number,         optional, all four or none
    license_issued, license_expiry

* `location`: the id, branch name or street address of one of the clinic's
  locations; several separated by ";". The row lists the practitioner at
  exactly these of the clinic's locations.
* Terms by slug or name ("neck-pain" or "Neck pain"), languages by code or
  name; a blank optional cell leaves what is stored as it is.
* Dates as YYYY-MM-DD or MM/DD/YYYY.
* A row is the same practitioner as one already at the clinic when the NPI,
  else the email, else the name matches. An NPI held by a practitioner of
  another clinic is a rejected row (a clinic cannot claim someone else's).
* A license is new (submitted, pending) unless the practitioner already has
  one with that state and number; a changed date updates it, and a
  verified license whose dates change goes back to pending.

Every value is stored as the text it is: a cell that looks like a
spreadsheet formula (`=`, `+`, `-`, `@`) is never evaluated.

A real run is all or nothing: one rejected row and nothing is written.
Re-importing the same file changes nothing (every row is "unchanged").
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from credentials import services
from credentials.models import Credential, Kind, Status
from directory import services as directory_services
from directory.models import Clinic, Language, Listing, Location, Practitioner, Profession, Specialty, Technique
from directory.states import USState

REQUIRED_COLUMNS = ("name", "profession", "location")
OPTIONAL_COLUMNS = ("email", "npi", "specialties", "techniques", "languages")
LICENSE_COLUMNS = ("license_state", "license_number", "license_issued", "license_expiry")
COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *LICENSE_COLUMNS)
LIST_SEPARATOR = ";"
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")

CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"


class RosterFileError(Exception):
    """The file as a whole cannot be read (encoding, CSV syntax, columns, size)."""

    def __init__(self, message: str, *, too_large: bool = False):
        super().__init__(message)
        self.too_large = too_large


class RowRejected(Exception):
    pass


@dataclass
class RowResult:
    line: int
    name: str
    action: str
    practitioner_id: int | None = None
    license: str | None = None
    reason: str = ""


@dataclass
class RosterReport:
    dry_run: bool
    applied: bool = False
    rows: list[RowResult] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def rejected(self) -> list[RowResult]:
        return [row for row in self.rows if row.action == REJECTED]


def check_size(size: int) -> None:
    """RosterFileError for a file over ROSTER_MAX_BYTES (before reading it, where the size is known)."""
    max_bytes = settings.ROSTER_MAX_BYTES
    if size > max_bytes:
        raise RosterFileError(f"The file is larger than {max_bytes // 1024} KB; split it.", too_large=True)


@dataclass
class RosterFile:
    """A roster read and checked as a whole: its header and its non-blank rows with their line numbers."""

    header: list[str]
    rows: list[tuple[int, list[str]]]


def read_roster(content: bytes, *, max_rows: int | None = None) -> RosterFile:
    """Decode and parse the file, or RosterFileError.

    Bounded before any row is applied: at most ROSTER_MAX_BYTES and
    `max_rows` (default ROSTER_MAX_ROWS), so a huge file is refused at once
    rather than run. A row costs about 15 ms (some 27 small queries through
    the same services as the API), so the default keeps a request well
    under a proxy's 30-second timeout.
    """
    check_size(len(content))
    max_rows = max_rows or settings.ROSTER_MAX_ROWS
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterFileError(
            "The file is not UTF-8 text. Save it from your spreadsheet as 'CSV UTF-8 (comma delimited)'."
        ) from None
    if "\x00" in text:
        raise RosterFileError("The file contains NUL bytes: it is not a CSV text file.")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows = []
    try:
        header = next(reader, None)
        if header is None:
            raise RosterFileError("The file is empty: it needs a header row and one row per practitioner.")
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= max_rows:
                raise RosterFileError(f"The file has more than {max_rows} rows; split it.", too_large=True)
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise RosterFileError(f"Line {reader.line_num}: the CSV is malformed ({exc}).") from None
    header = [column.strip().lower() for column in header]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    unknown = [column for column in header if column not in COLUMNS]
    repeated = sorted({column for column in header if header.count(column) > 1})
    problems = []
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s): {', '.join(unknown)} (known: {', '.join(COLUMNS)})")
    if repeated:
        problems.append(f"repeated column(s): {', '.join(repeated)}")
    if problems:
        raise RosterFileError("The header row has " + "; ".join(problems) + ".")
    if not rows:
        raise RosterFileError("The file has a header but no practitioners.")
    return RosterFile(header, rows)


def _split(cell: str) -> list[str]:
    return [item.strip() for item in cell.split(LIST_SEPARATOR) if item.strip()]


def _date(value: str, column: str) -> datetime.date:
    for date_format in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, date_format).date()
        except ValueError:
            continue
    raise RowRejected(f"{column}: '{value}' is not a date (YYYY-MM-DD or MM/DD/YYYY).")


def _message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items())
    return " ".join(exc.messages)


class _Lookups:
    """What the rows refer to, loaded once per file: the clinic's locations and
    practitioners, and the vocabularies."""

    def __init__(self, clinic: Clinic):
        self.clinic = clinic
        self.locations = list(Location.objects.filter(clinic=clinic).order_by("id"))
        self.terms = {
            "specialties": self._index(Specialty.objects.all(), "slug"),
            "techniques": self._index(Technique.objects.all(), "slug"),
            "languages": self._index(Language.objects.all(), "code"),
        }
        self.professions = {code.lower(): code for code in Profession.values}
        self.professions.update({label.lower(): code for code, label in Profession.choices})

    @staticmethod
    def _index(queryset, identifier: str) -> dict:
        index = {}
        for term in queryset:
            index[term.name.lower()] = term
            index[getattr(term, identifier).lower()] = term
        return index

    def location(self, text: str) -> Location:
        wanted = text.strip().lower()
        for location in self.locations:
            if wanted in {str(location.pk), location.name.lower(), location.address.lower()}:
                return location
        raise RowRejected(f"location: '{text}' is not one of this clinic's locations (give its id, name or address).")

    def term_list(self, relation: str, cell: str) -> list:
        found = []
        for item in _split(cell):
            term = self.terms[relation].get(item.lower())
            if term is None:
                raise RowRejected(f"{relation}: unknown '{item}'.")
            found.append(term)
        return found

    def practitioner(self, *, npi: str, email: str, name: str) -> Practitioner | None:
        at_clinic = Practitioner.objects.filter(listings__location__clinic=self.clinic).distinct()
        if npi:
            # Someone else's NPI means someone else, whatever the name.
            at_clinic = at_clinic.filter(npi__in=["", npi])
            match = Practitioner.objects.filter(npi=npi).first()
            if match is not None and not at_clinic.filter(pk=match.pk).exists():
                raise RowRejected(
                    f"npi: {npi} belongs to a practitioner of another clinic; ask an admin to add them to yours."
                )
            if match is not None:
                return match
        if email:
            match = at_clinic.filter(email__iexact=email).first()
            if match is not None:
                return match
        return at_clinic.filter(name__iexact=name).order_by("id").first()


def _apply_row(cells: dict, lookups: _Lookups, *, user, today: datetime.date) -> RowResult:
    """Apply one row (inside the file's transaction); raises RowRejected or ValidationError."""
    name = cells["name"]
    if not name:
        raise RowRejected("name: required.")
    profession = lookups.professions.get(cells["profession"].lower())
    if profession is None:
        raise RowRejected(f"profession: unknown '{cells['profession']}' (known: {', '.join(Profession.values)}).")
    location_cells = _split(cells["location"])
    if not location_cells:
        raise RowRejected("location: required.")
    locations = list({location.pk: location for location in map(lookups.location, location_cells)}.values())
    terms = {
        relation: lookups.term_list(relation, cells[relation])
        for relation in directory_services.PRACTITIONER_TERMS
        if cells[relation]
    }

    data: directory_services.PractitionerChanges = {"name": name, "profession": profession}
    for column in ("email", "npi"):
        if cells[column]:
            data[column] = cells[column]
    practitioner = lookups.practitioner(npi=cells["npi"], email=cells["email"], name=name)
    if practitioner is None:
        practitioner = directory_services.practitioner_create(
            clinic=lookups.clinic, **data, locations=locations, **terms
        )
        action = CREATED
    else:
        before = _snapshot(practitioner, lookups.clinic)
        practitioner = directory_services.practitioner_update(
            clinic=lookups.clinic, practitioner=practitioner, changes=data, locations=locations, **terms
        )
        action = UPDATED if _snapshot(practitioner, lookups.clinic) != before else UNCHANGED

    license_action = _apply_license(cells, practitioner, user=user, today=today)
    if license_action in {"submitted", "updated"} and action == UNCHANGED:
        action = UPDATED
    return RowResult(line=0, name=name, action=action, practitioner_id=practitioner.pk, license=license_action)


def _snapshot(practitioner: Practitioner, clinic: Clinic) -> tuple:
    practitioner.refresh_from_db()
    return (
        tuple(getattr(practitioner, column) for column in directory_services.PRACTITIONER_FIELDS),
        *(
            tuple(sorted(getattr(practitioner, relation).values_list("pk", flat=True)))
            for relation in directory_services.PRACTITIONER_TERMS
        ),
        tuple(
            sorted(
                Listing.objects.filter(practitioner=practitioner, location__clinic=clinic).values_list(
                    "location_id", flat=True
                )
            )
        ),
    )


def _apply_license(cells: dict, practitioner: Practitioner, *, user, today: datetime.date) -> str | None:
    given = {column: cells[column] for column in LICENSE_COLUMNS if cells[column]}
    if not given:
        return None
    missing = [column for column in LICENSE_COLUMNS if column not in given]
    if missing:
        raise RowRejected(f"A license needs {', '.join(LICENSE_COLUMNS)}; missing: {', '.join(missing)}.")
    state = given["license_state"].upper()
    if state not in USState.values:
        raise RowRejected(f"license_state: unknown US state '{given['license_state']}'.")
    issued_on = _date(given["license_issued"], "license_issued")
    expires_on = _date(given["license_expiry"], "license_expiry")
    number = given["license_number"]
    existing = (
        Credential.objects.filter(
            practitioner=practitioner, kind=Kind.LICENSE, jurisdiction=state, license_number=number
        )
        .exclude(status__in=[Status.REJECTED, Status.REVOKED])
        .order_by("-created_at")
        .first()
    )
    if existing is None:
        services.credential_submit(
            practitioner=practitioner,
            kind=Kind.LICENSE,
            issuer=f"{USState(state).label} licensing board",
            jurisdiction=state,
            license_number=number,
            issued_on=issued_on,
            expires_on=expires_on,
            submitted_by=user,
            today=today,
        )
        return "submitted"
    if (existing.issued_on, existing.expires_on) == (issued_on, expires_on):
        return "unchanged"
    services.credential_update(
        credential=existing, changes={"issued_on": issued_on, "expires_on": expires_on}, changed_by=user, today=today
    )
    return "updated"


def roster_import(
    *,
    clinic: Clinic,
    roster: RosterFile,
    dry_run: bool,
    user=None,
    today: datetime.date,
    progress: Callable[[int], None] | None = None,
) -> RosterReport:
    """Import a roster, read and checked by read_roster, into the clinic: see the module docstring.

    1. Apply each row inside one transaction, each in a savepoint, so a
       rejected row is reported with its line and reason and the others go on.
    2. Keep the transaction only for a real run with no rejected row;
       a dry run, or a file with any rejected row, is rolled back whole.
    """
    header = roster.header
    report = RosterReport(dry_run=dry_run)
    with transaction.atomic():
        lookups = _Lookups(clinic)
        seen: dict[tuple, int] = {}
        for line, raw in roster.rows:
            cells = {column: "" for column in COLUMNS}
            if len(raw) != len(header):
                result = RowResult(line, "", REJECTED, reason=f"Expected {len(header)} cells, found {len(raw)}.")
            else:
                cells.update({column: value.strip() for column, value in zip(header, raw)})
                result = _import_row(cells, lookups, line=line, seen=seen, user=user, today=today)
            report.rows.append(result)
            if progress:
                progress(1)
        report.applied = not dry_run and not report.rejected
        if not report.applied:
            transaction.set_rollback(True)
    if not report.applied:
        for row in report.rows:
            if row.action == CREATED:
                row.practitioner_id = None  # rolled back: the id was never kept
    return report


def _import_row(cells: dict, lookups: _Lookups, *, line: int, seen: dict, user, today) -> RowResult:
    if cells["npi"]:
        key = ("npi", cells["npi"])
    elif cells["email"]:
        key = ("email", cells["email"].lower())
    else:
        key = ("name", cells["name"].lower())
    if key in seen:
        return RowResult(line, cells["name"], REJECTED, reason=f"The same practitioner as line {seen[key]} ({key[0]}).")
    seen[key] = line
    try:
        with transaction.atomic():
            result = _apply_row(cells, lookups, user=user, today=today)
    except RowRejected as exc:
        return RowResult(line, cells["name"], REJECTED, reason=str(exc))
    except ValidationError as exc:
        return RowResult(line, cells["name"], REJECTED, reason=_message(exc))
    except directory_services.NpiTaken:
        return RowResult(line, cells["name"], REJECTED, reason=f"npi: {cells['npi']} belongs to another practitioner.")
    result.line = line
    return result
