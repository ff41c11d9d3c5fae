"""Imports of the public registries the verifier checks against: the NPPES data
dissemination file (NppesRecord) and the OIG's exclusion list, the LEIE (Exclusion).

Both read CSV files row by row with the csv module (never the whole file: the
real NPPES file is about 9 GB), check each row, and send the good ones in
batches through PostgreSQL's COPY into a temporary staging table, from which
set-based statements write the real table. The whole import is one
transaction: an error (or Ctrl-C) part-way leaves the tables as they were.
A malformed row is skipped and named in the report (file, line, reason); the
others are imported.

NPPES (`npidata_pfile_*.csv`, 330 quoted columns with a header row, dates
MM/DD/YYYY): only the columns a license check needs are read, by their header
names. Each batch is upserted on the NPI; a row whose values are the same as
stored is not written at all (reported "unchanged"), so re-importing a file
changes nothing. The real file lists a deactivated NPI with its NPI and
deactivation date only (no entity type): such rows are kept; any other row
without an entity type is rejected.

LEIE (`UPDATED.csv`, dates YYYYMMDD with 00000000 for none, NPI 0000000000 for
none): the file is the whole current list. A row is keyed by a digest of its
normalised fields; rows not seen before are inserted, rows no longer on the list
are deleted (a match found against one keeps its summary and loses its link),
the others are counted unchanged.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction

from core import clock
from credentials import services
from directory.validators import npi_check_digit

from .formats import LEIE_HEADER, TAXONOMY_GROUPS
from .models import Exclusion, ExclusionMatch, NppesRecord

BATCH_SIZE = 5_000
KEEP_REJECTED = 50  # rejected rows named in the report; the rest are only counted

NPPES_GLOB = "npidata_pfile_*.csv"
# Small files in the published layouts, for the demo and the tests (see samples/make_samples.py).
SAMPLES = Path(__file__).resolve().parent / "samples"
SAMPLE_NPPES = SAMPLES / "npidata_pfile_sample.csv"
SAMPLE_LEIE = SAMPLES / "leie_sample.csv"

NPPES_NAMES = {
    "npi": "NPI",
    "entity_type": "Entity Type Code",
    "organization_name": "Provider Organization Name (Legal Business Name)",
    "last_name": "Provider Last Name (Legal Name)",
    "first_name": "Provider First Name",
    "deactivated_on": "NPI Deactivation Date",
    "reactivated_on": "NPI Reactivation Date",
}
NPPES_LICENSE_NAMES = {
    "taxonomy": "Healthcare Provider Taxonomy Code_{n}",
    "number": "Provider License Number_{n}",
    "state": "Provider License Number State Code_{n}",
    "primary": "Healthcare Provider Primary Taxonomy Switch_{n}",
}

# LEIE column -> Exclusion field (UPIN has no field: it is only part of the row's key).
LEIE_FIELDS = {
    "LASTNAME": "last_name",
    "FIRSTNAME": "first_name",
    "MIDNAME": "middle_name",
    "BUSNAME": "business_name",
    "GENERAL": "general",
    "SPECIALTY": "specialty",
    "NPI": "npi",
    "DOB": "date_of_birth",
    "ADDRESS": "address",
    "CITY": "city",
    "STATE": "state",
    "ZIP": "postal_code",
    "EXCLTYPE": "exclusion_type",
    "EXCLDATE": "excluded_on",
    "REINDATE": "reinstated_on",
    "WAIVERDATE": "waiver_on",
    "WVRSTATE": "waiver_state",
}
LEIE_DATES = {"DOB", "EXCLDATE", "REINDATE", "WAIVERDATE"}


class ImportFileError(Exception):
    """The file cannot be imported at all (missing, not CSV, a header without the needed columns)."""


class RowError(ValueError):
    """One row is malformed; the message says why."""


@dataclass
class Rejected:
    file: str
    line: int
    reason: str

    def __str__(self):
        return f"{self.file} line {self.line}: {self.reason}"


@dataclass
class ImportReport:
    files: list[str] = field(default_factory=list)
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    rejections: list[Rejected] = field(default_factory=list)
    # Practitioners whose match lost its exclusion (LEIE rows that left the list).
    released_practitioner_ids: list[int] = field(default_factory=list)

    def reject(self, file: str, line: int, reason: str) -> None:
        self.rejected += 1
        if len(self.rejections) < KEEP_REJECTED:
            self.rejections.append(Rejected(file, line, reason))


Progress = Callable[[int], None]


def csv_files(path: Path | str, pattern: str) -> list[Path]:
    """`path` itself, or the files in the directory `path` whose names match `pattern`, sorted."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.glob(pattern) if p.is_file() and "fileheader" not in p.name.lower())
        if not files:
            raise ImportFileError(f"{path}: no file matching {pattern} in this directory.")
        return files
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file or directory.")
    return [path]


