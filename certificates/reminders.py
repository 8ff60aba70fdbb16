"""Reminders about certificates, for the daily sweep (``supervision.services.daily_sweep_run``)."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Count, Max
from django.urls import reverse

from catalog import roles
from catalog.models import User
from catalog.services import Reminder

from .selectors import awaiting_certificate


def certificate_reminders(today: datetime.date) -> list[Reminder]:
    """Passed candidates whose publicity (公示) has ended but who have no certificate yet:
    one reminder to each officer of the issuing centre per publicity end date, so a new
    group of results reminds again and the same group never twice."""
    rows = (
        awaiting_certificate()
        .filter(results__publicity_last_day__lt=today)
        .values("station__centre_id")
        .annotate(n=Count("pk", distinct=True), last_day=Max("results__publicity_last_day"))
        .order_by()
    )
    officers: dict[int, list[int]] = defaultdict(list)
    for user_id, centre_id in User.objects.filter(
        is_active=True, centre__isnull=False, groups__name=roles.CENTRE_OFFICER
    ).values_list("pk", "centre_id"):
        officers[centre_id].append(user_id)
    found = []
    for row in rows:
        title = (
            f"{row['n']} 名考生成绩合格且公示期已满（最近一批 {row['last_day']:%Y-%m-%d} 期满），"
            "尚未核发证书，请及时核发"
        )
        for user_id in officers.get(row["station__centre_id"], []):
            found.append(
                Reminder(
                    user_id,
                    "certificate_pending",
                    f"centre:{row['station__centre_id']}",
                    row["last_day"],
                    0,
                    title,
                    title,
                    reverse("admin:certificates_passedregistration_changelist"),
                )
            )
    return found
