"""Supervision (督导): the review queue, on-site and remote records, complaints, and the
daily sweep.

Each state change is one service; the review queue is filled by ``review_queue_refresh``,
which runs the detectors and flags each problem once (a unique kind and key)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection

from appraisals import reminders
from appraisals import selectors as appraisal_selectors
from appraisals.models import ExamSession, LateEntry
from catalog.models import Station, User
from catalog.services import reminders_send
from catalog.trace import acting_as, service
from certificates import services as certificate_services
from certificates.models import IssuanceBatch
from certificates.reminders import certificate_reminders, consent_scan_reminders
from certificates.selectors import registration_bunching, station_cutoffs
from kit import clock
from kit.errors import RuleError

from . import selectors
from .models import Complaint, PersonalDataAccess, ReviewItem, SessionSupervisionRecord

Kind = ReviewItem.Kind


def bunched_registrations(stations: Any) -> list[dict]:
    """Stations whose registrations in the days before a cut-off far exceed their usual
    rate (the rushed-issuance formula, ``selectors.registration_bunching``), as evidence."""
    found = registration_bunching(station_cutoffs(stations))
    return [bunching.evidence() for bunching in found if bunching.flagged]


@service
def review_queue_refresh(*, actor: User | None, today: datetime.date, stations: Any = None) -> int:
    """Run every detector and flag what is new; returns how many items were added."""
    stations = stations if stations is not None else Station.objects.all()
    candidates: list[ReviewItem] = []
    for batch in IssuanceBatch.objects.filter(
        status=IssuanceBatch.Status.HELD, centre__stations__in=stations
    ).distinct():
        # The summary names the batch, not its status: the item's page shows the live status.
        batch_stations = set(batch.items.values_list("registration__station_id", flat=True))
        candidates.append(
            ReviewItem(
                kind=Kind.RUSHED_BATCH,
                key=f"batch:{batch.pk}",
                station_id=batch_stations.pop() if len(batch_stations) == 1 else None,
                summary=f"{batch.centre} 发证批次 #{batch.pk} 疑似突击发证，暂缓核发",
                evidence={"batch": batch.pk, "signals": batch.rush_flags},
            )
        )
    for found in bunched_registrations(stations):
        candidates.append(
            ReviewItem(
                kind=Kind.BUNCHED_REGISTRATIONS,
                key=f"station:{found['station_id']}:{found['cutoff']:%Y-%m-%d}",
                station_id=found["station_id"],
                summary=f"截止日 {found['cutoff']:%Y-%m-%d} 前 {found['in_window']} 人集中报名",
                evidence=found,
            )
        )
    for found in appraisal_selectors.identical_score_patterns(stations):
        session = ExamSession.objects.select_related("application").get(pk=found["session_id"])
        candidates.append(
            ReviewItem(
                kind=Kind.IDENTICAL_SCORES,
                key=f"session:{session.pk}:{found['theory_score']}:{found['practical_score']}",
                station_id=session.application.station_id,
                session=session,
                summary=(
                    f"{session}有 {found['n']} 人成绩完全相同（{found['theory_score']}/{found['practical_score']}）"
                ),
                evidence=found,
            )
        )
    for found in appraisal_selectors.candidates_at_several_stations(stations):
        candidates.append(
            ReviewItem(
                kind=Kind.SEVERAL_STATIONS,
                key=f"candidate:{found['candidate_id']}:{found['announcement__occupation_id']}",
                summary=f"同一考生同一职业在 {found['stations']} 个鉴定站报名",
                evidence=found,
            )
        )
    for session in appraisal_selectors.offsite_sessions_without_approval(stations):
        candidates.append(
            ReviewItem(
                kind=Kind.OFFSITE_UNAPPROVED,
                key=f"session:{session.pk}",
                station_id=session.application.station_id,
                session=session,
                summary=f"{session}在{session.region}举行，未记录异地鉴定批准",
                evidence={"session": session.pk, "region": session.region.name},
            )
        )
    for entry in LateEntry.objects.filter(station__in=stations).select_related("station", "candidate"):
        candidates.append(late_entry_item(entry))
    # Only the new problems are created, without ignore_conflicts: that returns no primary keys,
    # and an item without one gets no creation row in its trace. A sweep running at the same time
    # fails on the unique (kind, key) and is retried, finding them flagged.
    flagged = set(ReviewItem.objects.filter(key__in={c.key for c in candidates}).values_list("kind", "key"))
    new = {(c.kind, c.key): c for c in candidates if (c.kind, c.key) not in flagged}
    for item in new.values():
        item.flagged_on = today
    ReviewItem.objects.bulk_create(new.values())
    return len(new)


def late_entry_item(entry: LateEntry) -> ReviewItem:
    """The review item of one accepted late entry (补录), with the gap in days."""
    who = f"（{entry.candidate.name}）" if entry.candidate_id and entry.candidate else ""
    return ReviewItem(
        kind=Kind.LATE_ENTRY,
        key=f"late:{entry.act}:{entry.record_id}",
        station_id=entry.station_id,
        summary=(
            f"{entry.station}补录{entry.get_act_display()}{who}：{entry.act_date:%Y-%m-%d} 的事项在截止日 "
            f"{entry.deadline:%Y-%m-%d} 后 {entry.gap_days} 天录入（补录批准 #{entry.approval_id}）"
        ),
        evidence={
            "late_entry": entry.pk,
            "approval": entry.approval_id,
            "act": entry.act,
            "record": entry.record_id,
            "act_date": entry.act_date,
            "deadline": entry.deadline,
            "notice": entry.notice,
            "entered_at": entry.entered_at,
            "gap_days": entry.gap_days,
        },
    )


def on_late_entries_accepted(*, entries: list[LateEntry], **kwargs: Any) -> None:
    """Receiver of ``appraisals.services.late_entry_accepted`` (connected in ``apps.ready``):
    every accepted late entry is flagged for the supervisors at once, in the transaction that
    accepted it (the daily sweep flags any it missed; the unique kind and key keep one item)."""
    items = [late_entry_item(entry) for entry in entries]
    flagged = set(
        ReviewItem.objects.filter(kind=Kind.LATE_ENTRY, key__in=[i.key for i in items]).values_list("key", flat=True)
    )
    today = clock.today()
    new = [item for item in items if item.key not in flagged]
    for item in new:
        item.flagged_on = today
    ReviewItem.objects.bulk_create(new)


@service
def review_item_take(*, actor: User, item: ReviewItem) -> ReviewItem:
    item = ReviewItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
    if item.status == ReviewItem.Status.CLOSED:
        raise RuleError("该复核事项已办结。")
    item.status, item.assigned_to = ReviewItem.Status.IN_REVIEW, actor
    item.save(update_fields=["status", "assigned_to"])
    return item


def _close(item: ReviewItem, *, actor: User, finding: str, now: datetime.datetime) -> ReviewItem:
    item.status, item.finding = ReviewItem.Status.CLOSED, finding
    item.closed_by, item.closed_at = actor, now
    item.assigned_to = item.assigned_to or actor
    item.full_clean()
    item.save()
    return item


def _open_item(item: ReviewItem) -> ReviewItem:
    item = ReviewItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
    if item.status == ReviewItem.Status.CLOSED:
        raise RuleError("该复核事项已办结。")
    return item


@service
def review_item_close(
    *, actor: User, item: ReviewItem, finding: str, now: datetime.datetime | None = None
) -> ReviewItem:
    """Close an item with the supervisor's finding; an item is never closed without one.
    An item about a batch still held is closed by deciding on the batch
    (``review_item_decide_batch``), not by a finding alone."""
    item = _open_item(item)
    if not finding.strip():
        raise RuleError("办结复核事项必须写明督导结论。")
    batch = selectors.batch_of(item)
    if batch is not None and batch.status == IssuanceBatch.Status.HELD:
        raise RuleError(f"{batch.centre} 发证批次 #{batch.pk} 仍暂缓核发：请选择放行（核发）或不予放行。")
    return _close(item, actor=actor, finding=finding.strip(), now=now or clock.now())


@service
def review_item_decide_batch(
    *, actor: User, item: ReviewItem, release: bool, finding: str, today: datetime.date
) -> ReviewItem:
    """The supervisor's decision on a batch held as rushed, taken from its review item:
    ``certificates.services.batch_review`` releases it (the held approval goes on and the
    certificates are issued on ``today``) or refuses it, with the finding as the review's
    opinion; the item is closed with that finding (by ``batch_item_close``, which
    ``batch_review`` calls through its signal), all in this one transaction."""
    item = _open_item(item)
    if not finding.strip():
        raise RuleError("办结复核事项必须写明督导结论。")
    batch = selectors.batch_of(item)
    if batch is None:
        raise RuleError("该复核事项不是关于暂缓核发的发证批次。")
    if batch.status != IssuanceBatch.Status.HELD:
        raise RuleError(f"发证批次 #{batch.pk} 当前状态为“{batch.get_status_display()}”，已不需要督导复核。")
    certificate_services.batch_review(
        actor=actor, batch=batch, release=release, note=finding.strip(), reviewed_on=today
    )
    item.refresh_from_db()
    return item


def batch_outcome(batch: IssuanceBatch) -> str:
    """What became of a reviewed batch, for the item's summary."""
    if batch.status == IssuanceBatch.Status.APPROVED:
        return f"督导复核放行，已核发证书 {batch.certificates.count()} 本"
    if batch.status == IssuanceBatch.Status.REJECTED:
        return "督导复核不予放行，批次不予核发"
    return f"督导复核放行，{batch.get_status_display()}"


