"""One trigram index per searched name: the indexes on the upper-cased names go.

`icontains` and its kin are written as `name ILIKE pattern` (core.lookups),
which the trigram index on the name itself serves, so the second index on
`UPPER(name)` of each (practitioners and clinics, migration 0016; the
listings' copies, 0018) served nothing. Dropped CONCURRENTLY, so a live
directory keeps taking writes meanwhile; going back builds them again.
"""

from django.contrib.postgres.operations import RemoveIndexConcurrently
from django.db import migrations

UPPER_NAME_INDEXES = [
    ("directory_practitioner_upper_name_trgm", "directory_practitioner"),
    ("directory_clinic_upper_name_trgm", "directory_clinic"),
]


def drop(apps, schema_editor):
    for index, _ in UPPER_NAME_INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index}")


def create(apps, schema_editor):
    for index, table in UPPER_NAME_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index} ON {table} USING gin (UPPER(name::text) gin_trgm_ops)"
        )


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("directory", "0020_listing_updated_at_hot")]
    operations = [
        RemoveIndexConcurrently(
            model_name="listing",
            name="listing_upper_names_trgm",
        ),
        migrations.RunPython(drop, create, elidable=False),
    ]
