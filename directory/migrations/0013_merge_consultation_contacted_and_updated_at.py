# Joins the consultation requests' "contacted" fields and the listings' updated_at (two branches of 0010).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0011_consultation_request_contacted'),
        ('directory', '0012_updated_at_index'),
    ]

    operations = [
    ]