@service
def batch_item_close(*, actor: User, batch: IssuanceBatch, finding: str) -> ReviewItem | None:
    """Close the open review item of a batch just released or refused (from its item or from
    the batch's page) with the review's opinion as its finding, and say in its summary what
    became of the batch. No open item (the sweep had not yet run, or it is closed): nothing."""
    item = selectors.item_for_batch(batch)
    if item is None or item.status == ReviewItem.Status.CLOSED:
        return None
    item = ReviewItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
    item.summary = f"{batch.centre} 发证批次 #{batch.pk} 疑似突击发证：{batch_outcome(batch)}"
    return _close(item, actor=actor, finding=finding, now=clock.now())


def on_batch_reviewed(*, batch: IssuanceBatch, actor: User, note: str, **kwargs: Any) -> None:
    """Receiver of ``certificates.services.batch_reviewed`` (connected in ``apps.ready``)."""
    batch_item_close(actor=actor, batch=batch, finding=note)


@service
def review_item_correct(
    *, actor: User, item: ReviewItem, finding: str, reason: str, now: datetime.datetime | None = None
) -> ReviewItem:
    """Correct the finding of a closed item. Never silent: the reason is required and kept in
    the trace with the change (the item's history shows the old finding beside the new)."""
    item = ReviewItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
    if item.status != ReviewItem.Status.CLOSED:
        raise RuleError("只有已办结的复核事项才能更正督导结论；未办结的请直接办结。")
    if not reason.strip():
        raise RuleError("更正督导结论必须写明更正理由。")
    if not finding.strip():
        raise RuleError("办结复核事项必须写明督导结论。")
    if finding.strip() == item.finding:
        raise RuleError("更正后的督导结论与原结论相同。")
    with acting_as(actor, reason=f"更正督导结论：{reason.strip()}"):
        item.finding = finding.strip()
        item.full_clean()
        item.save(update_fields=["finding"])
    return item


