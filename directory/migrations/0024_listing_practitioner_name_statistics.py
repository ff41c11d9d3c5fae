"""Finer planner statistics on the listing's copy of its practitioner's name.

A name search without a place lists the candidates below the 10,000th, 20,000th ...
listing in name order (selectors.RangedNameSearch), ANDing the name index's bitmap of
that range with the trigram index's. With the default 100 histogram buckets, the first
range end lay inside the first bucket, and after one seed of the 1M directory the
planner estimated 1 row below it where there were 9,892: it dropped the trigram bitmap
and rechecked every listing of the range ("Nguyen" 22 -> 57 ms). With 500 buckets each
holds about 2,200 listings at that size and the estimate was 9,583 (bench/names.py);
ANALYZE of the listings samples 150,000 rows instead of 30,000 (2.6 s at 1M).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("directory", "0023_practitioner_fillfactor")]
    operations = [
        migrations.RunSQL(
            "ALTER TABLE directory_listing ALTER COLUMN practitioner_name SET STATISTICS 500",
            reverse_sql="ALTER TABLE directory_listing ALTER COLUMN practitioner_name SET STATISTICS -1",
        ),
    ]
