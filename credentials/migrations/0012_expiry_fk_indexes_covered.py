"""Drop the single-column indexes of two foreign keys that other indexes already begin with.

Only the indexes go: AlterField alone would drop and re-add the foreign keys too,
checking every notice and digest line again under lock, for nothing.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("credentials", "0011_merge_screening_and_updated_at_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="digestitem",
                    name="notification",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="items",
                        to="credentials.expirynotification",
                    ),
                ),
                migrations.AlterField(
                    model_name="expirynotification",
                    name="credential",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="expiry_notifications",
                        to="credentials.credential",
                    ),
                ),
            ],
            database_operations=[
                # The names Django gave them in 0005_expiry_scan.
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "credentials_digestitem_notification_id_f8e2aa03"',
                    'CREATE INDEX "credentials_digestitem_notification_id_f8e2aa03" '
                    'ON "credentials_digestitem" ("notification_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "credentials_expirynotification_credential_id_e58d69eb"',
                    'CREATE INDEX "credentials_expirynotification_credential_id_e58d69eb" '
                    'ON "credentials_expirynotification" ("credential_id")',
                ),
            ],
        ),
    ]
