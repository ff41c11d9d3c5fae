"""Write the sample NPPES and LEIE files in the published layouts, the same on every run.

    .venv/bin/python credentials/screening/samples/make_samples.py

- npidata_pfile_sample.csv: 300 NPIs in the 330-column NPPES layout. The first 150 are
  demo practitioners with an NPI (the demo seed, portal/demo, with its default seed 1
  and at least 2,000 practitioners), under their names and their clinic's state; their
  license numbers are the sample's own (the demo's are drawn when it is seeded), so the
  verifier sees a license number that differs. Then other individuals, some
  organisations and some deactivated NPIs (NPI and deactivation date only, as the real
  file lists them).
- leie_sample.csv: 60 rows in the UPDATED.csv layout: made-up people and businesses,
  some reinstated, plus two demo practitioners, one by NPI and one (without an NPI in
  the directory) by name and state, so the demo's screening finds two matches.

The demo practitioners are worked out by running the demo seed's clinic and practitioner
stages into memory (nothing is written to a database).
"""

from __future__ import annotations

import csv
import datetime
import os
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "samples-only-not-a-secret")
# Settings need a database address; nothing here connects to it.
os.environ.setdefault("DATABASE_URL", "postgis://localhost/unused")

import django  # noqa: E402

django.setup()

from credentials.screening.formats import LEIE_HEADER, NPPES_HEADER, leie_row, nppes_row  # noqa: E402
from directory.models import Practitioner  # noqa: E402
from directory.validators import npi_check_digit  # noqa: E402
from portal.demo.sinks import Sink  # noqa: E402
from portal.demo.stages import SeedContext, seed_clinics, seed_practitioners  # noqa: E402

DEMO_PRACTITIONERS = 2000
TAXONOMY = {
    "PT": "225100000X",
    "DC": "111N00000X",
    "MD": "207X00000X",
    "DO": "207X00000X",
    "LAC": "171100000X",
    "ATC": "2255A2300X",
    "NP": "363L00000X",
    "PA": "363A00000X",
}
FIRST = ["James", "Maria", "Robert", "Linda", "Michael", "Elena", "David", "Susan", "Joseph", "Ana", "Kevin", "Grace"]
LAST = ["Okafor", "Lindqvist", "Moreau", "Haddad", "Tanaka", "Novak", "Brennan", "Ruiz", "Kowalski", "Abara"]
STATES = ["WA", "OR", "CA", "TX", "FL", "NY", "IL", "CO", "AZ", "GA"]


class MemorySink(Sink):
    """Keeps the practitioners' rows (name, npi) instead of writing them."""

    def __init__(self):
        self.practitioners: list[tuple[str, str]] = []

    def reserve_ids(self, model, count):
        return 1

    def write(self, model, columns, rows):
        if model is Practitioner:
            name, npi = columns.index("name"), columns.index("npi")
            self.practitioners.extend((row[name], row[npi]) for row in rows)


def demo_practitioners() -> list[dict]:
    sink = MemorySink()
    ctx = SeedContext(
        practitioners=DEMO_PRACTITIONERS, seed=1, today=datetime.date(2026, 1, 1), sink=sink, progress=False
    )
    seed_clinics(ctx)
    seed_practitioners(ctx)
    state_of = {}
    for plan in ctx.clinics:
        for index in range(plan.first_practitioner, plan.first_practitioner + plan.size):
            state_of[index] = plan.zip.state
    return [
        {"index": i, "name": name, "npi": npi, "state": state_of[i]} for i, (name, npi) in enumerate(sink.practitioners)
    ]


def other_npi(rng: random.Random, taken: set[str]) -> str:
    while True:
        first_nine = str(rng.randint(100_000_000, 299_999_999))
        npi = first_nine + str(npi_check_digit(first_nine))
        if npi not in taken:
            taken.add(npi)
            return npi


