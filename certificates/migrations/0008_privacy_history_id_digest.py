"""Privacy of ID numbers (issue 14): no full resident ID number in the certificates' history
tables. Rows written before are rewritten: every full number masked (kit.privacy) (the archive
records' contents included), and the certificates' id_number_digest filled from the number first.
Irreversible by design (the point is that the full numbers are gone); going back leaves the
rows masked. Only history tables are written: the append-only tables (the archive,
certificates 0002; the access record, supervision 0005) are not touched, so their
PostgreSQL rules stay in place."""

from django.db import migrations, models

from kit.privacy import rewrite_history


def mask_history(apps, schema_editor):
    rewrite_history(apps, "certificates", digest_sources={"HistoricalCertificate": "holder_id_number"})


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0007_supervision_models_move_to_supervision"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalcertificate",
            name="id_number_digest",
            field=models.CharField(
                blank=True, db_index=True, editable=False, max_length=64, null=True, verbose_name="公民身份号码密钥散列"
            ),
        ),
        migrations.RunPython(mask_history, migrations.RunPython.noop),
    ]