@service
def supervision_record_add(
    *,
    actor: User,
    session: ExamSession,
    kind: str,
    observed_at: datetime.datetime,
    observations: str,
    attachment: Any = None,
) -> SessionSupervisionRecord:
    """A supervisor's on-site or remote-monitoring record of a session."""
    if not observations.strip():
        raise RuleError("请填写督导情况。")
    record = SessionSupervisionRecord(
        session=session, kind=kind, supervisor=actor, observed_at=observed_at, observations=observations.strip()
    )
    if attachment is not None:
        record.attachment = attachment
    record.full_clean()
    record.save()
    return record


@service
def complaint_receive(
    *,
    actor: User | None,
    channel: str,
    received_at: datetime.datetime,
    content: str,
    complainant: str = "",
    contact: str = "",
    station: Station | None = None,
) -> Complaint:
    """Record a complaint from the hotline, a letter or the public form."""
    if not content.strip():
        raise RuleError("请填写举报内容。")
    complaint = Complaint(
        channel=channel,
        received_at=received_at,
        content=content.strip(),
        complainant=complainant.strip(),
        contact=contact.strip(),
        station=station,
    )
    complaint.full_clean()
    complaint.save()
    return complaint


@service
def complaint_assign(*, actor: User, complaint: Complaint, assignee: User) -> Complaint:
    """Hand a complaint to the person who investigates it: an active supervisor or centre
    officer whose scope covers the accused station (``selectors.complaint_assign_refusal``)."""
    complaint = Complaint.objects.select_for_update(of=("self",)).get(pk=complaint.pk)
    if complaint.status == Complaint.Status.CLOSED:
        raise RuleError("该举报已办结。")
    refusal = selectors.complaint_assign_refusal(complaint=complaint, assignee=assignee, actor=actor)
    if refusal:
        raise RuleError(refusal)
    complaint.status, complaint.assigned_to = Complaint.Status.INVESTIGATING, assignee
    complaint.save(update_fields=["status", "assigned_to"])
    return complaint


