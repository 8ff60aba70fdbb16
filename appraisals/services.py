"""Every state change of a case. Each function checks the current state and every rule
that applies, records who acted (the trace), and is the only way the admin, the importer
and the tasks change a registration.

The state machine of a registration::

    registered ─ review ─▶ eligible ─ consent ─▶ consented ─ apply ─▶ applied ─ hold ─▶ examined
        │                  ineligible                                              │ confirm
        └──── withdraw (refund) from any state before the exam          passed ◀───┴───▶ failed
                                                                                          │ retake
                                                                     passed ◀─ confirm ─ retake ─▶ closed
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.dispatch import Signal

from candidates import notices
from candidates.models import Candidate, CandidateNotice
from catalog.models import EligibilityRoute, EvaluationOrganisation, Occupation, Region, Station, User
from catalog.selectors import (
    Deadlines,
    StationAuthority,
    deadlines_for,
    eligibility_routes_for,
    publicity_last_day,
    visible_stations,
)
from catalog.trace import acting_as, service
from kit import clock, conf
from kit.errors import RuleError

from . import rules
from .models import (
    PAPER_ID_VALIDATOR,
    AppraisalApplication,
    Appraiser,
    ConsentForm,
    EligibilityReview,
    ExamAnnouncement,
    ExamPaper,
    ExamResult,
    ExamRoom,
    ExamSession,
    LateEntry,
    LateEntryApproval,
    OffsiteRequest,
    Recusal,
    Refund,
    Registration,
    Retake,
    ScoreAmendment,
    SeatAssignment,
    SeatCheckIn,
    SkillLevelReferral,
)

Status = Registration.Status


def _locked(registration: Registration) -> Registration:
    """Re-read the registration under a row lock so two clerks cannot race a transition."""
    return (
        Registration.objects.select_for_update(of=("self",))
        .select_related("announcement__occupation", "station__region")
        .get(pk=registration.pk)
    )


def _require_status(registration: Registration, allowed: Iterable[str], action: str) -> None:
    if registration.status not in allowed:
        raise RuleError(
            f"{registration.candidate.name}的报名当前状态为“{registration.get_status_display()}”，不能{action}。"
        )


def _set_status(registration: Registration, status: str) -> None:
    registration.status = status
    registration.save(update_fields=["status"])


def case_deadlines(registration: Registration) -> Deadlines:
    return deadlines_for(registration.announcement.occupation, registration.station.region)


# --- late entries (补录) -------------------------------------------------------------------

# Sent inside the transaction that accepts late entries, with ``entries`` (LateEntry rows):
# supervision, which sits above this app, raises a review item for each (its apps.ready
# connects the receiver; an exception there rolls the entry back).
late_entry_accepted = Signal()


@service
def late_entry_approve(
    *,
    actor: User,
    station: Station,
    act: str,
    reason: str,
    candidates: Iterable[Candidate] = (),
    requested_by: User | None = None,
    now: datetime.datetime | None = None,
) -> LateEntryApproval:
    """A guidance-centre officer of the station's centre approves late entries (补录) of one
    kind of act at the station, with a reason, before they are entered. Four eyes: the
    officer cannot approve their own request, and cannot use the approval."""
    now = now or clock.now()
    if not _is_officer_of(actor, station.centre_id):
        raise RuleError("只有该鉴定站所属指导中心的审核员才能批准补录。")
    if not reason.strip():
        raise RuleError("批准补录必须写明理由。")
    if requested_by is not None and requested_by.pk == actor.pk:
        raise RuleError("不能批准自己申请的补录（四眼原则）。")
    approval = LateEntryApproval(
        station=station,
        act=act,
        reason=reason.strip(),
        requested_by=requested_by,
        approved_by=actor,
        approved_at=now,
        expires_at=now + conf.late_entry_approval_validity(),
    )
    approval.full_clean()
    approval.save()
    approval.candidates.set(list(candidates))
    return approval


@service
def late_entry_refuse(
    *,
    actor: User,
    station: Station,
    act: str,
    reason: str,
    candidates: Iterable[Candidate],
    requested_by: User | None = None,
    now: datetime.datetime | None = None,
) -> LateEntryApproval:
    """The officer refuses a station's request to enter late acts for the candidates named,
    with the reason; the decision is kept beside the approvals (it can never be used), and
    each candidate is told once by SMS after commit (告知义务)."""
    now = now or clock.now()
    candidates = list(candidates)
    if not _is_officer_of(actor, station.centre_id):
        raise RuleError("只有该鉴定站所属指导中心的审核员才能审批补录。")
    if not reason.strip():
        raise RuleError("不予批准补录必须写明理由（将以短信告知考生）。")
    if not candidates:
        raise RuleError("不予批准补录须列出涉及的考生：他们将收到短信告知。")
    if requested_by is not None and requested_by.pk == actor.pk:
        raise RuleError("不能审批自己申请的补录（四眼原则）。")
    refusal = LateEntryApproval(
        station=station,
        act=act,
        reason=reason.strip(),
        refused=True,
        requested_by=requested_by,
        approved_by=actor,
        approved_at=now,
        expires_at=now,
    )
    refusal.full_clean()
    refusal.save()
    refusal.candidates.set(candidates)
    context = {"station": station.name, "act": refusal.get_act_display(), "reason": refusal.reason}
    for candidate in candidates:  # logged now, texted once the decision is committed
        notices.notify(candidate, CandidateNotice.Event.LATE_ENTRY_REFUSED, f"late_entry:{refusal.pk}", **context)
    return refusal


@dataclass(frozen=True)
class LateEntryCheck:
    """What ``late_entry_check`` found for one entry: whether it is late, under which approval."""

    act: str
    act_date: datetime.date
    deadline: datetime.date | None
    notice: str
    entered_at: datetime.datetime
    approval: LateEntryApproval | None = None

    @property
    def is_late(self) -> bool:
        return self.approval is not None


def late_entry_check(
    *,
    actor: User | None,
    station: Station,
    act: str,
    act_date: datetime.date,
    deadlines: Deadlines,
    candidate_ids: Iterable[int] = (),
    approval: LateEntryApproval | None = None,
    kind: str = rules.EXAM,
    now: datetime.datetime | None = None,
) -> LateEntryCheck:
    """Is this entry late (``rules.late_entry``)? If so it needs ``approval``, which must
    cover it (``LateEntryApproval.refusal``); without one, or with one that does not cover
    it, the entry is refused. The one gate every service and the importer pass."""
    now = now or clock.now()
    deadline, notice = rules.entry_deadline(deadlines, act, kind)
    late = rules.late_entry(act=act, act_date=act_date, deadline=deadline, source=notice, entered_at=now)
    found = LateEntryCheck(act=act, act_date=act_date, deadline=deadline, notice=notice, entered_at=now)
    if late is None:
        return found
    if approval is None:
        raise late.error()
    approval = LateEntryApproval.objects.select_for_update(of=("self",)).get(pk=approval.pk)
    refused = approval.refusal(actor=actor, station_id=station.pk, act=act, candidate_ids=set(candidate_ids), now=now)
    if refused:
        raise RuleError(f"{late.message}{refused}", code=rules.Code.LATE_ENTRY)
    return LateEntryCheck(
        act=act, act_date=act_date, deadline=deadline, notice=notice, entered_at=now, approval=approval
    )


@dataclass(frozen=True)
class LateRecord:
    """One row accepted as a late entry: the act's row id, its candidate, date and deadline."""

    record_id: int
    candidate_id: int | None
    act_date: datetime.date
    deadline: datetime.date
    notice: str


