"""Leave 15% of each page of the listings and the practitioners free (fillfactor 85, was 90:
migrations 0020 and 0023).

The nightly expiry scan rewrites the verified training hours of practitioners whose
training lapsed, and the listings' copies of them; no index holds either column. With
room on the row's own page, PostgreSQL writes the new version there and touches no
index (a HOT update); on a full page the new version goes elsewhere and every index of
the table gets an entry for it, the listings' trigram and spatial indexes included. A
year's catch-up at 5M credentials rewrites 135k practitioners and 160k listings, several
on some pages: with a tenth of each page free the two updates took 3.3-3.4 and 4.5-4.6 s,
with 15% 1.4-1.6 and 1.2-1.6 s (bench/scan.py, both tables rewritten by VACUUM FULL at
each setting).

The setting applies to pages written from now on: rows loaded or rewritten later (the
demo seed, VACUUM FULL) leave the room; pages already full fill up as they are.
"""

from django.db import migrations

TABLES = ("directory_listing", "directory_practitioner")


class Migration(migrations.Migration):
    dependencies = [("directory", "0025_foreign_key_indexes_covered")]
    operations = [
        migrations.RunSQL(
            sql=[f"ALTER TABLE {table} SET (fillfactor = 85)" for table in TABLES],
            reverse_sql=[f"ALTER TABLE {table} SET (fillfactor = 90)" for table in TABLES],
        ),
    ]
