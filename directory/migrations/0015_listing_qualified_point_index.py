# The search's KNN index over the listings qualified on some day (see Listing.Meta),
# built without locking out writes to the listing table while it builds.
#
# Written as SQL: Django's PostGIS schema editor builds the index of a geometry
# field itself and drops the index's condition (AddIndex and AddIndexConcurrently
# both made a full index here), so the database operation is spelled out and the
# model state gets the declared index.

import django.contrib.postgres.indexes
from django.db import migrations, models

INDEX = models.Q(("qualified_until__isnull", False))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("directory", "0014_listing_search_filters"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "listing_qualified_point" ON "directory_listing" '
                    'USING gist ("point") WHERE "qualified_until" IS NOT NULL',
                    'DROP INDEX CONCURRENTLY IF EXISTS "listing_qualified_point"',
                )
            ],
            state_operations=[
                migrations.AddIndex(
                    model_name="listing",
                    index=django.contrib.postgres.indexes.GistIndex(
                        condition=INDEX, fields=["point"], name="listing_qualified_point"
                    ),
                ),
            ],
        ),
    ]
