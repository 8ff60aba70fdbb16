"""Once scheduled the purge of import previews here, an appraisals task. The schedule now
lives with the task (appraisals 0007 creates it where it is missing); kept, empty, so the
migration graph of databases that ran it stays whole."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0004_daily_sweep_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
