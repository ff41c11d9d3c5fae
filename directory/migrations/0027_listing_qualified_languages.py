# The search's KNN index over the listings qualified on some day, with their languages
# (see Listing.Meta), built without locking out writes to the listing table while it
# builds.
#
# intarray gives integer arrays a GiST operator class; it is installed in a schema of
# its own, outside the search path, so its operators serve only the lookup that names
# them (core.lookups.IntArrayOverlap) and leave every other `integer[] && integer[]`
# to PostgreSQL's own. intarray is a trusted extension: the database's owner may
# install it.
#
# Written as SQL, as 0015 is: Django's PostGIS schema editor drops a geometry index's
# condition; the model state gets the declared index.

import django.contrib.postgres.indexes
from django.db import migrations, models

INDEX = models.Q(("qualified_until__isnull", False))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("directory", "0026_listing_practitioner_fillfactor"),
    ]

    operations = [
        migrations.RunSQL(
            [
                "CREATE SCHEMA IF NOT EXISTS intarray",
                "CREATE EXTENSION IF NOT EXISTS intarray SCHEMA intarray",
            ],
            [
                "DROP EXTENSION IF EXISTS intarray",
                "DROP SCHEMA IF EXISTS intarray",
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "listing_qualified_languages" ON "directory_listing" '
                    'USING gist ("point", "language_ids" intarray.gist__int_ops) WHERE "qualified_until" IS NOT NULL',
                    'DROP INDEX CONCURRENTLY IF EXISTS "listing_qualified_languages"',
                )
            ],
            state_operations=[
                migrations.AddIndex(
                    model_name="listing",
                    index=django.contrib.postgres.indexes.GistIndex(
                        models.F("point"),
                        django.contrib.postgres.indexes.OpClass(
                            models.F("language_ids"), name="intarray.gist__int_ops"
                        ),
                        condition=INDEX,
                        name="listing_qualified_languages",
                    ),
                ),
            ],
        ),
    ]
