"""Two partial covering indexes of verified training records, for the expiry scan's refresh
of verified training hours (credentials.expiry.scan._refresh_hours).

By expiry, with the practitioner: which practitioners' training lapsed between two scan
days, read from the index alone instead of a bitmap of every credential expiring then.
By practitioner, with the issue and expiry days and the hours: each such practitioner's
valid training, summed from the index alone instead of a hash of every verified training
record read from the table. On a year's catch-up at 5M credentials (145k practitioners)
the refresh took 3.1-3.4 s before and 1.4-1.6 s after, 2.1-2.5 s on a freshly seeded
database (bench/scan.py). Built
CONCURRENTLY, so a live credential service keeps taking writes meanwhile.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("credentials", "0016_foreign_key_indexes_covered")]
    operations = [
        AddIndexConcurrently(
            model_name="credential",
            index=models.Index(
                condition=models.Q(("kind", "training"), ("status", "verified")),
                fields=["expires_on"],
                include=("practitioner",),
                name="credential_training_expiry",
            ),
        ),
        AddIndexConcurrently(
            model_name="credential",
            index=models.Index(
                condition=models.Q(("kind", "training"), ("status", "verified")),
                fields=["practitioner"],
                include=("issued_on", "expires_on", "hours"),
                name="credential_training_hours",
            ),
        ),
    ]
