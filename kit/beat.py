"""Beat entries written by data migrations (django-celery-beat's tables, through the
migration's historical ``apps``): added once, left as an administrator edits them."""

from __future__ import annotations

from typing import Any


def add_daily(apps: Any, *, name: str, task: str, hour: int, minute: int) -> None:
    """A daily entry at ``hour:minute`` Beijing time, unless one for ``task`` exists already."""
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(task=task).exists():
        return
    crontab, _ = apps.get_model("django_celery_beat", "CrontabSchedule").objects.get_or_create(
        minute=str(minute),
        hour=str(hour),
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab, "enabled": True})


def remove(apps: Any, *, task: str) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=task).delete()
