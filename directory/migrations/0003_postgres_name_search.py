"""pg_trgm and GIN trigram indexes for typo-tolerant name search (PostgreSQL only).

SpatiaLite (the embedded demo) has no pg_trgm; its name search falls back to
a substring match, so these operations do nothing there.
"""
from django.db import migrations

INDEXES = [
    ("directory_practitioner_name_trgm", "directory_practitioner", "name"),
    ("directory_clinic_name_trgm", "directory_clinic", "name"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for index, table, column in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {index} ON {table} USING gin ({column} gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index, _, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_seed_vocabularies")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
