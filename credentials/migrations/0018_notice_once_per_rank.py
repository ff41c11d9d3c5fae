"""An expiry notice is unique per (credential, rank) instead of (credential, threshold), a
rank being its threshold's (a check constraint says so), so one index is both the claim
the scan's INSERT ... ON CONFLICT relies on and the (credential, rank) index its "noticed
at this rank or a tighter one" reads; the separate (credential, rank) index goes.

The check is added first: it validates the notices already written, whose ranks the
scan derived from their thresholds.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('credentials', '0017_training_hours_indexes'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='expirynotification',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('rank', 1), ('threshold', '90d')), models.Q(('rank', 2), ('threshold', '60d')), models.Q(('rank', 3), ('threshold', '30d')), models.Q(('rank', 4), ('threshold', '7d')), models.Q(('rank', 5), ('threshold', 'today')), models.Q(('rank', 6), ('threshold', 'expired')), _connector='OR'), name='expiry_notification_rank_of_threshold'),
        ),
        migrations.RemoveConstraint(
            model_name='expirynotification',
            name='expiry_notification_once',
        ),
        migrations.RemoveIndex(
            model_name='expirynotification',
            name='expiry_notification_rank',
        ),
        migrations.AddConstraint(
            model_name='expirynotification',
            constraint=models.UniqueConstraint(fields=('credential', 'rank'), name='expiry_notification_once'),
        ),
    ]
