"""Once scheduled the daily sweep here. The sweep and its schedule now live in the
supervision app (supervision 0003 creates the beat's entry, or repoints the one this
migration made on databases that ran it); kept, empty, so the migration graph of those
databases stays whole."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0003_supervision_queue_records_complaints"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