def late_entries_record(
    *,
    actor: User | None,
    station: Station,
    approval: LateEntryApproval,
    act: str,
    entered_at: datetime.datetime,
    records: Sequence[LateRecord],
) -> list[LateEntry]:
    """Record accepted late entries, use up the approval (once: one entry or one file), and
    tell supervision (``late_entry_accepted``), which raises a review item for each with
    the gap in days. Call inside the transaction that saved the rows."""
    entries = LateEntry.objects.bulk_create(
        [
            LateEntry(
                approval=approval,
                station=station,
                act=act,
                candidate_id=record.candidate_id,
                record_id=record.record_id,
                act_date=record.act_date,
                deadline=record.deadline,
                notice=record.notice,
                entered_at=entered_at,
                entered_by=actor,
                gap_days=rules.late_entry_gap_days(deadline=record.deadline, entered_at=entered_at),
            )
            for record in records
        ]
    )
    approval.used_at, approval.used_by = entered_at, actor
    approval.save(update_fields=["used_at", "used_by"])
    late_entry_accepted.send(sender=LateEntry, entries=entries)
    return entries


def _late_recorded(
    found: LateEntryCheck, *, actor: User | None, station: Station, record_id: int, candidate_id: int | None
) -> None:
    """Record one act's late entry, if ``late_entry_check`` found it late."""
    if found.approval is None or found.deadline is None:
        return
    late_entries_record(
        actor=actor,
        station=station,
        approval=found.approval,
        act=found.act,
        entered_at=found.entered_at,
        records=[LateRecord(record_id, candidate_id, found.act_date, found.deadline, found.notice)],
    )


# --- announcement and registration -----------------------------------------------------


@service
def announcement_publish(
    *,
    actor: User | None,
    station: Station,
    occupation: Occupation,
    level: str,
    publish_date: datetime.date,
    title: str = "",
    fee: Decimal = Decimal("0"),
) -> ExamAnnouncement:
    """Publish an appraisal announcement; refused on or after the occupation's exit."""
    announcement = ExamAnnouncement(
        station=station,
        occupation=occupation,
        level=level,
        publish_date=publish_date,
        title=title or f"{occupation.name}职业技能鉴定考试公告",
        fee=fee,
        published_by=actor,
    )
    announcement.full_clean()
    announcement.save()
    return announcement


@service
def registration_accept(
    *,
    actor: User | None,
    candidate: Candidate,
    announcement: ExamAnnouncement,
    registration_date: datetime.date,
    fee: Decimal | None = None,
    late_entry_approval: LateEntryApproval | None = None,
) -> Registration:
    """Accept a registration: within the registration window of the occupation in the
    station's region, inside the catalog, candidate at least 16, no duplicate; entered
    after the window closed only under a late-entry approval (``late_entry_check``)."""
    station = announcement.station
    found = late_entry_check(
        actor=actor,
        station=station,
        act=rules.REGISTRATION,
        act_date=registration_date,
        deadlines=deadlines_for(announcement.occupation, station.region),
        candidate_ids=[candidate.pk],
        approval=late_entry_approval,
    )
    registration = Registration(
        candidate=candidate,
        announcement=announcement,
        station_id=announcement.station_id,
        registration_date=registration_date,
        fee=announcement.fee if fee is None else fee,
        registered_by=actor,
        entered_at=found.entered_at,
    )
    registration.full_clean()
    registration.save()
    _late_recorded(found, actor=actor, station=station, record_id=registration.pk, candidate_id=candidate.pk)
    return registration


# --- eligibility -------------------------------------------------------------------------


@service
def registrations_mark_reported(*, actor: User, registrations: QuerySet[Registration], now: datetime.datetime) -> int:
    """Record that the registrations were reported to the municipal appraisal centre:
    when and by whom (厦人社〔2020〕141号). Only registrations of stations the actor may
    see are marked. A conditional update: registrations already reported keep their first
    report, so reporting a period twice marks nothing twice. Returns how many were marked
    now; each gets a history row naming the actor."""
    mine = registrations.filter(station__in=visible_stations(actor).values("pk"), reported_at__isnull=True)
    return mine.update(reported_at=now, reported_by=actor)


def route_gaps(route: EligibilityRoute, candidate: Candidate, on: datetime.date) -> set[str] | None:
    """What one route still needs to know of the candidate: an empty set when the route is
    met; the names of the blank fields it reads when nothing known rules it out (years in
    the trade not entered, a diploma not entered); ``None`` when something known does.

    A blank prior certificate means none is held (the clerk enters one when there is one);
    a blank year count or diploma means not yet entered, never 0 years or no diploma."""
    gaps = set()
    if route.min_years:
        if candidate.years_in_trade is None:
            gaps.add("years_in_trade")
        elif candidate.years_in_trade < route.min_years:
            return None
    if route.prior_level and not (
        candidate.prior_certificate_level and int(candidate.prior_certificate_level) <= int(route.prior_level)
    ):
        return None
    if route.diploma_codes:
        if not candidate.diploma:
            gaps.add("diploma")
        elif candidate.diploma not in route.diploma_codes:
            return None
    if route.apprenticeship:
        finished = candidate.expected_finish_date is not None and candidate.expected_finish_date <= on
        if not (candidate.trainee_kind == Candidate.TraineeKind.NEW_APPRENTICE and finished):
            return None
    return gaps


def route_is_met(route: EligibilityRoute, candidate: Candidate, on: datetime.date) -> bool:
    """Whether the candidate meets every requirement of one route, on what is known."""
    return route_gaps(route, candidate, on) == set()


def matching_route(registration: Registration, on: datetime.date) -> EligibilityRoute | None:
    announcement = registration.announcement
    for route in eligibility_routes_for(announcement.occupation, announcement.level):
        if route_is_met(route, registration.candidate, on):
            return route
    return None


def missing_for_review(registration: Registration, on: datetime.date) -> list[str]:
    """The labels of the candidate's blank fields without which the review cannot decide:
    those of the routes that nothing known rules out, in the order of the candidate's
    fields. Empty when a route is met or every route is ruled out by what is known."""
    announcement = registration.announcement
    wanted: set[str] = set()
    for route in eligibility_routes_for(announcement.occupation, announcement.level):
        gaps = route_gaps(route, registration.candidate, on)
        if gaps == set():
            return []
        wanted |= gaps or set()
    return [str(f.verbose_name) for f in Candidate._meta.concrete_fields if f.name in wanted]


@service
def eligibility_review(
    *, actor: User, registration: Registration, review_date: datetime.date, findings: str = ""
) -> EligibilityReview:
    """Review the registration against the application conditions (申报条件) of the level
    applied for. Eligible when any one route is fully met; the route is recorded.

    1. The registration must be awaiting review, and the review not dated before it.
    2. A route met on what is known: eligible.
    3. No route met, but some route could be met by details not entered at registration
       (years in the trade, the diploma): refused (``eligibility.data_missing``), naming
       them; nothing is recorded, so the review is done again once they are entered.
    4. Otherwise: not eligible, with the findings."""
    registration = _locked(registration)
    _require_status(registration, [Status.REGISTERED], "进行资格审查")
    if review_date < registration.registration_date:
        raise RuleError("审查日期不能早于报名日期。")
    route = matching_route(registration, review_date)
    if route is None:
        violation = rules.eligibility_data_missing(missing=missing_for_review(registration, review_date))
        if violation is not None:
            raise violation.error()
    if route is None and not findings:
        findings = "不符合该等级任何一项申报条件。"
    review = EligibilityReview(
        registration=registration,
        review_date=review_date,
        passed=route is not None,
        matched_route=route,
        findings=findings,
        reviewer=actor,
    )
    review.full_clean()
    review.save()
    _set_status(registration, Status.ELIGIBLE if route else Status.INELIGIBLE)
    return review


# --- consent -----------------------------------------------------------------------------


@service
def consent_record(
    *,
    actor: User,
    registration: Registration,
    signed_date: datetime.date,
    scan: Any = None,
    late_entry_approval: LateEntryApproval | None = None,
) -> ConsentForm:
    """Record the signed 职业技能鉴定自愿书. Without it there is no appraisal. A form signed
    by the completion date but entered after it is a late entry (``late_entry_check``)."""
    registration = _locked(registration)
    _require_status(registration, [Status.ELIGIBLE], "登记自愿书")
    if signed_date < registration.registration_date:
        raise RuleError("自愿书签署日期不能早于报名日期。")
    found = late_entry_check(
        actor=actor,
        station=registration.station,
        act=rules.CONSENT,
        act_date=signed_date,
        deadlines=case_deadlines(registration),
        candidate_ids=[registration.candidate_id],
        approval=late_entry_approval,
    )
    consent = ConsentForm(
        registration=registration, signed_date=signed_date, received_by=actor, entered_at=found.entered_at
    )
    if scan is not None:
        consent.scan = scan
    consent.full_clean()
    consent.save()
    _set_status(registration, Status.CONSENTED)
    _late_recorded(
        found, actor=actor, station=registration.station, record_id=consent.pk, candidate_id=registration.candidate_id
    )
    return consent


