"""The daily sweep's beat entry. It moved from ``certificates.tasks`` to
``supervision.tasks``: an entry made by certificates 0004 (perhaps edited since in the
admin) keeps its schedule and its switch and is pointed at the new name; a new database
gets the entry here. ``supervision.tasks`` also answers to the old
name, for a beat that sends it before it is restarted."""

from django.db import migrations

OLD = "certificates.tasks.daily_sweep"
NEW = "supervision.tasks.daily_sweep"


def forwards(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task=OLD).update(task=NEW)
    if PeriodicTask.objects.filter(task=NEW).exists():
        return
    # A new database: the daily sweep at 06:30 Beijing time, editable in the admin.
    crontab, _ = apps.get_model("django_celery_beat", "CrontabSchedule").objects.get_or_create(
        minute="30", hour="6", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.get_or_create(
        name="每日截止提醒与督导复核", defaults={"task": NEW, "crontab": crontab, "enabled": True}
    )


def backwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=NEW).update(task=OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0002_content_types_follow_the_models"),
        ("certificates", "0004_daily_sweep_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
