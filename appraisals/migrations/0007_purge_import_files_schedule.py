"""Preview files left at the import's preview step are removed after an hour: run the
purge every 15 minutes (editable in the admin). Databases that ran certificates 0005
already have the entry: get_or_create leaves it, and any edit made to it, as it is."""

from django.db import migrations

TASK = "appraisals.tasks.purge_import_files_task"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=15, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="清理导入预览文件", defaults={"task": TASK, "interval": every, "enabled": True}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("appraisals", "0006_business_clock_stamps"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