# --- appraisal application ----------------------------------------------------------------


@service
def application_submit(
    *,
    actor: User,
    station: Station,
    registrations: Iterable[Registration],
    submitted_date: datetime.date,
    late_entry_approval: LateEntryApproval | None = None,
) -> AppraisalApplication:
    """A station applies to its guidance centre for consented registrations, by the
    application deadline of each registration's occupation (Fujian: 2020-10-31; elsewhere
    the completion date). Entered after that deadline only under a late-entry approval."""
    locked = [_locked(r) for r in registrations]
    if not locked:
        raise RuleError("鉴定申请至少要包含一条报名。")
    for registration in locked:
        if registration.station_id != station.pk:
            raise RuleError(f"{registration.candidate.name}不是本站（{station.code}）的报名。")
        _require_status(registration, [Status.CONSENTED], "申请鉴定")
        late = rules.application_late(
            deadlines=case_deadlines(registration),
            occupation=registration.announcement.occupation,
            submitted_date=submitted_date,
        )
        if late:
            raise late.error()
    # The earliest deadline among the registrations decides whether the entry is late.
    checks = [
        late_entry_check(
            actor=actor,
            station=station,
            act=rules.APPLICATION,
            act_date=submitted_date,
            deadlines=case_deadlines(registration),
            candidate_ids=[r.candidate_id for r in locked],
            approval=late_entry_approval,
        )
        for registration in locked
    ]
    found = next((c for c in checks if c.is_late), checks[0])
    application = AppraisalApplication.objects.create(
        station=station,
        centre=station.centre,
        submitted_date=submitted_date,
        submitted_by=actor,
        entered_at=found.entered_at,
    )
    for registration in locked:
        registration.application = application
        registration.status = Status.APPLIED
        registration.save(update_fields=["application", "status"])
    _late_recorded(found, actor=actor, station=station, record_id=application.pk, candidate_id=None)
    return application


def _is_officer_of(actor: User, centre_id: int) -> bool:
    if actor.is_superuser:
        return True
    from catalog.selectors import visible_centres

    return actor.centre_id is not None and visible_centres(actor).filter(pk=centre_id).exists()


@service
def application_decide(
    *, actor: User, application: AppraisalApplication, approve: bool, decided_date: datetime.date, note: str = ""
) -> AppraisalApplication:
    """The guidance centre approves or returns an application. A returned application's
    registrations go back to “consented” so the station can apply again."""
    application = AppraisalApplication.objects.select_for_update(of=("self",)).get(pk=application.pk)
    if application.status != AppraisalApplication.Status.SUBMITTED:
        raise RuleError(f"该鉴定申请已{application.get_status_display()}，不能再次审批。")
    if not _is_officer_of(actor, application.centre_id):
        raise RuleError("只有该鉴定站所属指导中心的审核员才能审批鉴定申请。")
    if decided_date < application.submitted_date:
        raise RuleError("审批日期不能早于提交日期。")
    if not approve and not note:
        raise RuleError("退回鉴定申请必须写明审批意见。")
    application.status = AppraisalApplication.Status.APPROVED if approve else AppraisalApplication.Status.REJECTED
    application.decided_date = decided_date
    application.decided_by = actor
    application.decision_note = note
    application.save()
    if not approve:
        for registration in application.registrations.select_for_update(of=("self",)):
            registration.application = None
            registration.status = Status.CONSENTED
            registration.save(update_fields=["application", "status"])
    return application


# --- exam sessions -------------------------------------------------------------------------


def offsite_cap(station: Station, region: Region) -> int | None:
    """The most candidates an off-site session of ``station`` at a site in ``region`` may
    seat: the lowest cap set for any region either of them lies in (None: no cap)."""
    caps = conf.offsite_max_candidates()
    found = [caps[r.code] for r in [*station.region.lineage(), *region.lineage()] if r.code in caps]
    return min(found) if found else None


def _check_session_rules(session: ExamSession, *, candidates: int | None = None) -> None:
    """Rules that must hold for a session to be scheduled and again when it is held:
    the first one broken is refused. ``candidates``: how many sit it (at scheduling, the
    approved request's count)."""
    application = session.application
    deadlines = deadlines_for(session.occupation, application.station.region)
    checks = (
        lambda: rules.application_not_approved(approved=application.status == AppraisalApplication.Status.APPROVED),
        lambda: rules.session_before_approval(decided_date=application.decided_date, day=session.date),
        lambda: rules.application_late(
            deadlines=deadlines, occupation=session.occupation, submitted_date=application.submitted_date
        ),
        lambda: rules.completion_late(deadlines=deadlines, kind=session.kind, day=session.date),
        lambda: rules.level_not_in_standard(occupation=session.occupation, level=session.level),
        lambda: rules.station_not_authorised(
            authority=StationAuthority(application.station),
            occupation=session.occupation,
            level=session.level,
            day=session.date,
            act="举行鉴定考试",
        ),
        # Last: working out the site's region costs a query or two.
        lambda: rules.session_offsite_unapproved(offsite=session.is_offsite, approved=session.offsite_approved),
        lambda: _offsite_over_cap(session, candidates),
    )
    for check in checks:
        violation = check()
        if violation:
            raise violation.error()


def _offsite_over_cap(session: ExamSession, candidates: int | None) -> rules.Violation | None:
    if not session.is_offsite:
        return None
    if candidates is None:
        request = session.offsite_request
        candidates = request.candidate_count if request is not None else 0
    return rules.session_offsite_over_cap(
        candidates=candidates, cap=offsite_cap(session.application.station, session.region)
    )


def _check_staff_free(session: ExamSession, people: Iterable[Appraiser]) -> None:
    """A registry person (or the login behind them, registered in two roles) cannot be in
    two sessions at the same time, as examiner, supervisor or invigilator."""
    overlapping = ExamSession.objects.filter(
        date=session.date, start_time__lt=session.end_time, end_time__gt=session.start_time
    ).exclude(pk=session.pk)
    for person in {p.pk: p for p in people}.values():
        on = Q(examiners=person) | Q(supervisor=person) | Q(rooms__invigilators=person)
        if person.user_id:
            user = person.user_id
            on |= Q(examiners__user=user) | Q(supervisor__user=user) | Q(rooms__invigilators__user=user)
        clash = overlapping.filter(on).first()
        if clash:
            raise RuleError(
                f"{person.name}在 {clash.date:%Y-%m-%d} "
                f"{clash.start_time:%H:%M}–{clash.end_time:%H:%M} 已安排在“{clash}”，时间冲突。"
            )


def _staff_regions(session: ExamSession) -> set[int]:
    """Where the people of a session may be registered: the site's region or one above it;
    with an approved off-site request, also the station's own (its examiners go with it)."""
    regions = {r.pk for r in session.region.lineage()}
    if session.offsite_request_id and session.offsite_approved:
        regions |= {r.pk for r in session.application.station.region.lineage()}
    return regions


