"""Leave 15% of each page of the listings and the practitioners free (fillfactor 85).

The nightly expiry scan rewrites the verified training hours of practitioners whose
training lapsed, and the listings' copies of them; no index holds either column. With
room on the row's own page, PostgreSQL writes the new version there and touches no
index (a HOT update); on a full page the new version goes elsewhere and every index of
the table gets an entry for it, the listings' trigram and spatial indexes included. On
a year's catch-up at 5M credentials (135k practitioners, 160k listings) the two updates
took 5.5 and 9.3 s on full pages and 1.4 and 1.3 s with the room (bench/scan.py).

The setting applies to pages written from now on: rows loaded or rewritten later (the
demo seed, VACUUM FULL) leave the room; pages already full fill up as they are. The
tables grow by about a sixth (the listings 299 -> 329 MB at 1M practitioners).
"""

from django.db import migrations

TABLES = ("directory_listing", "directory_practitioner")


class Migration(migrations.Migration):
    dependencies = [("directory", "0025_foreign_key_indexes_covered")]
    operations = [
        migrations.RunSQL(
            sql=[f"ALTER TABLE {table} SET (fillfactor = 85)" for table in TABLES],
            reverse_sql=[f"ALTER TABLE {table} RESET (fillfactor)" for table in TABLES],
        ),
    ]
