"""A PractitionerRole sync finds the listings changed since through an index on `updated_at`.

Migration 0020 dropped it so that the nightly scan's marks (`updated_at` on
the listings whose qualification began or ended) were HOT updates. The scan
no longer writes them: the FHIR sync derives those changes from the dates
(fhirapi.changes). The writes that still set it change an indexed column
with it (the qualified days, the point), so none of them was HOT anyway.
Without the index, `_lastUpdated=gt2099-01-01` on PractitionerRole read
every listing (2.1-2.7 s at 1M practitioners, bench/fhir_export.py).
Built CONCURRENTLY, so a live directory keeps taking writes meanwhile.
"""

import django.db.models.functions.datetime
from django.db import migrations, models

INDEX = "directory_listing_updated_at_fa86abeb"


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("directory", "0021_one_trigram_index_per_name")]
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="listing",
                    name="updated_at",
                    field=models.DateTimeField(
                        auto_now=True, db_default=django.db.models.functions.datetime.Now(), db_index=True
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON directory_listing (updated_at)",
                    reverse_sql=f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}",
                ),
            ],
        ),
    ]