def _check_person(session: ExamSession, person: Appraiser, wanted_role: str, *, examines: bool) -> None:
    """One registry person on one session: role, validity and status on the session's
    date, region (the site's region or one above it) and, for examiners, occupation and level."""
    wanted_label = Appraiser.Role(wanted_role).label
    unusable = rules.staff_unusable(
        name=person.name,
        role=person.role,
        role_label=person.get_role_display(),
        wanted_role=wanted_role,
        wanted_label=wanted_label if examines or wanted_role == Appraiser.Role.SUPERVISOR else "监考人员",
        valid_from=person.valid_from,
        valid_to=person.valid_to,
        status=person.status,
        status_label=person.get_status_display(),
        status_date=person.status_date,
        day=session.date,
    )
    if unusable:
        raise unusable.error()
    out = rules.staff_out_of_scope(
        name=person.name,
        wanted_label=wanted_label,
        in_region=person.region_id in _staff_regions(session),
        covers_occupation=not examines or person.occupations.filter(pk=session.occupation_id).exists(),
        covers_level=not examines or session.level in person.levels,
        what=f"{session.occupation.name}（{session.get_level_display()}）",
    )
    if out:
        raise out.error()


def _check_recusals(session: ExamSession, people: Iterable[Appraiser]) -> None:
    if session.pk is None:
        return
    declared = (
        Recusal.objects.filter(session=session, appraiser__in=[p.pk for p in people])
        .select_related("appraiser", "registration__candidate")
        .first()
    )
    if declared:
        raise rules.staff_recused(
            name=declared.appraiser.name,
            candidate=declared.registration.candidate.name,
            relation=declared.get_relation_display(),
        ).error()


def _check_staff(
    session: ExamSession,
    examiners: list[Appraiser],
    supervisor: Appraiser | None,
    invigilators: Iterable[Appraiser] = (),
) -> None:
    """Everyone on a session comes from the registry and may sit there: examiners and
    invigilators (registered examiners), the supervisor (never a staff member of the
    appraised station), no one who declared a relation to one of its candidates, no one
    busy elsewhere at the time."""
    # As the registry stands now (the objects passed in may be older than a suspension).
    given = [*examiners, *invigilators, *([supervisor] if supervisor else [])]
    fresh = Appraiser.objects.select_related("user").in_bulk([p.pk for p in given])
    examiners = [fresh[p.pk] for p in examiners]
    invigilators = [fresh[p.pk] for p in invigilators]
    supervisor = fresh[supervisor.pk] if supervisor else None
    for person in examiners:
        _check_person(session, person, Appraiser.Role.EXAMINER, examines=True)
    for person in invigilators:
        _check_person(session, person, Appraiser.Role.EXAMINER, examines=False)
    if supervisor is not None:
        _check_person(session, supervisor, Appraiser.Role.SUPERVISOR, examines=False)
        station = session.application.station
        if supervisor.user is not None and supervisor.user.station_id == station.pk:
            raise rules.staff_own_station(name=supervisor.name, station=station.name).error()
    people = [*examiners, *invigilators, *([supervisor] if supervisor else [])]
    _check_recusals(session, people)
    _check_staff_free(session, people)


def _check_staffing(session: ExamSession, *, examiners: int, seated: dict[int, int] | None = None) -> None:
    """The standards' staffing (``rules.staffing_short``): before seating against the
    candidates the session is for, after it against the seats, room by room."""
    if seated is None:
        candidates = len(_session_candidates(session)) if session.pk or session.kind == ExamSession.Kind.EXAM else 0
        rooms: list[tuple[str, int, int]] = []
    else:
        listed = session.rooms.annotate(n=Count("invigilators")).order_by("name")
        rooms = [(room.name, seated.get(room.pk, 0), room.n) for room in listed]
        candidates = sum(seated.values())
    short = rules.staffing_short(candidates=candidates, level=session.level, examiners=examiners, rooms=rooms)
    if short:
        raise short.error()


def _seated_per_room(session: ExamSession) -> dict[int, int]:
    return dict(session.seats.values_list("room_id").annotate(n=Count("pk")).values_list("room_id", "n"))


def _room_invigilators(session: ExamSession) -> list[Appraiser]:
    return list(Appraiser.objects.filter(invigilated_rooms__session=session).distinct())


@service
def session_schedule(
    *,
    actor: User,
    application: AppraisalApplication,
    occupation: Occupation,
    level: str,
    date: datetime.date,
    start_time: datetime.time,
    end_time: datetime.time,
    place: str,
    region: Region,
    examiners: Iterable[Appraiser],
    supervisor: Appraiser | None = None,
    rooms: Iterable[tuple[str, int] | tuple[str, int, Sequence[Appraiser]]] = (("第1考场", 30),),
    kind: str = ExamSession.Kind.EXAM,
    offsite_request: OffsiteRequest | None = None,
    late_entry_approval: LateEntryApproval | None = None,
) -> ExamSession:
    """Schedule a session under an approved application, within the completion deadline,
    in the station's region unless its guidance centre approved an off-site request for
    that site and day (and within the cross-region cap), and staffed from the registry:

    1. the session's own rules (``_check_session_rules``);
    2. every examiner, invigilator and the supervisor usable on the day, in scope, free at
       that time, the supervisor not from the station (``_check_staff``);
    3. enough examiners (odd) for the candidates the session is for (``_check_staffing``).
    A room is ``(name, seats)`` or ``(name, seats, invigilators)``; invigilators are
    counted against the seats when candidates are seated. The paper is requested from the
    national question bank afterwards (``paper_request``): it must be handed over before
    the session is held. A session dated by the completion date but entered after it is a
    late entry (``late_entry_check``)."""
    examiners = list(examiners)
    application = AppraisalApplication.objects.select_related("station__region").get(pk=application.pk)
    found = late_entry_check(
        actor=actor,
        station=application.station,
        act=rules.SESSION,
        act_date=date,
        deadlines=deadlines_for(occupation, application.station.region),
        approval=late_entry_approval,
        kind=kind,
    )
    if not examiners:
        raise RuleError("考试场次至少要安排一名考评员。")
    planned = [(room[0], room[1], list(room[2]) if len(room) > 2 else []) for room in rooms]
    session = ExamSession(
        application=application,
        kind=kind,
        occupation=occupation,
        level=level,
        date=date,
        start_time=start_time,
        end_time=end_time,
        place=place,
        region=region,
        supervisor=supervisor,
        offsite_request=offsite_request,
        entered_at=found.entered_at,
    )
    session.full_clean()
    _check_session_rules(session)
    _check_staff(session, examiners, supervisor, [p for _, _, people in planned for p in people])
    _check_staffing(session, examiners=len(examiners))
    session.save()
    session.examiners.set(examiners)
    for name, capacity, invigilators in planned:
        room = ExamRoom.objects.create(session=session, name=name, capacity=capacity)
        room.invigilators.set(invigilators)
    _late_recorded(found, actor=actor, station=application.station, record_id=session.pk, candidate_id=None)
    return session


@service
def session_staff_set(
    *, actor: User, session: ExamSession, examiners: Iterable[Appraiser], supervisor: Appraiser | None
) -> ExamSession:
    """Replace the examiners and the supervisor of a session not yet held (after a
    recusal, a suspension or more candidates), under the same rules as scheduling; once
    seated, the staffing is counted against the seats."""
    session = ExamSession.objects.select_for_update(of=("self",)).get(pk=session.pk)
    if session.held:
        raise RuleError("考试已举行，不能再更换考评员、督导员。")
    examiners = list(examiners)
    _check_staff(session, examiners, supervisor)  # the invigilators are the rooms' (room_invigilators_set)
    seated = _seated_per_room(session)
    _check_staffing(session, examiners=len(examiners), seated=seated or None)
    session.supervisor = supervisor
    session.save(update_fields=["supervisor"])
    session.examiners.set(examiners)
    return session


@service
def room_invigilators_set(*, actor: User, room: ExamRoom, invigilators: Iterable[Appraiser]) -> ExamRoom:
    """The invigilators (监考人员) of one room of a session not yet held, from the registry."""
    session = ExamSession.objects.select_for_update(of=("self",)).get(pk=room.session_id)
    if session.held:
        raise RuleError("考试已举行，不能再更换监考人员。")
    invigilators = list(invigilators)
    _check_staff(session, [], None, invigilators)
    room.invigilators.set(invigilators)
    return room


