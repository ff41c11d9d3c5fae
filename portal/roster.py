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
  Two rows naming the same practitioner by these rules (the second naming
  someone the first adds) are rejected at the second: one row per person.
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
from django.db.models import Exists, OuterRef

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
    practitioners (with their terms, listings here and licenses), the NPIs the file
    names, and the vocabularies. A row is matched and compared in memory; only a
    row that changes an existing practitioner goes through the services one by one."""

    def __init__(self, clinic: Clinic, rows: list[dict] | None = None):
        self.clinic = clinic
        self._load_practitioners(rows or [])
        self.planned: dict[tuple[str, str], int] = {}
        self.locations = list(Location.objects.filter(clinic=clinic).order_by("id"))
        self.terms = {
            "specialties": self._index(Specialty.objects.all(), "slug"),
            "techniques": self._index(Technique.objects.all(), "slug"),
            "languages": self._index(Language.objects.all(), "code"),
        }
        self.professions = {code.lower(): code for code in Profession.values}
        self.professions.update({label.lower(): code for code, label in Profession.choices})

    def _load_practitioners(self, rows: list[dict]) -> None:
        here = Listing.objects.filter(location__clinic=self.clinic)
        practitioners = list(
            Practitioner.objects.filter(Exists(here.filter(practitioner_id=OuterRef("pk"))))
            .order_by("id")
            .values("id", *directory_services.PRACTITIONER_FIELDS)
        )
        self.current = {row["id"]: row for row in practitioners}
        # By email and by name (lowest id first), so matching a row is a lookup, not a scan.
        self.by_email: dict[str, list[dict]] = {}
        self.by_name: dict[str, list[dict]] = {}
        for row in practitioners:
            if row["email"]:
                self.by_email.setdefault(row["email"].lower(), []).append(row)
            self.by_name.setdefault(row["name"].lower(), []).append(row)
        ids = list(self.current)
        npis = sorted({row["npi"] for row in rows if row["npi"]})
        self.npi_owner = dict(Practitioner.objects.filter(npi__in=npis).values_list("npi", "id"))
        self.held_terms = {pid: {relation: set() for relation in directory_services.PRACTITIONER_TERMS} for pid in ids}
        for relation in directory_services.PRACTITIONER_TERMS:
            field = Practitioner._meta.get_field(relation)
            through = field.remote_field.through
            column = field.m2m_reverse_field_name()
            for pid, term_id in through.objects.filter(practitioner_id__in=ids).values_list(
                "practitioner_id", f"{column}_id"
            ):
                self.held_terms[pid][relation].add(term_id)
        self.listed_here = {pid: set() for pid in ids}
        for pid, location_id in here.filter(practitioner_id__in=ids).values_list("practitioner_id", "location_id"):
            self.listed_here[pid].add(location_id)
        self.licenses: dict[tuple[int, str, str], tuple] = {}
        for pid, state, number, issued_on, expires_on in (
            Credential.objects.filter(practitioner_id__in=ids, kind=Kind.LICENSE)
            .exclude(status__in=[Status.REJECTED, Status.REVOKED])
            .order_by("created_at")  # the latest wins, as the services pick it
            .values_list("practitioner_id", "jurisdiction", "license_number", "issued_on", "expires_on")
        ):
            self.licenses[(pid, state, number)] = (issued_on, expires_on)

    def match(self, *, npi: str, email: str, name: str) -> int | None:
        """The id of the practitioner a row names, as `practitioner` finds it, without a query."""
        if npi and npi in self.npi_owner:
            owner = self.npi_owner[npi]
            if owner not in self.current:
                raise RowRejected(
                    f"npi: {npi} belongs to a practitioner of another clinic; ask an admin to add them to yours."
                )
            return owner
        for index, value in ((self.by_email, email), (self.by_name, name)):
            for row in index.get(value.lower(), ()) if value else ():
                if not npi or row["npi"] in ("", npi):
                    return row["id"]
        return None

    def planned_line(self, *, npi: str, email: str, name: str) -> tuple[int, str] | None:
        """The line of an earlier row of this file that adds the same new practitioner."""
        for kind, value in (("npi", npi), ("email", email.lower()), ("name", name.lower())):
            if value and (kind, value) in self.planned:
                return self.planned[(kind, value)], kind
        return None

    def plan(self, *, npi: str, email: str, name: str, line: int) -> None:
        for kind, value in (("npi", npi), ("email", email.lower()), ("name", name.lower())):
            if value:
                self.planned.setdefault((kind, value), line)

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


@dataclass
class _RowFacts:
    name: str
    profession: str
    email: str
    npi: str
    locations: list[Location]
    terms: dict[str, list]
    license: LicenseCells | None


def _row_facts(cells: dict, lookups: _Lookups) -> _RowFacts:
    """A row checked against the file's lookups, in memory; RowRejected names what is wrong."""
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
    return _RowFacts(name, profession, cells["email"], cells["npi"], locations, terms, _license_cells(cells))


