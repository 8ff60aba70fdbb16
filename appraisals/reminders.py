"""What is due before each deadline, per station, for the daily reminder sweep.

The sweep's cost grows with the number of stations and announcements, not candidates:
one grouped query per reminder kind (pending registrations counted per station and
announcement), deadlines resolved in memory by one shared RuleBook."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils.http import urlencode

from catalog import roles
from catalog.models import Station, User
from catalog.selectors import Deadlines, RuleBook
from catalog.services import Reminder
from kit import conf

from . import rules
from .models import ExamAnnouncement, Registration
from .selectors import trainees_to_route

Status = Registration.Status


@dataclass(frozen=True)
class ReminderKind:
    code: str
    deadline_field: str  # which Deadlines attribute the reminder counts down to
    what: str  # the sentence after the count, in Chinese


KINDS = {
    "registration_cutoff": ReminderKind(
        "registration_cutoff", "last_registration_day", "的报名即将截止，截止后不再受理报名"
    ),
    "consent_missing": ReminderKind("consent_missing", "application_deadline", "名考生尚未签署职业技能鉴定自愿书"),
    "application_pending": ReminderKind(
        "application_pending", "application_deadline", "名考生尚未向指导中心提出鉴定申请"
    ),
    "exam_pending": ReminderKind("exam_pending", "appraisal_deadline", "名考生尚未参加鉴定考试"),
    "retake_pending": ReminderKind("retake_pending", "retake_deadline", "名考生的补考尚未举行"),
    "trainee_routing": ReminderKind("trainee_routing", "appraisal_deadline", "名学生或学徒需转介职业技能等级认定"),
}

DEADLINE_NAMES = {
    "last_registration_day": "报名截止",
    "application_deadline": "鉴定申请截止",
    "appraisal_deadline": "鉴定完成截止",
    "retake_deadline": "补考完成截止",
}

# Statuses waiting for each kind's next step.
PENDING = {
    "consent_missing": [Status.REGISTERED, Status.ELIGIBLE],
    "application_pending": [Status.CONSENTED],
    "exam_pending": [Status.APPLIED],
    "retake_pending": [Status.RETAKE],
}


def applicable_lead(days_left: int, leads: Iterable[int]) -> int | None:
    """The lead time a reminder belongs to: the smallest one not below the days left, so a
    sweep that ran late still sends the reminder now due (and skips the ones it missed)."""
    if days_left < 0:
        return None
    fitting = [lead for lead in leads if lead >= days_left]
    return min(fitting) if fitting else None


@dataclass
class DueItem:
    kind: str
    station_id: int
    deadline: datetime.date
    lead: int
    count: int = 0
    occupations: set[str] = field(default_factory=set)
    municipal_report: bool = False


def _deadline(deadlines: Deadlines, kind: ReminderKind) -> datetime.date | None:
    # The retake counts down to the day scheduling and issuance enforce (one decision).
    if kind.deadline_field == "retake_deadline":
        return rules.completion_deadline(deadlines, rules.RETAKE)
    return getattr(deadlines, kind.deadline_field)


def pending_counts() -> QuerySet[Registration, dict[str, Any]]:
    """Registrations waiting for a step a reminder names, counted per status and
    announcement (rows of ``status``, ``announcement_id`` and ``n``). The station follows
    from the announcement, so the grouping needs no join and no station; and both columns
    are in the index ``registration_status_announce``, so PostgreSQL counts from the index
    alone (an index-only scan) instead of reading every pending row from the table."""
    statuses = [status for group in PENDING.values() for status in group]
    return (
        Registration.objects.filter(status__in=statuses)
        .values("status", "announcement_id")
        .annotate(n=Count("*"))  # count(*), not count(id): no heap column needed
        .order_by()
    )


def due_items(today: datetime.date) -> list[DueItem]:
    """Everything due within the longest lead time, grouped per kind, station and deadline."""
    leads = conf.reminder_lead_days()
    book = RuleBook()
    stations = {s.pk: s for s in Station.objects.select_related("region__parent")}
    announcements = {
        a["pk"]: a for a in ExamAnnouncement.objects.values("pk", "station_id", "occupation_id", "occupation__name")
    }
    items: dict[tuple, DueItem] = {}
    resolved: dict[tuple[int, int], Deadlines] = {}

    def add(kind_code: str, station_id: int, occupation_id: int, occupation_name: str, count: int) -> None:
        station = stations[station_id]
        key = (occupation_id, station.region_id)
        if key not in resolved:
            resolved[key] = book.deadlines_for(occupation_id, station.region)
        deadlines = resolved[key]
        deadline = _deadline(deadlines, KINDS[kind_code])
        if deadline is None:
            return
        lead = applicable_lead((deadline - today).days, leads)
        if lead is None:
            return
        item = items.setdefault(
            (kind_code, station_id, deadline),
            DueItem(kind=kind_code, station_id=station_id, deadline=deadline, lead=lead),
        )
        item.count += count
        item.occupations.add(occupation_name)
        item.municipal_report = item.municipal_report or deadlines.requires_municipal_report

    for announcement in announcements.values():
        add(
            "registration_cutoff",
            announcement["station_id"],
            announcement["occupation_id"],
            announcement["occupation__name"],
            1,
        )

    pending_statuses = {status: kind for kind, statuses in PENDING.items() for status in statuses}
    for row in pending_counts():
        announcement = announcements[row["announcement_id"]]
        add(
            pending_statuses[row["status"]],
            announcement["station_id"],
            announcement["occupation_id"],
            announcement["occupation__name"],
            row["n"],
        )

    for routing in trainees_to_route(today=today):
        if routing.station_id is not None:
            add("trainee_routing", routing.station_id, routing.occupation.pk, routing.occupation.name, 1)
    return list(items.values())


def work_link(kind: str) -> str:
    """The list a reminder is about, filtered to the cases waiting for the step it names
    (the reader's scope narrows it to their own stations)."""
    if kind == "registration_cutoff":
        return reverse("admin:appraisals_examannouncement_changelist")
    if kind == "trainee_routing":
        return reverse("admin:appraisals_traineetoroute_changelist")
    statuses = ",".join(PENDING[kind])
    return f"{reverse('admin:appraisals_registration_changelist')}?{urlencode({'status__in': statuses})}"


def _title(item: DueItem, station: Station) -> str:
    kind = KINDS[item.kind]
    occupations = "、".join(sorted(item.occupations)[:5]) + ("等" if len(item.occupations) > 5 else "")
    if item.kind == "registration_cutoff":
        text = f"{occupations}{kind.what}"
        if item.municipal_report:
            text += "；请将报名数据录入系统并上报市职业技能鉴定中心"
    else:
        text = f"{item.count}{kind.what}（{occupations}）"
    deadline = f"{DEADLINE_NAMES[kind.deadline_field]} {item.deadline:%Y-%m-%d}"
    return f"【提前{item.lead}天】{station.code} {station.name}：{text}，{deadline}"


def reminders_for(items: Iterable[DueItem]) -> list[Reminder]:
    """Station items go to the station's clerks; each centre's officers get one reminder
    per kind and deadline summing their stations."""
    items = list(items)
    stations = {s.pk: s for s in Station.objects.select_related("centre")}
    clerks: dict[int, list[int]] = defaultdict(list)
    for user_id, station_id in User.objects.filter(
        is_active=True, station__isnull=False, groups__name=roles.STATION_CLERK
    ).values_list("pk", "station_id"):
        clerks[station_id].append(user_id)
    officers: dict[int, list[int]] = defaultdict(list)
    for user_id, centre_id in User.objects.filter(
        is_active=True, centre__isnull=False, groups__name=roles.CENTRE_OFFICER
    ).values_list("pk", "centre_id"):
        officers[centre_id].append(user_id)

    reminders: list[Reminder] = []
    per_centre: dict[tuple, list[DueItem]] = defaultdict(list)
    for item in items:
        station = stations[item.station_id]
        title = _title(item, station)
        for user_id in clerks.get(station.pk, []):
            reminders.append(
                Reminder(
                    user_id,
                    item.kind,
                    f"station:{station.pk}",
                    item.deadline,
                    item.lead,
                    title,
                    title,
                    work_link(item.kind),
                )
            )
        per_centre[(station.centre_id, item.kind, item.deadline, item.lead)].append(item)
    for (centre_id, kind, deadline, lead), centre_items in per_centre.items():
        total = sum(i.count for i in centre_items)
        what = KINDS[kind]
        title = (
            f"【提前{lead}天】所辖 {len(centre_items)} 个鉴定站"
            + ("的报名即将截止" if kind == "registration_cutoff" else f"共 {total}{what.what}")
            + f"，{DEADLINE_NAMES[what.deadline_field]} {deadline:%Y-%m-%d}"
        )
        body = "\n".join(_title(i, stations[i.station_id]) for i in centre_items)
        for user_id in officers.get(centre_id, []):
            reminders.append(
                Reminder(user_id, kind, f"centre:{centre_id}", deadline, lead, title, body, work_link(kind))
            )
    return reminders


def sweep(today: datetime.date) -> int:
    """Find what is due on ``today`` and send each reminder once; returns how many were new."""
    from catalog.services import reminders_send

    return reminders_send(reminders=reminders_for(due_items(today)))