def main() -> None:
    rng = random.Random("dry-needling-samples/1")
    demo = demo_practitioners()
    # ATC has no NPI in the demo; profession is not kept by the sink, so a PT taxonomy stands for all.
    with_npi = [p for p in demo if p["npi"]]
    without_npi = [p for p in demo if not p["npi"]]
    taken = {p["npi"] for p in demo if p["npi"]}

    def day(start_year: int, end_year: int) -> datetime.date:
        return datetime.date(rng.randint(start_year, end_year), rng.randint(1, 12), rng.randint(1, 28))

    rows = []
    for p in with_npi[:150]:
        first, *_, last = p["name"].split()
        rows.append(
            nppes_row(
                npi=p["npi"],
                last_name=last.upper(),
                first_name=first.upper(),
                credential="PT",
                state=p["state"],
                licenses=[(TAXONOMY["PT"], f"PT{rng.randint(10000, 999999)}", p["state"], True)],
                enumerated_on=day(2006, 2020),
            )
        )
    for n in range(150):
        npi = other_npi(rng, taken)
        if n % 15 == 0:  # deactivated: the file keeps only the NPI and the date
            row = [""] * len(NPPES_HEADER)
            row[0] = npi
            row[NPPES_HEADER.index("NPI Deactivation Date")] = f"{day(2015, 2025):%m/%d/%Y}"
        elif n % 10 == 0:
            row = nppes_row(
                npi=npi,
                entity_type="2",
                organization_name=f"{rng.choice(LAST).upper()} PHYSICAL THERAPY LLC",
                state=rng.choice(STATES),
                licenses=[("261QP2000X", "", "", True)],
                enumerated_on=day(2006, 2022),
            )
        else:
            state = rng.choice(STATES)
            profession = rng.choice(list(TAXONOMY))
            licenses = [(TAXONOMY[profession], f"{profession}{rng.randint(10000, 999999)}", state, True)]
            if rng.random() < 0.2:
                other = rng.choice([s for s in STATES if s != state])
                licenses.append((TAXONOMY[profession], f"{profession}{rng.randint(10000, 999999)}", other, False))
            rows.append(
                nppes_row(
                    npi=npi,
                    last_name=rng.choice(LAST).upper(),
                    first_name=rng.choice(FIRST).upper(),
                    credential=profession,
                    state=state,
                    licenses=licenses,
                    enumerated_on=day(2006, 2024),
                )
            )
            continue
        rows.append(row)
    with open(HERE / "npidata_pfile_sample.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(NPPES_HEADER)
        writer.writerows(rows)

    leie = []
    for n in range(58):
        reinstated = day(2020, 2025) if n % 9 == 0 else None
        if n % 7 == 0:
            leie.append(
                leie_row(
                    business_name=f"{rng.choice(LAST)} Medical Supply Inc",
                    general="DME COMPANY",
                    address=f"{rng.randint(10, 9999)} Main St",
                    city="Springfield",
                    state=rng.choice(STATES),
                    postal_code=f"{rng.randint(10000, 99999)}",
                    exclusion_type="1128b7",
                    excluded_on=day(2005, 2025),
                    reinstated_on=reinstated,
                )
            )
            continue
        leie.append(
            leie_row(
                last_name=rng.choice(LAST),
                first_name=rng.choice(FIRST),
                middle_name=rng.choice(["", "A", "J", "Lee"]),
                general=rng.choice(["NURSING PROFESSION", "IND- LIC HC SERV PRO", "PHYSICAL THERAPIST", "BUSINESS"]),
                specialty=rng.choice(["", "NURSE/NURSES AIDE", "PHYSICAL THERAPY"]),
                npi=other_npi(rng, taken) if rng.random() < 0.4 else "",
                date_of_birth=day(1950, 1990),
                address=f"{rng.randint(10, 9999)} Oak Ave",
                city="Riverside",
                state=rng.choice(STATES),
                postal_code=f"{rng.randint(10000, 99999)}",
                exclusion_type=rng.choice(["1128a1", "1128a2", "1128b4", "1128b14"]),
                excluded_on=day(2005, 2025),
                reinstated_on=reinstated,
            )
        )
    by_npi, by_name = with_npi[3], without_npi[5]
    first, *_, last = by_npi["name"].split()
    leie.append(
        leie_row(
            last_name=last,
            first_name=first,
            general="PHYSICAL THERAPIST",
            npi=by_npi["npi"],
            city="Anytown",
            state=by_npi["state"],
            exclusion_type="1128b4",
            excluded_on=datetime.date(2024, 6, 20),
        )
    )
    first, *_, last = by_name["name"].split()
    leie.append(
        leie_row(
            last_name=last,
            first_name=first,
            general="IND- LIC HC SERV PRO",
            city="Anytown",
            state=by_name["state"],
            exclusion_type="1128a1",
            excluded_on=datetime.date(2023, 11, 19),
        )
    )
    with open(HERE / "leie_sample.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(LEIE_HEADER)
        writer.writerows(leie)
    print(f"npidata_pfile_sample.csv: {len(rows)} rows; leie_sample.csv: {len(leie)} rows")
    print(f"LEIE by NPI: {by_npi}; by name and state: {by_name}")


if __name__ == "__main__":
    main()
