"""The beat's entry for the nightly sweep of stored files no row names (certificates.stray_files),
at 03:30 Beijing time, when nobody issues. Editable (or switched off) in the admin."""

from django.db import migrations

from kit import beat

TASK = "certificates.tasks.sweep_stray_files"


def forwards(apps, schema_editor):
    beat.add_daily(apps, name="每日清理无记录的存储文件", task=TASK, hour=3, minute=30)


def backwards(apps, schema_editor):
    beat.remove(apps, task=TASK)


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0013_certificate_station_required"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
