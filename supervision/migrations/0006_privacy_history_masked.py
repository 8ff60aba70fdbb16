"""Privacy of ID numbers (issue 14): no full resident ID number in the supervision's history
tables. Rows written before are rewritten: every full number masked (kit.privacy) (complaints'
text, evidence).
Irreversible by design (the point is that the full numbers are gone); going back leaves the
rows masked. Only history tables are written: the append-only tables (the archive,
certificates 0002; the access record, supervision 0005) are not touched, so their
PostgreSQL rules stay in place."""

from django.db import migrations

from kit.privacy import rewrite_history


def mask_history(apps, schema_editor):
    rewrite_history(apps, "supervision")


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0005_personal_data_access_append_only"),
    ]

    operations = [migrations.RunPython(mask_history, migrations.RunPython.noop)]