def _rows(path: Path) -> Iterator[tuple[int, list[str] | None, list[str]]]:
    """(line number, header, row) for each data row; the header is yielded with the first row only."""
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise ImportFileError(f"{path.name}: the file is empty (no header row).") from None
        except csv.Error as exc:
            raise ImportFileError(f"{path.name}: not a CSV file ({exc}).") from None
        header = [name.strip().lstrip("\ufeff") for name in header]
        yield 1, header, []
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield reader.line_num, None, [f"\x00{exc}"]
                continue
            if row:
                yield reader.line_num, None, row


def _columns(path: Path, header: list[str], wanted: dict[str, str]) -> dict[str, int]:
    index = {name: i for i, name in enumerate(header)}
    missing = [name for name in wanted.values() if name not in index]
    if missing:
        raise ImportFileError(f"{path.name}: the header lacks the column(s) {', '.join(repr(m) for m in missing)}.")
    return {key: index[name] for key, name in wanted.items()}


def _valid_npi(value: str) -> bool:
    return len(value) == 10 and value.isdigit() and npi_check_digit(value[:9]) == int(value[9])


def _fit(value: str, limit: int, column: str) -> str:
    if len(value) > limit:
        raise RowError(f"'{column}' is longer than {limit} characters")
    return value


def _mdy(value: str, column: str) -> datetime.date | None:
    """An NPPES date, MM/DD/YYYY, or None when empty."""
    if not value:
        return None
    try:
        month, day, year = value.split("/")
        if len(year) != 4:
            raise ValueError
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        raise RowError(f"'{column}' is not a date (MM/DD/YYYY): {value!r}") from None


def _ymd(value: str, column: str) -> datetime.date | None:
    """An LEIE date, YYYYMMDD; empty or 00000000 is None."""
    if not value or value == "00000000":
        return None
    try:
        if len(value) != 8 or not value.isdigit():
            raise ValueError
        return datetime.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise RowError(f"'{column}' is not a date (YYYYMMDD): {value!r}") from None


def _load_batches(report, path: Path, rows, *, parse, flush, batch_size: int, progress) -> None:
    """Read a file's data rows: each is `parse(line, row)`d (a RowError names it in the
    report, and it is left out), and the parsed rows go to `flush` in batches of
    `batch_size`; `progress(n)` is told of every `batch_size` rows read, and the rest."""
    batch: list[tuple] = []
    since = 0
    for line, _, row in rows:
        report.read += 1
        try:
            if row and row[0].startswith("\x00"):
                raise RowError(f"not readable as CSV ({row[0][1:]})")
            batch.append(parse(line, row))
        except RowError as exc:
            report.reject(path.name, line, str(exc))
        since += 1
        if since == batch_size:
            if batch:
                flush(batch)
                batch = []
            if progress:
                progress(since)
            since = 0
    if batch:
        flush(batch)
    if progress and since:
        progress(since)


