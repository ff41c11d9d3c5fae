"""The unaccent extension, with which exclusion screening compares names ignoring accents
(a trusted extension: the database's owner may create it)."""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("credentials", "0009_board_lookups_and_append_only_exclusion_decisions"),
    ]

    operations = [UnaccentExtension()]
