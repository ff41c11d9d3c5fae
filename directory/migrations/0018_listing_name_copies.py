# The listing carries copies of its practitioner's and its clinic's names for the
# name search (`q`), with two GIN trigram indexes over both (see
# directory.models.names_key). The copies of the listings already there are
# filled by one set-based UPDATE (the names' part of
# directory.services.listings_refresh_filters, written out so that later
# changes to the service do not change this migration); the indexes are built
# CONCURRENTLY after, so a live directory keeps taking writes meanwhile.

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

BACKFILL = """
UPDATE directory_listing l SET practitioner_name = p.name, clinic_name = c.name
FROM directory_practitioner p, directory_location loc, directory_clinic c
WHERE p.id = l.practitioner_id AND loc.id = l.location_id AND c.id = loc.clinic_id
"""


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("directory", "0017_listing_qualified_from_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="listing",
            name="clinic_name",
            field=models.CharField(blank=True, db_default="", default="", max_length=200),
        ),
        migrations.AddField(
            model_name="listing",
            name="practitioner_name",
            field=models.CharField(blank=True, db_default="", default="", max_length=200),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop, elidable=True),
        AddIndexConcurrently(
            model_name="listing",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Concat(
                        models.F("practitioner_name"),
                        models.Value(" / "),
                        models.F("clinic_name"),
                        output_field=models.TextField(),
                    ),
                    name="gin_trgm_ops",
                ),
                name="listing_names_trgm",
            ),
        ),
        AddIndexConcurrently(
            model_name="listing",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        django.db.models.functions.text.Concat(
                            models.F("practitioner_name"),
                            models.Value(" / "),
                            models.F("clinic_name"),
                            output_field=models.TextField(),
                        )
                    ),
                    name="gin_trgm_ops",
                ),
                name="listing_upper_names_trgm",
            ),
        ),
    ]
