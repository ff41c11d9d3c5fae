"""On PostgreSQL, refuse UPDATE and DELETE of verifications in the database itself.

The model already refuses them; the trigger also stops raw SQL, other
clients and bulk paths that bypass the ORM. TRUNCATE (test database
flushes) is not a row operation and is not affected. SpatiaLite, used only
by the demo, relies on the model alone.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION credentials_verification_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'credentials_verification is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER credentials_verification_append_only
    BEFORE UPDATE OR DELETE ON credentials_verification
    FOR EACH ROW EXECUTE FUNCTION credentials_verification_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS credentials_verification_append_only ON credentials_verification;
DROP FUNCTION IF EXISTS credentials_verification_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("credentials", "0002_seed_state_rules")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
