"""Seed the state boards' public license lookups, and make exclusion decisions append-only
in the database (as verifications are, migration 0003).

The lookup addresses are the boards' own public search pages as known in
December 2026; `checked_on` is left empty until an admin opens each one and
sees it work (the workspace says "not checked yet" beside such a link).
Admins keep the table in the Django admin.
"""

from django.db import migrations

SOURCE = "The board's public website (address to be confirmed by an admin)"

LOOKUPS = [
    ("AZ", "Arizona Board of Physical Therapy", "https://ptboard.az.gov/"),
    ("CA", "California Department of Consumer Affairs", "https://search.dca.ca.gov/"),
    (
        "CO",
        "Colorado Department of Regulatory Agencies",
        "https://apps.colorado.gov/dora/licensing/Lookup/LicenseLookup.aspx",
    ),
    ("DE", "Delaware Division of Professional Regulation", "https://delpros.delaware.gov/OH_VerifyLicense"),
    (
        "FL",
        "Florida Department of Health, Division of Medical Quality Assurance",
        "https://mqa-internet.doh.state.fl.us/MQASearchServices/HealthCareProviders",
    ),
    ("GA", "Georgia Secretary of State, Professional Licensing Boards", "https://verify.sos.ga.gov/verification/"),
    (
        "IL",
        "Illinois Department of Financial and Professional Regulation",
        "https://online-dfpr.micropact.com/lookup/licenselookup.aspx",
    ),
    ("MD", "Maryland Board of Physical Therapy Examiners", "https://health.maryland.gov/bphte/"),
    ("NY", "New York State Education Department, Office of the Professions", "https://www.op.nysed.gov/verification-search"),
    ("TX", "Texas Board of Physical Therapy Examiners", "https://www.ptot.texas.gov/page/look-up-a-license"),
    (
        "WA",
        "Washington State Department of Health",
        "https://fortress.wa.gov/doh/providercredentialsearch/",
    ),
]

CREATE = """
CREATE OR REPLACE FUNCTION credentials_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER credentials_exclusiondecision_append_only
    BEFORE UPDATE OR DELETE ON credentials_exclusiondecision
    FOR EACH ROW EXECUTE FUNCTION credentials_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS credentials_exclusiondecision_append_only ON credentials_exclusiondecision;
DROP FUNCTION IF EXISTS credentials_append_only();
"""


def seed(apps, schema_editor):
    BoardLookup = apps.get_model("credentials", "BoardLookup")
    for state, board, url in LOOKUPS:
        BoardLookup.objects.update_or_create(state=state, defaults={"board": board, "url": url, "source": SOURCE})


def unseed(apps, schema_editor):
    apps.get_model("credentials", "BoardLookup").objects.filter(
        state__in=[state for state, _, _ in LOOKUPS], source=SOURCE
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("credentials", "0008_screening")]

    operations = [
        migrations.RunPython(seed, unseed),
        migrations.RunSQL(CREATE, DROP),
    ]
