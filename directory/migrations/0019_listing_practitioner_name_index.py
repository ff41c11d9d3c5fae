"""An index on the listing's copy of its practitioner's name, for the searches without a
place.

They come in name order (then id), walked through this index. A name search lists
the candidates of the trigram indexes one range of names at a time, from the start
of the alphabet, until a range holds the page; the bitmap of a range comes from this
index. On the name alone, not (name, id): the larger index made the planner stop
ANDing its bitmap with the trigram indexes' sooner ("nguyn" 25 -> 44 ms), and names
tie rarely enough for the walk to sort each tie by id. Built CONCURRENTLY, so a live
directory keeps taking writes meanwhile.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("directory", "0018_listing_name_copies")]
    operations = [
        AddIndexConcurrently(
            model_name="listing",
            index=models.Index(fields=["practitioner_name"], name="listing_practitioner_name"),
        ),
    ]
