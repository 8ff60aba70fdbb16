"""Privacy of ID numbers (issue 14): no full resident ID number in the candidates' history
tables. Rows written before are rewritten: every full number masked (kit.privacy), and the new
id_number_digest filled from the number first.
Irreversible by design (the point is that the full numbers are gone); going back leaves the
rows masked. Only history tables are written: the append-only tables (the archive,
certificates 0002; the access record, supervision 0005) are not touched, so their
PostgreSQL rules stay in place."""

from django.db import migrations, models

from kit.privacy import rewrite_history


def mask_history(apps, schema_editor):
    rewrite_history(apps, "candidates", digest_sources={"HistoricalCandidate": "id_number"})


class Migration(migrations.Migration):
    dependencies = [
        ("candidates", "0005_candidate_photo"),
    ]

    operations = [
        migrations.AddField(
            model_name="candidate",
            name="deidentified_on",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="去标识化日期"),
        ),
        migrations.AddField(
            model_name="historicalcandidate",
            name="deidentified_on",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="去标识化日期"),
        ),
        migrations.AddField(
            model_name="historicalcandidate",
            name="id_number_digest",
            field=models.CharField(
                blank=True, db_index=True, editable=False, max_length=64, null=True, verbose_name="公民身份号码密钥散列"
            ),
        ),
        migrations.RunPython(mask_history, migrations.RunPython.noop),
    ]