def _unchanged(facts: _RowFacts, practitioner_id: int, lookups: _Lookups) -> tuple[bool, str | None]:
    """Whether applying the row would change nothing (and its license's action if so)."""
    current = lookups.current[practitioner_id]
    wanted = {"name": facts.name, "profession": facts.profession}
    wanted.update({column: getattr(facts, column) for column in ("email", "npi") if getattr(facts, column)})
    if any(current[field] != value for field, value in wanted.items()):
        return False, None
    for relation, terms in facts.terms.items():
        if {term.pk for term in terms} != lookups.held_terms[practitioner_id][relation]:
            return False, None
    if {location.pk for location in facts.locations} != lookups.listed_here[practitioner_id]:
        return False, None
    if facts.license is None:
        return True, None
    license_ = facts.license
    stored = lookups.licenses.get((practitioner_id, license_.state, license_.number))
    if stored != (license_.issued_on, license_.expires_on):
        return False, None
    return True, "unchanged"


def _plan_new(facts: _RowFacts, lookups: _Lookups, *, today: datetime.date):
    """A new practitioner (and license) checked as the services would, without writing."""
    Practitioner(name=facts.name, profession=facts.profession, npi=facts.npi, email=facts.email).clean_fields(
        exclude=["slug"]
    )
    license_ = None
    if facts.license is not None:
        license_ = Credential(
            kind=Kind.LICENSE,
            issuer=f"{USState(facts.license.state).label} licensing board",
            jurisdiction=facts.license.state,
            license_number=facts.license.number,
            profession=facts.profession,
            issued_on=facts.license.issued_on,
            expires_on=facts.license.expires_on,
        )
        license_.clean_fields(exclude=["practitioner", "technique", "document", "submitted_by"])
        license_.clean()
        if license_.issued_on > today:
            raise RowRejected("issued_on: The issue date cannot be in the future.")
    new = directory_services.NewPractitioner(
        name=facts.name,
        profession=facts.profession,
        npi=facts.npi,
        email=facts.email,
        locations=tuple(facts.locations),
        **{relation: tuple(terms) for relation, terms in facts.terms.items()},
    )
    return new, license_


def _apply_row(cells: dict, lookups: _Lookups, *, user, today: datetime.date) -> RowResult:
    """Apply one row (inside the file's transaction); raises RowRejected or ValidationError."""
    facts = _row_facts(cells, lookups)
    name, profession, locations, terms = facts.name, facts.profession, facts.locations, facts.terms

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


@dataclass(frozen=True)
class LicenseCells:
    state: str
    number: str
    issued_on: datetime.date
    expires_on: datetime.date


def _license_cells(cells: dict) -> LicenseCells | None:
    """The row's license, checked (all four columns or none, a US state, dates); None without one."""
    given = {column: cells[column] for column in LICENSE_COLUMNS if cells[column]}
    if not given:
        return None
    missing = [column for column in LICENSE_COLUMNS if column not in given]
    if missing:
        raise RowRejected(f"A license needs {', '.join(LICENSE_COLUMNS)}; missing: {', '.join(missing)}.")
    state = given["license_state"].upper()
    if state not in USState.values:
        raise RowRejected(f"license_state: unknown US state '{given['license_state']}'.")
    return LicenseCells(
        state=state,
        number=given["license_number"],
        issued_on=_date(given["license_issued"], "license_issued"),
        expires_on=_date(given["license_expiry"], "license_expiry"),
    )


