"""The NPPES and LEIE imports: the shipped sample files, malformed rows named in the report
with the rest imported, nothing half-imported, and a re-import that changes nothing."""

import csv
import datetime
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from credentials.screening import imports
from credentials.screening.formats import LEIE_HEADER, NPPES_HEADER, leie_row, nppes_row
from credentials.screening.models import Exclusion, ExclusionMatch, NppesRecord
from directory.validators import npi_check_digit
from tests.factories import PractitionerFactory

pytestmark = pytest.mark.django_db

NPPES_SAMPLE = imports.SAMPLE_NPPES
LEIE_SAMPLE = imports.SAMPLE_LEIE


def npi(n: int) -> str:
    first_nine = str(100_000_000 + n)
    return first_nine + str(npi_check_digit(first_nine))


def write_csv(path: Path, header, rows, *, quote_all=False) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def stored(model, key):
    """Each row's key with its xmin (the transaction that last wrote it) and imported_at."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {key}, xmin::text, imported_at FROM "{table}" ORDER BY {key}')
        return cursor.fetchall()


def run(command, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- NPPES ------------------------------------------------------------------


def sample_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, list(reader)


def test_the_sample_is_in_the_published_layout():
    header, rows = sample_rows(NPPES_SAMPLE)
    assert len(header) == 330
    assert header[:7] == [
        "NPI",
        "Entity Type Code",
        "Replacement NPI",
        "Employer Identification Number (EIN)",
        "Provider Organization Name (Legal Business Name)",
        "Provider Last Name (Legal Name)",
        "Provider First Name",
    ]
    assert header[-1] == "Certification Date"
    assert "Other Provider Identifier Issuer_50" in header
    assert len(rows) == 300
    assert all(len(row) == 330 for row in rows)


def test_nppes_sample_imports_every_row(today):
    out, err = run("import_nppes", NPPES_SAMPLE)

    assert "Read 300 rows from 1 file(s): 300 created, 0 updated, 0 unchanged, 0 rejected." in out
    assert "300 rows" in err  # the progress line
    assert NppesRecord.objects.count() == 300
    _, rows = sample_rows(NPPES_SAMPLE)
    first = NppesRecord.objects.get(npi=rows[0][0])
    assert (first.entity_type, first.first_name, first.last_name, first.organization_name) == (
        rows[0][1],
        rows[0][6],
        rows[0][5],
        "",
    )
    assert first.licenses == [
        {
            "taxonomy": rows[0][NPPES_HEADER.index("Healthcare Provider Taxonomy Code_1")],
            "number": rows[0][NPPES_HEADER.index("Provider License Number_1")],
            "state": rows[0][NPPES_HEADER.index("Provider License Number State Code_1")],
            "primary": True,
        }
    ]
    # Deactivated NPIs keep only their number and date, as the real file lists them.
    deactivated = [row for row in rows if row[NPPES_HEADER.index("NPI Deactivation Date")]]
    assert deactivated
    record = NppesRecord.objects.get(npi=deactivated[0][0])
    month, day, year = deactivated[0][NPPES_HEADER.index("NPI Deactivation Date")].split("/")
    assert record.deactivated_on == datetime.date(int(year), int(month), int(day))
    assert record.entity_type == "" and record.is_deactivated()
    organisations = NppesRecord.objects.filter(entity_type="2")
    assert organisations.count() == sum(row[1] == "2" for row in rows) > 0
    assert all(o.organization_name.endswith("PHYSICAL THERAPY LLC") for o in organisations)


def test_nppes_reimport_changes_nothing(today):
    run("import_nppes", NPPES_SAMPLE)
    before = stored(NppesRecord, "npi")

    out, _ = run("import_nppes", NPPES_SAMPLE)

    assert "0 created, 0 updated, 300 unchanged, 0 rejected" in out
    assert stored(NppesRecord, "npi") == before


def test_nppes_changed_row_is_updated_and_only_it(tmp_path, today):
    rows = [
        nppes_row(npi=npi(1), last_name="OKAFOR", first_name="ADA", licenses=[("225100000X", "PT1", "WA", True)]),
        nppes_row(npi=npi(2), last_name="NOVAK", first_name="IVAN"),
    ]
    path = write_csv(tmp_path / "npidata_pfile_1.csv", NPPES_HEADER, rows, quote_all=True)
    imports.nppes_import(path=path)
    before = dict((key, xmin) for key, xmin, _ in stored(NppesRecord, "npi"))
    rows[0] = nppes_row(npi=npi(1), last_name="OKAFOR", first_name="ADA", licenses=[("225100000X", "PT2", "WA", True)])
    write_csv(path, NPPES_HEADER, rows, quote_all=True)

    report = imports.nppes_import(path=path)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    after = dict((key, xmin) for key, xmin, _ in stored(NppesRecord, "npi"))
    assert after[npi(2)] == before[npi(2)]
    assert after[npi(1)] != before[npi(1)]
    assert NppesRecord.objects.get(npi=npi(1)).licenses[0]["number"] == "PT2"


def malformed_nppes(tmp_path) -> Path:
    good = nppes_row(npi=npi(10), last_name="TANAKA", first_name="KEN", deactivated_on=None)
    bad_npi = nppes_row(npi="1234567890", last_name="BAD", first_name="CHECK")  # wrong check digit
    bad_date = nppes_row(npi=npi(11), last_name="BAD", first_name="DATE")
    bad_date[NPPES_HEADER.index("NPI Deactivation Date")] = "13/45/2020"
    short = nppes_row(npi=npi(12), last_name="SHORT", first_name="ROW")[:100]
    no_type = nppes_row(npi=npi(13), entity_type="", last_name="NO", first_name="TYPE")
    good2 = nppes_row(npi=npi(14), entity_type="2", organization_name="HARBOR PT LLC")
    return write_csv(
        tmp_path / "npidata_pfile_bad.csv",
        NPPES_HEADER,
        [good, bad_npi, bad_date, short, no_type, good2],
        quote_all=True,
    )


def test_nppes_malformed_rows_are_named_and_the_rest_imported(tmp_path, today):
    path = malformed_nppes(tmp_path)

    out, _ = run("import_nppes", path)

    assert "Read 6 rows from 1 file(s): 2 created, 0 updated, 0 unchanged, 4 rejected." in out
    assert "npidata_pfile_bad.csv line 3: 'NPI' is not a valid NPI" in out
    assert "line 4: 'NPI Deactivation Date' is not a date (MM/DD/YYYY): '13/45/2020'" in out
    assert "line 5: 100 columns where the header has 330" in out
    assert "line 6: 'Entity Type Code' must be 1 or 2" in out
    assert sorted(NppesRecord.objects.values_list("npi", flat=True)) == [npi(10), npi(14)]


def test_nppes_directory_imports_its_npidata_files_only(tmp_path, today):
    write_csv(tmp_path / "npidata_pfile_a.csv", NPPES_HEADER, [nppes_row(npi=npi(20), last_name="A")])
    write_csv(tmp_path / "npidata_pfile_b.csv", NPPES_HEADER, [nppes_row(npi=npi(21), last_name="B")])
    write_csv(tmp_path / "npidata_pfile_a_fileheader.csv", NPPES_HEADER, [])
    write_csv(tmp_path / "othername_pfile_a.csv", ["NPI", "Other Name"], [["x", "y"]])

    out, _ = run("import_nppes", tmp_path)

    assert "Read 2 rows from 2 file(s): 2 created" in out
    assert sorted(NppesRecord.objects.values_list("npi", flat=True)) == [npi(20), npi(21)]


def test_nppes_error_mid_import_leaves_the_table_as_it_was(tmp_path, today, monkeypatch):
    imports.nppes_import(path=NPPES_SAMPLE)
    before = stored(NppesRecord, "npi")
    rows = [nppes_row(npi=npi(100 + n), last_name=f"NEW{n}") for n in range(30)]
    path = write_csv(tmp_path / "npidata_pfile_new.csv", NPPES_HEADER, rows)
    real_flush = imports._nppes_flush
    calls = []

    def failing_flush(report, batch):
        calls.append(len(batch))
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        real_flush(report, batch)

    monkeypatch.setattr(imports, "_nppes_flush", failing_flush)

    with pytest.raises(RuntimeError):
        imports.nppes_import(path=path, batch_size=10)

    assert calls == [10, 10, 10]
    assert stored(NppesRecord, "npi") == before
    assert not NppesRecord.objects.filter(last_name__startswith="NEW").exists()


def test_nppes_unusable_files_are_refused(tmp_path, today):
    with pytest.raises(CommandError, match="no such file"):
        run("import_nppes", tmp_path / "missing.csv")
    with pytest.raises(CommandError, match="no file matching npidata_pfile_"):
        run("import_nppes", tmp_path)
    header = [name for name in NPPES_HEADER if name != "NPI Deactivation Date"]
    path = write_csv(tmp_path / "npidata_pfile_x.csv", header, [])
    with pytest.raises(CommandError, match="lacks the column\\(s\\) 'NPI Deactivation Date'"):
        run("import_nppes", path)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CommandError, match="empty"):
        run("import_nppes", empty)


# --- LEIE -------------------------------------------------------------------


def test_leie_sample_imports_every_row(today):
    out, _ = run("import_leie", LEIE_SAMPLE)

    assert (
        "Read 60 rows from 1 file(s): 60 created, 0 updated, 0 unchanged, 0 deleted (no longer listed), 0 rejected."
        in out
    )
    assert "Screening as of 2026-03-01: 0 new match(es)" in out  # no practitioners in this database
    assert Exclusion.objects.count() == 60
    taylor = Exclusion.objects.get(last_name="TAYLOR", first_name="LAUREN")
    assert (taylor.npi, taylor.state, taylor.exclusion_type, taylor.excluded_on) == (
        "1237723246",
        "IL",
        "1128b4",
        datetime.date(2024, 6, 20),
    )
    assert taylor.date_of_birth is None and taylor.reinstated_on is None
    bailey = Exclusion.objects.get(last_name="BAILEY", first_name="JUSTIN")
    assert bailey.npi == ""  # 0000000000 is "none"
    assert Exclusion.objects.filter(reinstated_on__isnull=False).exists()
    assert Exclusion.objects.exclude(business_name="").filter(last_name="").exists()


def test_leie_reimport_changes_nothing(today):
    run("import_leie", LEIE_SAMPLE)
    before = stored(Exclusion, "row_key")

    out, _ = run("import_leie", LEIE_SAMPLE)

    assert "0 created, 0 updated, 60 unchanged, 0 deleted (no longer listed), 0 rejected" in out
    assert stored(Exclusion, "row_key") == before


def test_leie_rows_leaving_the_list_are_deleted_and_their_matches_keep_the_summary(tmp_path, today):
    stays = leie_row(last_name="Moreau", first_name="Luc", state="WA", excluded_on=datetime.date(2020, 1, 2))
    leaves = leie_row(last_name="Haddad", first_name="Rami", state="WA", excluded_on=datetime.date(2021, 3, 4))
    path = write_csv(tmp_path / "UPDATED.csv", LEIE_HEADER, [stays, leaves])
    imports.leie_import(path=path)
    practitioner = PractitionerFactory(name="Rami Haddad")
    match = ExclusionMatch.objects.create(
        practitioner=practitioner,
        exclusion=Exclusion.objects.get(last_name="HADDAD"),
        summary="HADDAD, RAMI; excluded 2021-03-04",
        basis="name_state",
    )
    kept = Exclusion.objects.get(last_name="MOREAU")
    new = leie_row(last_name="Kowalski", first_name="Ewa", state="OR", excluded_on=datetime.date(2022, 5, 6))
    write_csv(path, LEIE_HEADER, [stays, new])

    report = imports.leie_import(path=path)

    assert (report.created, report.unchanged, report.deleted) == (1, 1, 1)
    assert sorted(Exclusion.objects.values_list("last_name", flat=True)) == ["KOWALSKI", "MOREAU"]
    assert Exclusion.objects.get(last_name="MOREAU").pk == kept.pk
    match.refresh_from_db()
    assert match.exclusion is None
    assert match.summary == "HADDAD, RAMI; excluded 2021-03-04"
    assert report.released_practitioner_ids == [practitioner.pk]


def test_leie_malformed_rows_are_named_and_the_rest_imported(tmp_path, today):
    good = leie_row(last_name="Ruiz", first_name="Ana", state="TX", excluded_on=datetime.date(2019, 5, 20))
    bad_npi = leie_row(last_name="Bad", first_name="Npi", npi="12345", excluded_on=datetime.date(2019, 5, 20))
    bad_date = leie_row(last_name="Bad", first_name="Date", excluded_on=datetime.date(2019, 5, 20))
    bad_date[LEIE_HEADER.index("EXCLDATE")] = "20191340"
    no_date = leie_row(last_name="No", first_name="Date")
    short = leie_row(last_name="Short", excluded_on=datetime.date(2019, 5, 20))[:10]
    no_name = leie_row(excluded_on=datetime.date(2019, 5, 20))
    long_state = leie_row(last_name="Long", state="WASH", excluded_on=datetime.date(2019, 5, 20))
    path = write_csv(
        tmp_path / "UPDATED.csv", LEIE_HEADER, [good, bad_npi, bad_date, no_date, short, no_name, long_state]
    )

    out, _ = run("import_leie", path)

    assert (
        "Read 7 rows from 1 file(s): 1 created, 0 updated, 0 unchanged, 0 deleted (no longer listed), 6 rejected."
        in out
    )
    assert "UPDATED.csv line 3: 'NPI' is not a valid NPI (10 digits with a check digit): '12345'" in out
    assert "line 4: 'EXCLDATE' is not a date (YYYYMMDD): '20191340'" in out
    assert "line 5: 'EXCLDATE' is missing" in out
    assert "line 6: 10 columns where the header has 18" in out
    assert "line 7: neither 'LASTNAME' nor 'BUSNAME' is given" in out
    assert "line 8: 'STATE' is longer than 2 characters" in out
    assert list(Exclusion.objects.values_list("last_name", flat=True)) == ["RUIZ"]


def test_leie_error_mid_import_leaves_the_list_as_it_was(tmp_path, today, monkeypatch):
    imports.leie_import(path=LEIE_SAMPLE)
    before = stored(Exclusion, "row_key")
    rows = [leie_row(last_name=f"New{n}", excluded_on=datetime.date(2020, 1, 1)) for n in range(25)]
    path = write_csv(tmp_path / "UPDATED.csv", LEIE_HEADER, rows)
    real_copy = imports._copy
    calls = []

    def failing_copy(table, columns, batch):
        calls.append(len(batch))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        real_copy(table, columns, batch)

    monkeypatch.setattr(imports, "_copy", failing_copy)

    with pytest.raises(RuntimeError):
        imports.leie_import(path=path, batch_size=10)

    assert stored(Exclusion, "row_key") == before
    assert Exclusion.objects.count() == 60


def test_many_rejections_are_counted_and_the_first_named(tmp_path, today):
    rows = [
        leie_row(last_name=f"P{n}", npi="1", excluded_on=datetime.date(2020, 1, 1))
        for n in range(imports.KEEP_REJECTED + 5)
    ]
    rows.append(leie_row(last_name="Valid", excluded_on=datetime.date(2020, 1, 1)))
    path = write_csv(tmp_path / "UPDATED.csv", LEIE_HEADER, rows)

    out, _ = run("import_leie", path)

    assert f"{imports.KEEP_REJECTED + 5} rejected." in out
    assert f"Rejected rows (the first {imports.KEEP_REJECTED}):" in out
    assert f"line {imports.KEEP_REJECTED + 1}:" in out
    assert f"line {imports.KEEP_REJECTED + 2}:" not in out


def test_an_empty_or_wholly_malformed_list_removes_nothing(tmp_path, today):
    imports.leie_import(path=LEIE_SAMPLE)
    before = stored(Exclusion, "row_key")
    empty = write_csv(tmp_path / "UPDATED.csv", LEIE_HEADER, [])
    with pytest.raises(CommandError, match="no valid row in UPDATED.csv \\(0 read, 0 rejected\\); the exclusion list"):
        run("import_leie", empty)
    bad = write_csv(tmp_path / "UPDATED.csv", LEIE_HEADER, [leie_row(last_name="X", npi="1")])
    with pytest.raises(CommandError, match="\\(1 read, 1 rejected\\)[^\\n]*\\n  UPDATED.csv line 2: 'NPI' is not"):
        run("import_leie", bad)
    assert stored(Exclusion, "row_key") == before