def _copy(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


# --------------------------------------------------------------------------
# NPPES
# --------------------------------------------------------------------------

NPPES_STAGE = "nppes_stage"
NPPES_COLUMNS = (
    "line",
    "npi",
    "entity_type",
    "last_name",
    "first_name",
    "organization_name",
    "licenses",
    "deactivated_on",
    "reactivated_on",
)
NPPES_VALUES = (
    "entity_type",
    "last_name",
    "first_name",
    "organization_name",
    "licenses",
    "deactivated_on",
    "reactivated_on",
)


def _nppes_row(
    row: list[str], width: int, cols: dict[str, int], license_cols: list[tuple[int, int, int, int]]
) -> tuple:
    if len(row) != width:
        raise RowError(f"{len(row)} columns where the header has {width}")
    npi = row[cols["npi"]].strip()
    if not _valid_npi(npi):
        raise RowError(f"'NPI' is not a valid NPI (10 digits with a check digit): {npi!r}")
    entity_type = row[cols["entity_type"]].strip()
    deactivated_on = _mdy(row[cols["deactivated_on"]].strip(), NPPES_NAMES["deactivated_on"])
    reactivated_on = _mdy(row[cols["reactivated_on"]].strip(), NPPES_NAMES["reactivated_on"])
    if entity_type not in {"1", "2"} and not (entity_type == "" and deactivated_on):
        raise RowError(f"'Entity Type Code' must be 1 or 2 (only a deactivated NPI has none): {entity_type!r}")
    licenses = []
    for taxonomy_at, number_at, state_at, primary_at in license_cols:
        taxonomy, number = row[taxonomy_at], row[number_at]
        if not (taxonomy or number) or not (taxonomy.strip() or number.strip()):
            continue
        licenses.append(
            {
                "taxonomy": taxonomy.strip(),
                "number": number.strip(),
                "state": row[state_at].strip(),
                "primary": row[primary_at].strip().upper() == "Y",
            }
        )
    return (
        npi,
        entity_type,
        _fit(row[cols["last_name"]].strip(), 120, NPPES_NAMES["last_name"]),
        _fit(row[cols["first_name"]].strip(), 120, NPPES_NAMES["first_name"]),
        _fit(row[cols["organization_name"]].strip(), 300, NPPES_NAMES["organization_name"]),
        json.dumps(licenses, separators=(",", ":")) if licenses else "[]",
        deactivated_on,
        reactivated_on,
    )


def _nppes_flush(report: ImportReport, batch: list[tuple]) -> None:
    """Write one batch: COPY into the staging table, then one upsert of what differs."""
    table = connection.ops.quote_name(NppesRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {NPPES_STAGE}")
        _copy(NPPES_STAGE, NPPES_COLUMNS, batch)
        stored = ", ".join(f"{table}.{c}" for c in NPPES_VALUES)
        incoming = ", ".join(f"EXCLUDED.{c}" for c in NPPES_VALUES)
        cursor.execute(
            f"""
            WITH latest AS (
                SELECT DISTINCT ON (npi) {", ".join(c for c in NPPES_COLUMNS if c != "line")}
                FROM {NPPES_STAGE} ORDER BY npi, line DESC
            ), written AS (
                INSERT INTO {table} (npi, {", ".join(NPPES_VALUES)}, imported_at)
                SELECT npi, {", ".join(NPPES_VALUES)}, statement_timestamp() FROM latest
                ON CONFLICT (npi) DO UPDATE SET
                    {", ".join(f"{c} = EXCLUDED.{c}" for c in NPPES_VALUES)}, imported_at = EXCLUDED.imported_at
                WHERE ({stored}) IS DISTINCT FROM ({incoming})
                RETURNING (xmax = 0) AS created
            )
            SELECT (SELECT count(*) FROM latest),
                   count(*) FILTER (WHERE created),
                   count(*) FILTER (WHERE NOT created)
            FROM written
            """
        )
        distinct, created, updated = cursor.fetchone()
    report.created += created
    report.updated += updated
    report.unchanged += distinct - created - updated


def nppes_import(*, path: Path | str, batch_size: int = BATCH_SIZE, progress: Progress | None = None) -> ImportReport:
    """Import an NPPES data dissemination file, or every npidata_pfile_*.csv of a directory,
    in one transaction. Returns what was created, updated, unchanged and rejected."""
    files = csv_files(path, NPPES_GLOB)
    report = ImportReport(files=[str(f) for f in files])
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{NPPES_STAGE}")
            cursor.execute(
                f"""CREATE TEMP TABLE {NPPES_STAGE} (
                    line bigint, npi varchar(10), entity_type varchar(1), last_name text, first_name text,
                    organization_name text, licenses jsonb, deactivated_on date, reactivated_on date
                ) ON COMMIT DROP"""
            )
        for path_ in files:
            rows = _rows(path_)
            _, header, _ = next(rows)
            cols = _columns(path_, header, NPPES_NAMES)
            license_cols = [
                tuple(_columns(path_, header, {k: v.format(n=n) for k, v in NPPES_LICENSE_NAMES.items()}).values())
                for n in range(1, TAXONOMY_GROUPS + 1)
            ]
            width = len(header)
            _load_batches(
                report,
                path_,
                rows,
                parse=lambda line, row, width=width, cols=cols, license_cols=license_cols: (
                    line,
                    *_nppes_row(row, width, cols, license_cols),
                ),
                flush=lambda batch: _nppes_flush(report, batch),
                batch_size=batch_size,
                progress=progress,
            )
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {NPPES_STAGE}")
    return report


# --------------------------------------------------------------------------
# LEIE
# --------------------------------------------------------------------------

LEIE_STAGE = "leie_stage"
LEIE_COLUMNS = ("row_key", *LEIE_FIELDS.values())


def leie_row_key(values: dict[str, str]) -> str:
    """A digest of the row's normalised fields (trimmed, upper case, in the file's column order)."""
    text = "\x1f".join(values[name].strip().upper() for name in LEIE_HEADER)
    return hashlib.sha256(text.encode()).hexdigest()


def _leie_row(row: list[str], width: int, cols: dict[str, int]) -> tuple:
    if len(row) != width:
        raise RowError(f"{len(row)} columns where the header has {width}")
    values = {name: row[cols[name]].strip() for name in LEIE_HEADER}
    npi = values["NPI"]
    if npi in {"", "0000000000"}:
        npi = ""
    elif not _valid_npi(npi):
        raise RowError(f"'NPI' is not a valid NPI (10 digits with a check digit): {npi!r}")
    if not (values["LASTNAME"] or values["BUSNAME"]):
        raise RowError("neither 'LASTNAME' nor 'BUSNAME' is given")
    out: list[object] = [leie_row_key(values)]
    for column, name in LEIE_FIELDS.items():
        if column == "NPI":
            out.append(npi)
        elif column in LEIE_DATES:
            out.append(_ymd(values[column], column))
        else:
            limit = Exclusion._meta.get_field(name).max_length
            out.append(_fit(values[column], limit, column))
    if out[LEIE_COLUMNS.index("excluded_on")] is None:
        raise RowError("'EXCLDATE' is missing")
    return tuple(out)


def leie_import(
    *,
    path: Path | str,
    today: datetime.date | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> ImportReport:
    """Replace the exclusion list with the LEIE file (or every *.csv of a directory), in one
    transaction: new rows inserted, rows no longer listed deleted, the rest left alone."""
    today = today or clock.today()
    files = csv_files(path, "*.csv")
    report = ImportReport(files=[str(f) for f in files])
    table = connection.ops.quote_name(Exclusion._meta.db_table)
    matches = connection.ops.quote_name(ExclusionMatch._meta.db_table)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{LEIE_STAGE}")
            cursor.execute(
                f"CREATE TEMP TABLE {LEIE_STAGE} ON COMMIT DROP AS "
                f"SELECT {', '.join(LEIE_COLUMNS)} FROM {table} WITH NO DATA"
            )
        for path_ in files:
            rows = _rows(path_)
            _, header, _ = next(rows)
            cols = _columns(path_, [name.upper() for name in header], {name: name for name in LEIE_HEADER})
            width = len(header)
            _load_batches(
                report,
                path_,
                rows,
                parse=lambda line, row, width=width, cols=cols: _leie_row(row, width, cols),
                flush=lambda batch: _copy(LEIE_STAGE, LEIE_COLUMNS, batch),
                batch_size=batch_size,
                progress=progress,
            )

        fields = ", ".join(LEIE_COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {LEIE_STAGE})")
            if not cursor.fetchone()[0]:
                # The file is the whole list: an empty (or wholly malformed) one would remove every exclusion.
                raise ImportFileError(
                    f"no valid row in {', '.join(Path(f).name for f in report.files)} "
                    f"({report.read} read, {report.rejected} rejected); the exclusion list was left as it was."
                    + "".join(f"\n  {rejected}" for rejected in report.rejections[:5])
                )
            cursor.execute(f"CREATE INDEX ON {LEIE_STAGE} (row_key)")
            cursor.execute(f"ANALYZE {LEIE_STAGE}")
            cursor.execute(
                f"""
                WITH gone AS (
                    SELECT id FROM {table} e WHERE NOT EXISTS (SELECT 1 FROM {LEIE_STAGE} s WHERE s.row_key = e.row_key)
                )
                UPDATE {matches} SET exclusion_id = NULL
                WHERE exclusion_id IN (SELECT id FROM gone)
                RETURNING practitioner_id
                """
            )
            report.released_practitioner_ids = sorted({row[0] for row in cursor.fetchall()})
            cursor.execute(
                f"DELETE FROM {table} e WHERE NOT EXISTS (SELECT 1 FROM {LEIE_STAGE} s WHERE s.row_key = e.row_key)"
            )
            report.deleted = cursor.rowcount
            cursor.execute(
                f"""
                WITH written AS (
                    INSERT INTO {table} ({fields}, imported_at)
                    SELECT DISTINCT ON (row_key) {fields}, statement_timestamp() FROM {LEIE_STAGE}
                    ORDER BY row_key
                    ON CONFLICT (row_key) DO NOTHING
                    RETURNING 1
                )
                SELECT (SELECT count(DISTINCT row_key) FROM {LEIE_STAGE}), (SELECT count(*) FROM written)
                """
            )
            distinct, created = cursor.fetchone()
            cursor.execute(f"DROP TABLE {LEIE_STAGE}")
        report.created = created
        report.unchanged = distinct - created
        if report.released_practitioner_ids:
            # An open match whose exclusion left the list no longer stands.
            services.practitioners_requalify(practitioner_ids=report.released_practitioner_ids, today=today)
    return report