@service
def appraiser_status_set(
    *, actor: User, appraiser: Appraiser, status: str, reason: str = "", day: datetime.date | None = None
) -> Appraiser:
    """Suspend, revoke or reinstate a registry person. A suspension or revocation takes
    effect on ``day`` (the person is on no session from that day on); the trace keeps every
    change. Sessions already staffed with them show on the supervisors' dashboard and cannot
    be held until the person is replaced."""
    appraiser = Appraiser.objects.select_for_update(of=("self",)).get(pk=appraiser.pk)
    if status == Appraiser.Status.ACTIVE:
        appraiser.status, appraiser.status_reason, appraiser.status_date = status, "", None
    else:
        if not reason.strip():
            raise RuleError(f"暂停或撤销{appraiser.name}的资格必须写明原因。")
        appraiser.status, appraiser.status_reason = status, reason.strip()
        appraiser.status_date = day or clock.today()
    appraiser.full_clean()
    appraiser.save()
    return appraiser


@service
def recusal_record(
    *,
    actor: User,
    session: ExamSession,
    appraiser: Appraiser,
    registration: Registration,
    relation: str,
    note: str = "",
    recorded_on: datetime.date | None = None,
) -> Recusal:
    """回避申报: a person declares a relation to a candidate of the session, before or after
    seating. It is kept whatever happens next; while the person stays on the session it
    can be neither seated further nor held (``_check_recusals``): replace them."""
    candidates = {r.pk for r in _session_candidates(session)} | set(
        session.seats.values_list("registration_id", flat=True)
    )
    if registration.pk not in candidates:
        raise RuleError(f"{registration.candidate.name}不是该场次的考生，无须申报回避。")
    recusal = Recusal(
        session=session,
        appraiser=appraiser,
        registration=registration,
        relation=relation,
        note=note,
        recorded_by=actor,
        recorded_on=recorded_on or clock.today(),
    )
    recusal.full_clean()
    recusal.save()
    return recusal


def _session_candidates(session: ExamSession) -> list[Registration]:
    if session.kind == ExamSession.Kind.RETAKE:
        qs = Registration.objects.filter(status=Status.RETAKE, retake__session=session)
    else:
        qs = Registration.objects.filter(
            application=session.application,
            status=Status.APPLIED,
            announcement__occupation=session.occupation,
            announcement__level=session.level,
        )
    return list(qs.select_related("candidate", "station").order_by("candidate__id_number", "pk"))


@service
def seats_assign(*, actor: User, session: ExamSession) -> list[SeatAssignment]:
    """考场编排: seat every candidate of the session, room by room, in ID-number order.
    Candidates already seated keep their seat; new ones fill the free seats."""
    session = ExamSession.objects.select_for_update(of=("self",)).get(pk=session.pk)
    if session.held:
        raise RuleError("考试已举行，不能再编排座位。")
    seated = set(session.seats.values_list("registration_id", flat=True))
    waiting = [r for r in _session_candidates(session) if r.pk not in seated]
    free = []
    for room_index, room in enumerate(session.rooms.order_by("name"), start=1):
        taken = set(room.seats.values_list("seat_number", flat=True))
        free += [(room_index, room, n) for n in range(1, room.capacity + 1) if n not in taken]
    if len(waiting) > len(free):
        raise RuleError(f"座位不足：还有 {len(waiting)} 名考生待编排，空余座位只有 {len(free)} 个，请增加考场。")
    # Seats added: everyone on the session is checked again (the room's invigilators come
    # from the admin's inline, a recusal may have been declared) and the staffing is
    # counted against the seats, room by room.
    per_room = _seated_per_room(session)
    for _, room, _ in free[: len(waiting)]:
        per_room[room.pk] = per_room.get(room.pk, 0) + 1
    if waiting:
        examiners = list(session.examiners.all())
        _check_staff(session, examiners, session.supervisor, _room_invigilators(session))
        _check_staffing(session, examiners=len(examiners), seated=per_room)
    created = []
    for registration, (room_index, room, number) in zip(waiting, free, strict=False):
        created.append(
            SeatAssignment(
                session=session,
                registration=registration,
                room=room,
                seat_number=number,
                ticket_number=f"{session.application.station.code}{session.date:%Y%m%d}{session.pk:04d}{room_index:02d}{number:03d}",
            )
        )
    return SeatAssignment.objects.bulk_create(created)


@service
def session_hold(*, actor: User, session: ExamSession, today: datetime.date | None = None) -> ExamSession:
    """Record that the session took place, on its day or after (never before it), with a
    national question-bank paper handed over. Each seat's check-in decides what happens
    to the candidate: present or misconduct → “examined” (a retake stays “retake”);
    absent (缺考) → no attempt, the registration stays as it was so the candidate can be
    seated in a later session before the deadline. A seat with no check-in recorded is
    recorded now as present, by the person who holds the session. Every candidate who
    sat must have signed the consent form on or before the exam date."""
    session = ExamSession.objects.select_for_update(of=("self",)).get(pk=session.pk)
    if session.held:
        raise RuleError("该场次已登记为已举行。")
    not_yet = rules.session_not_yet(day=session.date, today=today or clock.today())
    if not_yet:
        raise not_yet.error()
    paper = ExamPaper.objects.filter(session=session).first()
    no_paper = rules.session_without_paper(handed_over=paper is not None and paper.handed_over)
    if no_paper:
        raise no_paper.error()
    seats = list(session.seats.select_related("registration__candidate"))
    if not seats:
        raise RuleError("该场次没有编排任何考生。")
    checkins = {c.seat_id: c for c in SeatCheckIn.objects.filter(seat__session=session)}
    sitting = [s for s in seats if s.pk not in checkins or checkins[s.pk].attendance != SeatCheckIn.Attendance.ABSENT]
    _check_session_rules(session, candidates=len(sitting))
    # The staff as on the day: still usable, no declared relation, enough of them.
    examiners = list(session.examiners.all())
    _check_staff(session, examiners, session.supervisor, _room_invigilators(session))
    _check_staffing(session, examiners=len(examiners), seated=_seated_per_room(session))
    for seat in seats:
        registration = _locked(seat.registration)
        if seat.pk not in checkins:
            SeatCheckIn.objects.create(
                seat=seat,
                attendance=SeatCheckIn.Attendance.PRESENT,
                note="登记举行时未登记考勤，按到考记录",
                recorded_by=actor,
            )
        elif checkins[seat.pk].attendance == SeatCheckIn.Attendance.ABSENT:
            continue  # 缺考: not an attempt; nothing changes for the case
        consent = ConsentForm.objects.filter(registration=registration).first()
        unsigned = rules.consent_before_exam(
            signed_date=consent.signed_date if consent else None, exam_date=session.date
        )
        if unsigned:
            raise RuleError(f"{registration.candidate.name}：{unsigned}", code=unsigned.code)
        if registration.status == Status.WITHDRAWN:
            raise RuleError(f"{registration.candidate.name}已放弃鉴定并退费，不能参加考试。")
        if session.kind == ExamSession.Kind.EXAM:
            _require_status(registration, [Status.APPLIED], "参加鉴定考试")
            _set_status(registration, Status.EXAMINED)
        else:
            _require_status(registration, [Status.RETAKE], "参加补考")
    session.held = True
    session.save(update_fields=["held"])
    return session


# --- off-site requests, papers, check-in -----------------------------------------------------


@service
def offsite_request_submit(
    *,
    actor: User,
    station: Station,
    place: str,
    region: Region,
    date: datetime.date,
    candidate_count: int,
    reason: str,
) -> OffsiteRequest:
    """The station asks its guidance centre to appraise at a site outside its region."""
    if actor.station_id != station.pk:
        raise RuleError(f"只有{station.name}的人员才能为该站申请异地鉴定。")
    if station.region_id in {r.pk for r in region.lineage()}:
        raise RuleError(f"考点在{region}，位于{station.name}所在地区内，不是异地鉴定，无须申请。")
    if not reason.strip():
        raise RuleError("异地鉴定申请必须写明理由。")
    request = OffsiteRequest(
        station=station,
        place=place,
        region=region,
        date=date,
        candidate_count=candidate_count,
        reason=reason,
        requested_by=actor,
        requested_on=clock.today(),
    )
    request.full_clean()
    request.save()
    return request


