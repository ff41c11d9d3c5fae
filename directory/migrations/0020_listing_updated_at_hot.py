"""Listings marked updated by the nightly scan are rewritten in place (HOT).

The scan marks the listings whose qualification began or ended
(`updated_at`, for the FHIR sync): 166k rows after a year. Each UPDATE
inserted into every index of the table (two trigram GIN, two GiST, the
btrees) because one of them, on `updated_at`, changed. Nothing reads that
index: the FHIR PractitionerRole's `_lastUpdated` compares the greatest of
the listing's, the location's and the practitioner's `updated_at`, which no
single-column index serves. Without it, and with a tenth of each page kept
free (fillfactor 90; applies to pages written from now on: a seed, or
VACUUM FULL), such an UPDATE stays on its page and skips every index.
Dropped CONCURRENTLY, so a live directory keeps taking writes meanwhile.
"""

import django.db.models.functions.datetime
from django.db import migrations, models

INDEX = "directory_listing_updated_at_fa86abeb"


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("directory", "0019_listing_practitioner_name_index")]
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="listing",
                    name="updated_at",
                    field=models.DateTimeField(auto_now=True, db_default=django.db.models.functions.datetime.Now()),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}",
                    reverse_sql=f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON directory_listing (updated_at)",
                ),
            ],
        ),
        migrations.RunSQL(
            "ALTER TABLE directory_listing SET (fillfactor = 90)",
            reverse_sql="ALTER TABLE directory_listing RESET (fillfactor)",
        ),
    ]
