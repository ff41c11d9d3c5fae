"""GIN trigram indexes on UPPER(name), for the substring half of the name search.

Django writes `icontains` as `UPPER(name::text) LIKE UPPER(...)`, which the
trigram indexes on `name` (0003) do not serve: with only those, finding the
practitioners whose name contains a text read the whole table. An index on
the same expression serves it with the same meaning (bench/names.py).
Built CONCURRENTLY, so a live directory keeps taking writes meanwhile.
"""

from django.db import migrations

INDEXES = [
    ("directory_practitioner_upper_name_trgm", "directory_practitioner"),
    ("directory_clinic_upper_name_trgm", "directory_clinic"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index, table in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index} ON {table} USING gin (UPPER(name::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index}")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("directory", "0015_listing_qualified_point_index")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
