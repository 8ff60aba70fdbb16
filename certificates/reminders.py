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


def consent_scan_reminders(today: datetime.date) -> list[Reminder]:
    """A consent form whose case has ended cannot be archived without its scan: each of
    the station's clerks is reminded once per form (the send log's subject is the form;
    its deadline field holds the signing day, fixed, so a later run sends nothing new)."""
    from .selectors import consents_blocked_without_scan

    forms = list(
        consents_blocked_without_scan()
        .select_related("registration__candidate", "registration__station")
        .order_by("registration__station_id", "pk")
    )
    clerks: dict[int, list[int]] = defaultdict(list)
    for user_id, station_id in User.objects.filter(
        is_active=True, station__isnull=False, groups__name=roles.STATION_CLERK
    ).values_list("pk", "station_id"):
        clerks[station_id].append(user_id)
    found = []
    for consent in forms:
        registration = consent.registration
        title = (
            f"{registration.station.code} {registration.station.name}：{registration.candidate.name}"
            f"（报名 #{registration.pk}）的案件已办结，自愿书（{consent.signed_date:%Y-%m-%d} 签署）"
            "没有扫描件，指导中心无法归档，请上传扫描件"
        )
        link = reverse("admin:appraisals_consentform_attach_scan", args=[consent.pk])
        for user_id in clerks.get(registration.station_id, []):
            found.append(
                Reminder(
                    user_id, "consent_archive_scan", f"consent:{consent.pk}", consent.signed_date, 0, title, title, link
                )
            )
    return found
