# Joins the screening tables and the index on credentials' updated_at (two branches of 0007).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('credentials', '0008_updated_at_index'),
        ('credentials', '0010_unaccent'),
    ]

    operations = [
    ]
