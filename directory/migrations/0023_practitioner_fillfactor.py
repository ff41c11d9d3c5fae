"""Practitioners keep a tenth of each page free, so a change of their training hours is
rewritten in place (HOT).

The nightly scan refreshes the verified training hours of the practitioners whose training
record lapsed (145k after a year at 5M credentials) and, since it no longer sets their
`updated_at` (the FHIR sync derives date-driven changes from the dates), that UPDATE
changes no indexed column: with room on the page it skips every index of the table (the
name's trigram GIN, the btrees). Applies to pages written from now on (a seed, or VACUUM FULL).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("directory", "0022_listing_updated_at_index")]
    operations = [
        migrations.RunSQL(
            "ALTER TABLE directory_practitioner SET (fillfactor = 90)",
            reverse_sql="ALTER TABLE directory_practitioner RESET (fillfactor)",
        ),
    ]