@service
def complaint_close(
    *, actor: User, complaint: Complaint, finding: str, now: datetime.datetime | None = None
) -> Complaint:
    """Close a complaint with what the investigation found: none is closed without one."""
    complaint = Complaint.objects.select_for_update(of=("self",)).get(pk=complaint.pk)
    if complaint.status == Complaint.Status.CLOSED:
        raise RuleError("该举报已办结。")
    if complaint.status != Complaint.Status.INVESTIGATING:
        raise RuleError("举报须先交承办人调查，才能办结。")
    if not finding.strip():
        raise RuleError("举报必须写明查处结论才能办结。")
    complaint.status, complaint.finding = Complaint.Status.CLOSED, finding.strip()
    complaint.closed_by, complaint.closed_at = actor, now or clock.now()
    complaint.full_clean()
    complaint.save()
    return complaint


@service
def complaint_handle(
    *,
    actor: User,
    complaint: Complaint,
    assignee: User | None = None,
    conclusion: str = "",
    now: datetime.datetime | None = None,
) -> Complaint:
    """The one step a handler takes on an open complaint: hand it to ``assignee`` (it is then
    under investigation), close it with ``conclusion``, or both at once. Doing neither is
    refused like closing without a finding, so nothing is saved silently."""
    if assignee is not None:
        complaint = complaint_assign(actor=actor, complaint=complaint, assignee=assignee)
    if conclusion or assignee is None:
        complaint = complaint_close(actor=actor, complaint=complaint, finding=conclusion, now=now)
    return complaint


def daily_sweep_run(*, today: datetime.date) -> dict[str, int]:
    """The daily run, in order:

    1. reminders before each deadline that applies to a station (``appraisals.reminders``);
    2. reminders to centre officers of passed candidates still without a certificate;
    3. the supervisors' review queue: every detector, each problem flagged once.

    Not one transaction: each step commits its own work (the reminders per batch, with their
    send log), so a failure in a later step keeps what was sent and a retry sends nothing twice."""
    sent = reminders.sweep(today) + reminders_send(
        reminders=certificate_reminders(today) + consent_scan_reminders(today)
    )
    flagged = review_queue_refresh(actor=None, today=today)
    return {"reminders": sent, "review_items": flagged}


def personal_data_access_record(
    *, actor: User | None, action: str, subject: str, reason: str, address: str, **kwargs: Any
) -> None:
    """Keep one look at personal data (told through kit.audit by the app that showed it).
    One plain INSERT of the model's columns, each value prepared by its field: the public
    lookup writes one for every certificate it finds, and ``Model.save()`` built and
    compiled the statement anew each time (a fifth of a find's time). The row is only
    ever added (``PersonalDataAccess.save`` refuses changes; it has no signals)."""
    access = PersonalDataAccess(
        actor=actor, action=action, subject=subject[:300], reason=reason[:200], address=address[:64]
    )
    fields = [f for f in PersonalDataAccess._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(PersonalDataAccess._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [f.get_db_prep_save(getattr(access, f.attname), connection) for f in fields])
