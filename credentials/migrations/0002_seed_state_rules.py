"""Seed the state rules from research notes (January 2026, secondary sources).

Each row cites the board or rule it comes from. The figures were collected
from secondary sources and must be verified against the boards before
anyone relies on them; admins keep them current in the admin or the API.
Only physical therapists' rules were researched, so each permitted state
lists PT alone: other professions are added once their boards are checked.
"""

import datetime

from django.db import migrations

CHECKED_ON = datetime.date(2026, 1, 15)
SECONDARY = "Secondary source (research notes, January 2026): verify with the board."

RULES = [
    {
        "state": "AZ",
        "dry_needling_permitted": True,
        "permitted_professions": ["PT"],
        "min_training_hours": 24,
        "source": "Arizona Board of Physical Therapy, A.A.C. R4-24-313 (under A.R.S. 32-2044)",
        "source_url": "https://ptboard.az.gov/board-action-dry-needling-sb-1154-rules",
        "notes": f"{SECONDARY} Proof of compliance is due to the board within 30 days of the course. "
        "Athletic trainers have their own 24-hour rule (A.A.C. R4-49-406), not yet entered here.",
    },
    {
        "state": "CO",
        "dry_needling_permitted": True,
        "permitted_professions": ["PT"],
        "min_training_hours": 50,
        "source": "Colorado State Physical Therapy Board, rules on dry needling (Physical Therapy Practice Act)",
        "source_url": "https://dpo.colorado.gov/PhysicalTherapy",
        "notes": f"{SECONDARY} 40 of the 50 hours in person; 30 hours before clinical use.",
    },
    {
        "state": "DE",
        "dry_needling_permitted": True,
        "permitted_professions": ["PT"],
        "min_training_hours": 54,
        "min_years_licensed": 2,
        "source": "Delaware Examining Board of Physical Therapists and Athletic Trainers, dry needling regulations",
        "source_url": "https://dpr.delaware.gov/boards/physicaltherapy/",
        "notes": f"{SECONDARY} 54 in-person hours; 25 before clinical use.",
    },
    {
        "state": "FL",
        "dry_needling_permitted": True,
        "permitted_professions": ["PT"],
        "min_training_hours": 50,
        "min_years_licensed": 2,
        "source": "Fla. Stat. 486.117; Florida Board of Physical Therapy, Fla. Admin. Code R. 64B17-6.008",
        "source_url": "https://www.law.cornell.edu/regulations/florida/Fla-Admin-Code-Ann-R-64B17-6-008",
        "notes": f"{SECONDARY} Also 25 supervised patient sessions and an attestation to the board, "
        "which this directory does not track.",
    },
    {
        "state": "GA",
        "dry_needling_permitted": True,
        "permitted_professions": ["PT"],
        "min_training_hours": 50,
        "source": "Georgia State Board of Physical Therapy, Rule 490-9-.05",
        "source_url": "https://sos.ga.gov/georgia-state-board-physical-therapy",
        "notes": f"{SECONDARY} 50 in-person hours.",
    },
    {
        "state": "IL",
        "dry_needling_permitted": True,
        "permitted_professions": ["PT"],
        "min_training_hours": 50,
        "source": "Illinois Physical Therapy Act, 225 ILCS 90/1.5 (Dry needling); IDFPR rules",
        "source_url": "https://www.ilga.gov/legislation/ilcs/documents/022500900K1.5.htm",
        "notes": f"{SECONDARY} The Act also sets didactic and practicum hours on top of the 50; "
        "it carried a sunset date of 2026-01-01, so check that it was extended.",
    },
    {
        "state": "MD",
        "dry_needling_permitted": True,
        "permitted_professions": ["PT"],
        "min_training_hours": 80,
        "source": "Maryland Board of Physical Therapy Examiners, COMAR 10.38.12 (Dry Needling)",
        "source_url": "https://health.maryland.gov/bphte",
        "notes": f"{SECONDARY} 40 theory and 40 practical hours. Amendments proposed in late 2025 "
        "would change the hours and any waiting period: check their status.",
    },
    *[
        {
            "state": state,
            "dry_needling_permitted": False,
            "permitted_professions": [],
            "source": source,
            "source_url": url,
            "notes": f"{SECONDARY} Not permitted for physical therapists. Other professions "
            "(acupuncturists, physicians) were not researched, so no one is listed as qualified "
            "here until an admin adds the professions the state permits.",
        }
        for state, source, url in [
            ("CA", "Physical Therapy Board of California", "https://www.ptbc.ca.gov/"),
            ("HI", "Hawaii Board of Physical Therapy", "https://cca.hawaii.gov/pvl/boards/physical/"),
            (
                "NY",
                "New York State Board for Physical Therapy",
                "https://www.op.nysed.gov/professions/physical-therapy",
            ),
            ("OR", "Oregon Physical Therapist Licensing Board", "https://www.oregon.gov/ptbc/"),
        ]
    ],
]


def seed(apps, schema_editor):
    StateRule = apps.get_model("credentials", "StateRule")
    for row in RULES:
        StateRule.objects.update_or_create(state=row["state"], defaults={**row, "checked_on": CHECKED_ON})


def unseed(apps, schema_editor):
    StateRule = apps.get_model("credentials", "StateRule")
    StateRule.objects.filter(state__in=[row["state"] for row in RULES], checked_on=CHECKED_ON).delete()


class Migration(migrations.Migration):
    dependencies = [("credentials", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
