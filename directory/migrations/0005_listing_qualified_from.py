"""Qualification as a run of days (qualified_from to qualified_until).

Rows qualified before this change were qualified as of their last
computation, which was no later than today: they start today (or on their
last day, if that has passed). The credentials app recomputes both.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0004_clinic_membership'),
    ]

    operations = [
        migrations.AddField(
            model_name='listing',
            name='qualified_from',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.RunSQL(
            "UPDATE directory_listing SET qualified_from = CASE WHEN qualified_until < CURRENT_DATE "
            "THEN qualified_until ELSE CURRENT_DATE END WHERE qualified_until IS NOT NULL",
            migrations.RunSQL.noop,
        ),
        migrations.AddConstraint(
            model_name='listing',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('qualified_from__isnull', True), ('qualified_until__isnull', True)), ('qualified_from__lte', models.F('qualified_until')), _connector='OR'), name='listing_qualified_days_in_order'),
        ),
    ]