@service
def offsite_request_decide(
    *, actor: User, request: OffsiteRequest, approve: bool, note: str = "", decided_on: datetime.date | None = None
) -> OffsiteRequest:
    """An officer of the station's guidance centre approves or refuses (with a reason).
    Four eyes: the requester, and anyone of the station, never decides. A request above
    the cross-region cap cannot be approved (闽人社办〔2020〕143号)."""
    request = (
        OffsiteRequest.objects.select_for_update(of=("self",))
        .select_related("station__region", "region")
        .get(pk=request.pk)
    )
    if request.status != OffsiteRequest.Status.REQUESTED:
        raise RuleError(f"该异地鉴定申请已{request.get_status_display()}，不能再次审批。")
    if actor.pk == request.requested_by_id or actor.station_id is not None:
        raise RuleError("申请人及鉴定站人员不能审批本站的异地鉴定申请，须由指导中心审核员审批。")
    if not _is_officer_of(actor, request.station.centre_id):
        raise RuleError("只有该鉴定站所属指导中心的审核员才能审批异地鉴定申请。")
    if not approve and not note.strip():
        raise RuleError("不予批准必须写明理由。")
    if approve:
        over = rules.session_offsite_over_cap(
            candidates=request.candidate_count, cap=offsite_cap(request.station, request.region)
        )
        if over:
            raise over.error()
    request.status = OffsiteRequest.Status.APPROVED if approve else OffsiteRequest.Status.REFUSED
    request.decided_by = actor
    request.decided_on = decided_on or clock.today()
    request.decision_note = note
    request.full_clean()
    request.save()
    return request


@service
def paper_request(*, actor: User, session: ExamSession) -> ExamPaper:
    """The station asks its guidance centre for the session's paper from the national bank
    (its own staff, or an officer of its centre on its behalf)."""
    station = session.application.station
    if actor.station_id != station.pk and not _is_officer_of(actor, station.centre_id):
        raise RuleError(f"只有{station.name}的工作人员或其所属指导中心的审核员才能申请该场次的试卷。")
    if session.held:
        raise RuleError("考试已举行，不能再申请试卷。")
    if ExamPaper.objects.filter(session=session).exists():
        raise RuleError(f"“{session}”已申请国家题库试卷。")
    return ExamPaper.objects.create(session=session, requested_by=actor, requested_at=clock.now())


def _paper_for_officer(actor: User, paper: ExamPaper, allowed: str, action: str) -> ExamPaper:
    paper = (
        ExamPaper.objects.select_for_update(of=("self",))
        .select_related("session__application__station")
        .get(pk=paper.pk)
    )
    if not _is_officer_of(actor, paper.session.application.station.centre_id):
        raise RuleError(f"只有该鉴定站所属指导中心的审核员才能{action}。")
    if paper.status != allowed:
        raise RuleError(f"试卷当前状态为“{paper.get_status_display()}”，不能{action}。")
    return paper


@service
def paper_issue(*, actor: User, paper: ExamPaper, bank_paper_id: str) -> ExamPaper:
    """The centre records the paper drawn from the national question bank: its number
    (``PAPER_ID_VALIDATOR``: GJTK-2020-50001), who, when."""
    paper = _paper_for_officer(actor, paper, ExamPaper.Status.REQUESTED, "发放试卷")
    PAPER_ID_VALIDATOR(bank_paper_id.strip())  # an empty number too gets the format's message
    paper.bank_paper_id = bank_paper_id.strip()
    paper.status = ExamPaper.Status.ISSUED
    paper.issued_by = actor
    paper.issued_at = clock.now()
    paper.full_clean()
    paper.save()
    return paper


@service
def paper_hand_over(*, actor: User, paper: ExamPaper, received_by: str) -> ExamPaper:
    """The sealed paper passes from the centre to the station's named person, no later
    than the exam day."""
    paper = _paper_for_officer(actor, paper, ExamPaper.Status.ISSUED, "交接试卷")
    if not received_by.strip():
        raise RuleError("请填写鉴定站领卷人。")
    if clock.today() > paper.session.date:
        raise RuleError(f"考试日期 {paper.session.date:%Y-%m-%d} 已过，不能再交接试卷。")
    paper.status = ExamPaper.Status.HANDED_OVER
    paper.handed_over_to = received_by.strip()
    paper.handed_over_by = actor
    paper.handed_over_at = clock.now()
    paper.save()
    return paper


@service
def paper_return(*, actor: User, paper: ExamPaper, seal_intact: bool, note: str = "") -> ExamPaper:
    """After the exam the papers come back sealed; a broken seal is recorded with what happened."""
    paper = _paper_for_officer(actor, paper, ExamPaper.Status.HANDED_OVER, "回收试卷")
    if not paper.session.held:
        raise RuleError("考试尚未登记举行，不能回收试卷。")
    if not seal_intact and not note.strip():
        raise RuleError("试卷密封破损，必须写明情况。")
    paper.status = ExamPaper.Status.RETURNED
    paper.returned_at = clock.now()
    paper.return_received_by = actor
    paper.seal_intact = seal_intact
    paper.note = note
    paper.full_clean()
    paper.save()
    return paper


@service
def seat_check_in(
    *, actor: User, seat: SeatAssignment, attendance: str, voided_part: str = "", note: str = ""
) -> SeatCheckIn:
    """考场签到 of one seat on the exam day (or after it, until the session is recorded as
    held): present, absent (缺考) or misconduct (违纪: the voided part and what happened).
    A second entry corrects the first; the history keeps both."""
    seat = SeatAssignment.objects.select_related("session", "registration__candidate").get(pk=seat.pk)
    session = seat.session
    if session.held:
        raise RuleError("考试已登记举行，考勤不能再修改。")
    if clock.today() < session.date:
        raise RuleError(f"考试日期 {session.date:%Y-%m-%d} 还没到，不能登记考勤。")
    checkin = SeatCheckIn.objects.filter(seat=seat).first() or SeatCheckIn(seat=seat)
    checkin.attendance = attendance
    checkin.voided_part = voided_part if attendance == SeatCheckIn.Attendance.MISCONDUCT else ""
    checkin.note = note.strip()
    checkin.recorded_by = actor
    checkin.recorded_at = clock.now()
    checkin.full_clean()
    checkin.save()
    return checkin


# --- results ----------------------------------------------------------------------------


def _absent(registration: Registration, session: ExamSession) -> bool:
    return SeatCheckIn.objects.filter(
        seat__registration=registration, seat__session=session, attendance=SeatCheckIn.Attendance.ABSENT
    ).exists()


def _voided(
    registration: Registration,
    session: ExamSession,
    needed: dict[str, bool],
    theory: Decimal | None,
    practical: Decimal | None,
) -> tuple[Decimal | None, Decimal | None]:
    """违纪 voids a part: it scores 0 whatever was entered (the check-in keeps the reason)."""
    checkin = SeatCheckIn.objects.filter(
        seat__registration=registration, seat__session=session, attendance=SeatCheckIn.Attendance.MISCONDUCT
    ).first()
    if checkin is None:
        return theory, practical
    part = checkin.voided_part
    if needed["theory"] and part in (SeatCheckIn.Part.THEORY, SeatCheckIn.Part.ALL):
        theory = Decimal("0")
    if needed["practical"] and part in (SeatCheckIn.Part.PRACTICAL, SeatCheckIn.Part.ALL):
        practical = Decimal("0")
    return theory, practical


def _parts_passed(result: ExamResult, level: str) -> dict[str, bool]:
    mark = conf.pass_mark()
    parts = {
        "theory": result.theory_score is not None and result.theory_score >= mark,
        "practical": result.practical_score is not None and result.practical_score >= mark,
    }
    if level in ("2", "1"):
        parts["review"] = result.review_score is not None and result.review_score >= mark
    return parts


