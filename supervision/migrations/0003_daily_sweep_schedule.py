"""The daily sweep moved from ``certificates.tasks`` to ``supervision.tasks``: the beat's
entry (made by certificates 0004, perhaps edited since in the admin) keeps its schedule and
its switch and is pointed at the new name. ``supervision.tasks`` also answers to the old
name, for a beat that sends it before it is restarted."""

from django.db import migrations

OLD = "certificates.tasks.daily_sweep"
NEW = "supervision.tasks.daily_sweep"


def forwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=OLD).update(task=NEW)


def backwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=NEW).update(task=OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0002_content_types_follow_the_models"),
        ("certificates", "0004_daily_sweep_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
