"""Benchmark the NPPES import: N generated rows in the published 330-column layout.

    DATABASE_URL=postgis://... python bench/nppes.py [--rows 1000000] [--again]

Writes N rows (individuals with one to three licenses, some organisations, some
deactivated NPIs) to a temporary file, then runs `manage.py import_nppes` on it in
this process and prints seconds, rows a second and the process's peak resident
memory (ru_maxrss), before and after the import: the import streams the file in
batches, so the peak does not grow with the file. `--again` imports the same file a
second time (every row unchanged). The rows stay in the database's NPPES table:
use a database of its own.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import resource
import tempfile
import time

import benchenv  # noqa: F401  (sets up Django; must come before any Django import)
from django.core.management import call_command  # noqa: E402

from credentials.screening.formats import NPPES_HEADER, nppes_row  # noqa: E402
from credentials.screening.models import NppesRecord  # noqa: E402
from directory.validators import npi_check_digit  # noqa: E402

STATES = ["WA", "OR", "CA", "TX", "FL", "NY", "IL", "CO", "AZ", "GA", "MD", "NC"]
TAXONOMIES = ["225100000X", "111N00000X", "207X00000X", "171100000X", "363L00000X"]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def generate(path: str, rows: int) -> None:
    rng = random.Random(7)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(NPPES_HEADER)
        for n in range(rows):
            first_nine = str(100_000_000 + n * 97 % 200_000_000)
            npi = first_nine + str(npi_check_digit(first_nine))
            if n % 50 == 0:
                row = [""] * len(NPPES_HEADER)
                row[0] = npi
                row[NPPES_HEADER.index("NPI Deactivation Date")] = "05/17/2019"
            elif n % 5 == 0:
                row = nppes_row(npi=npi, entity_type="2", organization_name=f"CLINIC {n} LLC", state="WA")
            else:
                licenses = [
                    (rng.choice(TAXONOMIES), f"L{rng.randint(10000, 9999999)}", rng.choice(STATES), i == 0)
                    for i in range(rng.choice((1, 1, 1, 2, 3)))
                ]
                row = nppes_row(npi=npi, last_name=f"LAST{n % 9973}", first_name=f"FIRST{n % 997}", licenses=licenses)
            writer.writerow(row)


def timed_import(label: str, path: str, rows: int) -> None:
    out = io.StringIO()
    began = time.perf_counter()
    call_command("import_nppes", path, stdout=out)
    seconds = time.perf_counter() - began
    print(f"{label:<16} {seconds:8.1f} s  {rows / seconds:9,.0f} rows/s  peak RSS {peak_mb():7.1f} MB")
    print("   ", out.getvalue().strip().splitlines()[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--again", action="store_true", help="Import the same file a second time.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "npidata_pfile_bench.csv")
        began = time.perf_counter()
        generate(path, args.rows)
        size = os.path.getsize(path)
        print(
            f"Generated {args.rows:,} rows ({size / 2**20:,.0f} MB) in {time.perf_counter() - began:.1f} s; "
            f"peak RSS {peak_mb():.1f} MB; {NppesRecord.objects.count():,} NPPES records before"
        )
        timed_import("import", path, args.rows)
        if args.again:
            timed_import("same file again", path, args.rows)


if __name__ == "__main__":
    main()