def result_parts_passed(registration: Registration) -> dict[str, bool]:
    """Which parts the candidate has passed, counting a retake on top of the first attempt."""
    level = registration.announcement.level
    passed: dict[str, bool] = {}
    for result in registration.results.filter(confirmed_at__isnull=False).order_by("attempt"):
        for part, ok in _parts_passed(result, level).items():
            took_part = getattr(result, f"{part}_score") is not None
            if took_part or part not in passed:
                passed[part] = passed.get(part, False) or ok
    return passed


@service
def result_enter(
    *,
    actor: User,
    registration: Registration,
    theory_score: Decimal | None,
    practical_score: Decimal | None,
    review_score: Decimal | None = None,
    late_entry_approval: LateEntryApproval | None = None,
) -> ExamResult:
    """Enter (or correct, until confirmed) the scores of the candidate's current attempt.
    Scores of an exam held by the completion date but first entered after it are a late
    entry (``late_entry_check``)."""
    registration = _locked(registration)
    _require_status(registration, [Status.EXAMINED, Status.RETAKE], "录入成绩")
    if registration.status == Status.RETAKE:
        retake = registration.retake
        if retake.session is None or not retake.session.held:
            raise RuleError("补考尚未举行，不能录入补考成绩。")
        attempt, session = ExamResult.Attempt.RETAKE, retake.session
        if _absent(registration, session):
            raise RuleError(f"{registration.candidate.name}补考缺考，没有成绩可录入。")
        needed = {"theory": retake.parts in ("theory", "both"), "practical": retake.parts in ("practical", "both")}
        theory_score, practical_score = _voided(registration, session, needed, theory_score, practical_score)
        if (theory_score is not None) != needed["theory"] or (practical_score is not None) != needed["practical"]:
            raise RuleError(f"补考只考“{retake.get_parts_display()}”，只能录入这部分成绩。")
    else:
        attempt = ExamResult.Attempt.FIRST
        seat = (
            registration.seats.filter(session__kind=ExamSession.Kind.EXAM, session__held=True)
            .exclude(checkin__attendance=SeatCheckIn.Attendance.ABSENT)
            .first()
        )
        if seat is None:
            raise RuleError("考生没有已举行（且到考）的鉴定考试场次，不能录入成绩。")
        session = seat.session
        theory_score, practical_score = _voided(
            registration, session, {"theory": True, "practical": True}, theory_score, practical_score
        )
        if theory_score is None or practical_score is None:
            raise RuleError("首次鉴定须录入理论知识考试和操作技能考核两项成绩。")
    unauthorised = rules.station_not_authorised(
        authority=StationAuthority(registration.station),
        occupation=registration.announcement.occupation,
        level=registration.announcement.level,
        day=clock.today(),
        act="录入成绩",
    )
    if unauthorised:
        raise unauthorised.error()
    if registration.announcement.level in ("2", "1") and attempt == ExamResult.Attempt.FIRST and review_score is None:
        raise RuleError("技师、高级技师须录入综合评审成绩。")
    result = ExamResult.objects.filter(registration=registration, attempt=attempt).first()
    if result and result.is_locked:
        raise RuleError("成绩已复核确认并锁定；如需更正，请办理成绩更正并写明理由。")
    found = None
    if result is None:
        found = late_entry_check(
            actor=actor,
            station=registration.station,
            act=rules.RESULT,
            act_date=session.date,
            deadlines=case_deadlines(registration),
            candidate_ids=[registration.candidate_id],
            approval=late_entry_approval,
            kind=session.kind,
        )
        result = ExamResult(
            registration=registration,
            session=session,
            attempt=attempt,
            entered_by=actor,
            entered_at=found.entered_at,
        )
    result.theory_score, result.practical_score, result.review_score = theory_score, practical_score, review_score
    result.entered_by = actor
    result.full_clean()
    result.save()
    if found is not None:
        _late_recorded(
            found,
            actor=actor,
            station=registration.station,
            record_id=result.pk,
            candidate_id=registration.candidate_id,
        )
    return result


def _settle(registration: Registration, result: ExamResult) -> None:
    """Move the registration to its outcome once a result is confirmed."""
    all_passed = all(result_parts_passed(registration).values())
    result.passed = all_passed
    result.save(update_fields=["passed"])
    if result.attempt == ExamResult.Attempt.FIRST:
        _set_status(registration, Status.PASSED if all_passed else Status.FAILED)
    else:
        _set_status(registration, Status.PASSED if all_passed else Status.CLOSED)


@service
def result_confirm(*, actor: User, result: ExamResult, now: datetime.datetime | None = None) -> ExamResult:
    """A second person confirms the scores; they are then locked and the case moves on."""
    result = ExamResult.objects.select_for_update(of=("self",)).get(pk=result.pk)
    if result.is_locked:
        raise RuleError("成绩已复核确认。")
    if result.entered_by_id == actor.pk:
        raise RuleError("成绩须由录入人以外的另一人复核确认。")
    result.confirmed_by = actor
    result.confirmed_at = now or clock.now()
    result.save(update_fields=["confirmed_by", "confirmed_at"])
    _settle(_locked(result.registration), result)
    return result


SCORE_FIELDS = {
    "theory_score": "理论知识考试成绩",
    "practical_score": "操作技能考核成绩",
    "review_score": "综合评审成绩",
}


@service
def result_amend(*, actor: User, result: ExamResult, field: str, new_value: Decimal, reason: str) -> ScoreAmendment:
    """Correct a confirmed score: a recorded amendment with a reason, never a silent edit."""
    if field not in SCORE_FIELDS:
        raise RuleError(f"不能更正“{field}”。")
    if not reason.strip():
        raise RuleError("成绩更正必须写明理由。")
    result = ExamResult.objects.select_for_update(of=("self",)).get(pk=result.pk)
    if not result.is_locked:
        raise RuleError("成绩尚未复核确认，直接修改即可，无须办理更正。")
    registration = _locked(result.registration)
    if registration.status == Status.RETAKE or (
        result.attempt == ExamResult.Attempt.FIRST and hasattr(registration, "retake")
    ):
        raise RuleError("已申请补考，首次鉴定成绩不能再更正。")
    amendment = ScoreAmendment(
        result=result,
        field=field,
        old_value=getattr(result, field),
        new_value=new_value,
        reason=reason,
        amended_by=actor,
    )
    amendment.full_clean()
    amendment.save()
    setattr(result, field, new_value)
    result.full_clean()
    result.save(update_fields=[field])
    _settle(registration, result)
    return amendment


@service
def results_publish(*, actor: User, session: ExamSession, published_on: datetime.date) -> int:
    """Publish the confirmed results of a session for the publicity period (公示:
    default 5 working days). Certificates wait until the period has ended."""
    results = list(ExamResult.objects.filter(session=session, confirmed_at__isnull=False, published_on__isnull=True))
    if not results:
        raise RuleError("该场次没有已复核确认、待公示的成绩。")
    if published_on < session.date:
        raise RuleError("公示日期不能早于考试日期。")
    last_day = publicity_last_day(published_on, conf.publicity_working_days())
    for result in results:
        result.published_on = published_on
        result.publicity_last_day = last_day
    ExamResult.objects.bulk_update(results, ["published_on", "publicity_last_day"])
    return len(results)


# --- retake, withdrawal ---------------------------------------------------------------------


@service
def retake_request(*, actor: User, registration: Registration, requested_date: datetime.date) -> Retake:
    """The candidate chooses one retake after a fail, for the failed parts only, by the
    retake's completion deadline (``rules.completion_deadline``; Fujian: 2020-12-31)."""
    registration = _locked(registration)
    if Retake.objects.filter(registration=registration).exists():
        raise RuleError("每位考生只能补考一次。")
    _require_status(registration, [Status.FAILED], "申请补考")
    late = rules.completion_late(
        deadlines=case_deadlines(registration), kind=rules.RETAKE, day=requested_date, act="申请补考"
    )
    if late:
        raise late.error()
    passed = result_parts_passed(registration)
    failed = {part for part, ok in passed.items() if not ok}
    if failed == {"review"}:
        raise RuleError("只有综合评审未通过，补考不适用，请按综合评审办法处理。")
    theory, practical = "theory" in failed, "practical" in failed
    parts = Retake.Parts.BOTH if theory and practical else (Retake.Parts.THEORY if theory else Retake.Parts.PRACTICAL)
    retake = Retake.objects.create(
        registration=registration, requested_date=requested_date, parts=parts, recorded_by=actor
    )
    _set_status(registration, Status.RETAKE)
    return retake


