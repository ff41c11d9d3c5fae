"""An index on the listings' first qualified day, for the nightly scan.

The scan asks which listings began their qualification that day or since the
last scan (to count them and to mark them changed for the FHIR sync); each
question read every listing (the last qualified day has its own index).
Built CONCURRENTLY, so a live directory keeps taking writes meanwhile.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("directory", "0016_name_search_upper_trigram_indexes")]
    operations = [
        AddIndexConcurrently(
            model_name="listing",
            index=models.Index(fields=["qualified_from"], name="listing_qualified_from"),
        ),
    ]
