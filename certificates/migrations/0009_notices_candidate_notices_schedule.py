"""The beat's entry for the daily candidate notices (短信告知考生), at 09:00 Beijing time:
not at dawn with the staff reminders, since these are texts to people's phones. Editable
(or switched off) in the admin."""

from django.db import migrations

TASK = "certificates.tasks.candidate_notices"


def forwards(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(task=TASK).exists():
        return
    crontab, _ = apps.get_model("django_celery_beat", "CrontabSchedule").objects.get_or_create(
        minute="0", hour="9", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.get_or_create(
        name="每日考生告知短信", defaults={"task": TASK, "crontab": crontab, "enabled": True}
    )


def backwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0008_privacy_history_id_digest"),
        ("candidates", "0007_notices_candidate_notice"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