@service
def retake_assign_session(*, actor: User, retake: Retake, session: ExamSession) -> Retake:
    retake = Retake.objects.select_for_update(of=("self",)).select_related("session", "registration").get(pk=retake.pk)
    if session.kind != ExamSession.Kind.RETAKE:
        raise RuleError("只能安排到补考场次。")
    if session.occupation_id != retake.registration.announcement.occupation_id:
        raise RuleError("补考场次的职业与报名不一致。")
    current = retake.session
    if current is not None and current.held and not _absent(retake.registration, current):
        raise RuleError("已参加补考，不能再安排补考场次（每位考生只能补考一次）。")
    retake.session = session
    retake.save(update_fields=["session"])
    return retake


@service
def registration_close(*, actor: User, registration: Registration, reason: str = "放弃补考") -> Registration:
    """A failed candidate who does not take the retake: the case ends; the reason stays
    in the case's trace."""
    registration = _locked(registration)
    _require_status(registration, [Status.FAILED], "结案")
    with acting_as(actor, reason=f"结案：{reason}"):
        _set_status(registration, Status.CLOSED)
    return registration


@dataclass(frozen=True)
class RefundTerms:
    amount: Decimal
    refund_date: datetime.date
    method: str
    reason_kind: str  # Refund.Reason: a refund always says why (“其他” needs the text)
    reason: str = ""


@service
def registration_withdraw(*, actor: User, registration: Registration, refund: RefundTerms) -> Refund:
    """The candidate gives up before the exam: the fee is refunded and the registration
    leaves every session it was seated in; it never reaches an exam. The refund waits for a
    second person's confirmation (``refund_confirm``)."""
    registration = _locked(registration)
    _require_status(registration, Registration.BEFORE_EXAM, "放弃鉴定并退费")
    if refund.amount > registration.fee:
        raise RuleError(f"退费金额 {refund.amount} 元超过所缴鉴定费 {registration.fee} 元。")
    if refund.refund_date < registration.registration_date:
        raise RuleError("退费日期不能早于报名日期。")
    record = Refund(
        registration=registration,
        amount=refund.amount,
        refund_date=refund.refund_date,
        method=refund.method,
        reason_kind=refund.reason_kind,
        reason=refund.reason.strip(),
        recorded_by=actor,
    )
    record.full_clean()
    record.save()
    registration.seats.filter(session__held=False).delete()
    _set_status(registration, Status.WITHDRAWN)
    return record


@service
def refund_confirm(*, actor: User, refund: Refund, now: datetime.datetime | None = None) -> Refund:
    """A second person confirms that the money went back (four eyes on money, as on
    issuance): anyone of the refund's station or of a guidance centre over it who may
    change refunds, never the person who recorded it; once."""
    refund = Refund.objects.select_for_update(of=("self",)).select_related("registration__station").get(pk=refund.pk)
    if refund.confirmed_at is not None:
        raise RuleError(f"{refund}已于 {clock.local_day(refund.confirmed_at):%Y-%m-%d} 复核确认，不能重复确认。")
    if refund.recorded_by_id == actor.pk:
        raise RuleError("退费须由经办人以外的另一人复核确认。")
    station = refund.registration.station
    if not visible_stations(actor).filter(pk=station.pk).exists():
        raise RuleError(f"您无权确认{station.name}的退费。")
    refund.confirmed_by, refund.confirmed_at = actor, now or clock.now()
    refund.full_clean()
    refund.save(update_fields=["confirmed_by", "confirmed_at"])
    return refund


@service
def referral_record(
    *,
    actor: User,
    candidate: Candidate,
    occupation: Occupation,
    referred_on: datetime.date,
    organisation: EvaluationOrganisation,
    note: str = "",
) -> SkillLevelReferral:
    """Refer a student or apprentice to a recognised evaluation organisation that covers
    the occupation and the trainee's region (``EvaluationOrganisation.refusal_for``)."""
    if candidate.trainee_kind == Candidate.TraineeKind.NONE:
        raise RuleError(f"{candidate.name}不是按培养计划培养的学生或企业新型学徒，无须转介。")
    open_referral = (
        SkillLevelReferral.objects.filter(candidate=candidate, occupation=occupation)
        .exclude(status=SkillLevelReferral.Status.DECLINED)
        .first()
    )
    if open_referral is not None:
        raise RuleError(
            f"{candidate.name}的“{occupation.name}”已于 {open_referral.referred_on:%Y-%m-%d} 转介"
            f"（{open_referral.get_status_display()}），不能重复转介。"
        )
    referral = SkillLevelReferral(
        candidate=candidate,
        occupation=occupation,
        referred_on=referred_on,
        organisation=organisation,
        note=note,
        referred_by=actor,
    )
    refusal = organisation.refusal_for(occupation, referral.candidate_region())
    if refusal:
        raise RuleError(refusal)
    referral.full_clean()
    referral.save()
    return referral


REFERRAL_STEPS: dict[str, tuple[list[str], str, str]] = {
    # outcome: (allowed from, date field, label)
    SkillLevelReferral.Status.ACCEPTED: ([SkillLevelReferral.Status.REFERRED], "accepted_on", "受理"),
    SkillLevelReferral.Status.CERTIFIED: ([SkillLevelReferral.Status.ACCEPTED], "certified_on", "取证"),
    SkillLevelReferral.Status.DECLINED: (
        [SkillLevelReferral.Status.REFERRED, SkillLevelReferral.Status.ACCEPTED],
        "declined_on",
        "未受理或终止",
    ),
}


@service
def referral_outcome(
    *, actor: User, referral: SkillLevelReferral, outcome: str, day: datetime.date, note: str = ""
) -> SkillLevelReferral:
    """Record what became of a referral, with its date: accepted by the organisation,
    certified (a skill level certificate obtained) after acceptance, or declined/ended
    before that. A declined referral puts the trainee back on the routing list."""
    referral = SkillLevelReferral.objects.select_for_update(of=("self",)).get(pk=referral.pk)
    if outcome not in REFERRAL_STEPS:
        raise RuleError(f"未知的转介办理结果“{outcome}”。")
    allowed, field, label = REFERRAL_STEPS[outcome]
    if referral.status not in allowed:
        raise RuleError(f"{referral}当前为“{referral.get_status_display()}”，不能登记{label}。")
    if outcome == SkillLevelReferral.Status.CERTIFIED and referral.accepted_on is not None:
        earliest, since = referral.accepted_on, "受理"
    else:
        earliest, since = referral.referred_on, "转介"
    if day < earliest:
        raise RuleError(f"{label}日期 {day:%Y-%m-%d} 早于{since}日期 {earliest:%Y-%m-%d}。")
    if day > clock.today():
        raise RuleError(f"{label}日期 {day:%Y-%m-%d} 晚于今天，不能预先登记。")
    referral.status = outcome
    setattr(referral, field, day)
    if note.strip():
        referral.outcome_note = note.strip()
    referral.full_clean()
    referral.save(update_fields=["status", field, "outcome_note"])
    return referral


@service
def consent_attach_scan(*, actor: User, consent: ConsentForm, scan: Any) -> ConsentForm:
    """Attach the scanned form to a consent recorded without one. A scan once attached is
    never replaced: the archive binds it, with its hash, to the certificate."""
    consent = ConsentForm.objects.select_for_update(of=("self",)).get(pk=consent.pk)
    if consent.scan:
        raise RuleError("自愿书扫描件已上传，不能替换；如有错误请办理档案更正。")
    if consent.archived_at is not None:
        raise RuleError("自愿书已归档，不能再修改。")
    consent.scan = scan
    consent.full_clean()
    consent.save(update_fields=["scan"])
    return consent
