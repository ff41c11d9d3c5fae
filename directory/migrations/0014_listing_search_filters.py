# The listing carries copies of what the search filters on (see Listing), filled
# here for the listings already there by one set-based UPDATE: the same statement
# as directory.services.listings_refresh_filters() for every listing, written out
# so that later changes to the service do not change this migration.

import django.contrib.postgres.fields
from django.db import migrations, models

BACKFILL = """
WITH source AS (
    SELECT p.id, p.profession, p.verified_training_hours,
        ARRAY(SELECT specialty_id FROM directory_practitioner_specialties
              WHERE practitioner_id = p.id ORDER BY specialty_id)::integer[] AS specialty_ids,
        ARRAY(SELECT technique_id FROM directory_practitioner_techniques
              WHERE practitioner_id = p.id ORDER BY technique_id)::integer[] AS technique_ids,
        ARRAY(SELECT language_id FROM directory_practitioner_languages
              WHERE practitioner_id = p.id ORDER BY language_id)::integer[] AS language_ids
    FROM directory_practitioner p
    WHERE p.id IN (SELECT practitioner_id FROM directory_listing)
)
UPDATE directory_listing l SET
    specialty_ids = s.specialty_ids,
    technique_ids = s.technique_ids,
    language_ids = s.language_ids,
    profession = s.profession,
    verified_training_hours = s.verified_training_hours,
    accepting_new_patients = loc.accepting_new_patients
FROM source s, directory_location loc
WHERE l.practitioner_id = s.id AND loc.id = l.location_id
"""


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0013_merge_consultation_contacted_and_updated_at'),
    ]

    operations = [
        migrations.AddField(
            model_name='listing',
            name='accepting_new_patients',
            field=models.BooleanField(db_default=True, default=True),
        ),
        migrations.AddField(
            model_name='listing',
            name='language_ids',
            field=django.contrib.postgres.fields.ArrayField(base_field=models.IntegerField(), db_default=models.Value([], django.contrib.postgres.fields.ArrayField(base_field=models.IntegerField(), size=None)), default=list, size=None),
        ),
        migrations.AddField(
            model_name='listing',
            name='profession',
            field=models.CharField(blank=True, choices=[('PT', 'Physical therapist'), ('DC', 'Doctor of chiropractic'), ('MD', 'Doctor of medicine'), ('DO', 'Doctor of osteopathic medicine'), ('LAc', 'Licensed acupuncturist'), ('ATC', 'Certified athletic trainer'), ('NP', 'Nurse practitioner'), ('PA', 'Physician assistant')], db_default='', default='', max_length=3),
        ),
        migrations.AddField(
            model_name='listing',
            name='specialty_ids',
            field=django.contrib.postgres.fields.ArrayField(base_field=models.IntegerField(), db_default=models.Value([], django.contrib.postgres.fields.ArrayField(base_field=models.IntegerField(), size=None)), default=list, size=None),
        ),
        migrations.AddField(
            model_name='listing',
            name='technique_ids',
            field=django.contrib.postgres.fields.ArrayField(base_field=models.IntegerField(), db_default=models.Value([], django.contrib.postgres.fields.ArrayField(base_field=models.IntegerField(), size=None)), default=list, size=None),
        ),
        migrations.AddField(
            model_name='listing',
            name='verified_training_hours',
            field=models.PositiveIntegerField(db_default=0, default=0),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop, elidable=True),
    ]