def _apply_license(cells: dict, practitioner: Practitioner, *, user, today: datetime.date) -> str | None:
    license_ = _license_cells(cells)
    if license_ is None:
        return None
    state, number, issued_on, expires_on = license_.state, license_.number, license_.issued_on, license_.expires_on
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

    1. Check every row in memory against lookups loaded once (the clinic's
       practitioners with their terms, listings and licenses; the NPIs the
       file names): a rejected row is reported with its line and reason.
    2. A row that changes nothing is "unchanged" without a write; a row that
       changes an existing practitioner goes through the services, in a
       savepoint; new practitioners (most of a first import) are written
       together at the end, by practitioners_create_many and
       credentials_submit_many, in a handful of statements.
    3. Keep the transaction only for a real run with no rejected row; a dry
       run, or a file with any rejected row, is rolled back whole.

    Why in bulk: row by row through the services took 27 statements and
    about 20 ms a row (bench/roster.py: 1,000 rows in 20 s).
    """
    header = roster.header
    report = RosterReport(dry_run=dry_run)
    with transaction.atomic():
        parsed = []
        for line, raw in roster.rows:
            cells = {column: "" for column in COLUMNS}
            if len(raw) == len(header):
                cells.update({column: value.strip() for column, value in zip(header, raw)})
            parsed.append((line, raw, cells))
        lookups = _Lookups(clinic, [cells for _, _, cells in parsed])
        seen: dict[tuple, int] = {}
        planned: list[tuple[RowResult, directory_services.NewPractitioner, Credential | None]] = []
        for line, raw, cells in parsed:
            if len(raw) != len(header):
                result = RowResult(line, "", REJECTED, reason=f"Expected {len(header)} cells, found {len(raw)}.")
            else:
                result = _import_row(cells, lookups, line=line, seen=seen, planned=planned, user=user, today=today)
            report.rows.append(result)
            if progress:
                progress(1)
        report.applied = not dry_run and not report.rejected
        if report.applied and planned:
            created = directory_services.practitioners_create_many(
                clinic=clinic, practitioners=[new for _, new, _ in planned]
            )
            licenses = []
            for (result, _, license_), practitioner in zip(planned, created):
                result.practitioner_id = practitioner.pk
                if license_ is not None:
                    license_.practitioner = practitioner
                    licenses.append(license_)
            services.credentials_submit_many(credentials=licenses, submitted_by=user, today=today)
        if not report.applied:
            transaction.set_rollback(True)
    if not report.applied:
        for row in report.rows:
            if row.action == CREATED:
                row.practitioner_id = None  # rolled back: the id was never kept
    return report


def _import_row(cells: dict, lookups: _Lookups, *, line: int, seen: dict, planned: list, user, today) -> RowResult:
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
        facts = _row_facts(cells, lookups)
        practitioner_id = lookups.match(npi=facts.npi, email=facts.email, name=facts.name)
        if practitioner_id is None:
            earlier = lookups.planned_line(npi=facts.npi, email=facts.email, name=facts.name)
            if earlier is not None:
                raise RowRejected(f"The same practitioner as line {earlier[0]} ({earlier[1]}).")
            new, license_ = _plan_new(facts, lookups, today=today)
            lookups.plan(npi=facts.npi, email=facts.email, name=facts.name, line=line)
            result = RowResult(line, facts.name, CREATED, license="submitted" if license_ else None)
            planned.append((result, new, license_))
            return result
        unchanged, license_action = _unchanged(facts, practitioner_id, lookups)
        if unchanged:
            return RowResult(line, facts.name, UNCHANGED, practitioner_id=practitioner_id, license=license_action)
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
