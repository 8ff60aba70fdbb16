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

from candidates.models import Candidate
from catalog.models import EligibilityRoute, Occupation, Region, Station, User
from catalog.selectors import (
    Deadlines,
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
    AppraisalApplication,
    Appraiser,
    ConsentForm,
    EligibilityReview,
    ExamAnnouncement,
    ExamResult,
    ExamRoom,
    ExamSession,
    Recusal,
    Refund,
    Registration,
    Retake,
    ScoreAmendment,
    SeatAssignment,
    SkillLevelReferral,
)

Status = Registration.Status


def _locked(registration: Registration) -> Registration:
    """Re-read the registration under a row lock so two clerks cannot race a transition."""
    return (
        Registration.objects.select_for_update()
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
) -> Registration:
    """Accept a registration: within the registration window of the occupation in the
    station's region, inside the catalog, candidate at least 16, no duplicate."""
    registration = Registration(
        candidate=candidate,
        announcement=announcement,
        station_id=announcement.station_id,
        registration_date=registration_date,
        fee=announcement.fee if fee is None else fee,
        registered_by=actor,
    )
    registration.full_clean()
    registration.save()
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
    *, actor: User, registration: Registration, signed_date: datetime.date, scan: Any = None
) -> ConsentForm:
    """Record the signed 职业技能鉴定自愿书. Without it there is no appraisal."""
    registration = _locked(registration)
    _require_status(registration, [Status.ELIGIBLE], "登记自愿书")
    if signed_date < registration.registration_date:
        raise RuleError("自愿书签署日期不能早于报名日期。")
    consent = ConsentForm(registration=registration, signed_date=signed_date, received_by=actor)
    if scan is not None:
        consent.scan = scan
    consent.full_clean()
    consent.save()
    _set_status(registration, Status.CONSENTED)
    return consent


# --- appraisal application ----------------------------------------------------------------


@service
def application_submit(
    *, actor: User, station: Station, registrations: Iterable[Registration], submitted_date: datetime.date
) -> AppraisalApplication:
    """A station applies to its guidance centre for consented registrations, by the
    application deadline of each registration's occupation (Fujian: 2020-10-31)."""
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
    application = AppraisalApplication.objects.create(
        station=station, centre=station.centre, submitted_date=submitted_date, submitted_by=actor
    )
    for registration in locked:
        registration.application = application
        registration.status = Status.APPLIED
        registration.save(update_fields=["application", "status"])
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
    application = AppraisalApplication.objects.select_for_update().get(pk=application.pk)
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
        for registration in application.registrations.select_for_update():
            registration.application = None
            registration.status = Status.CONSENTED
            registration.save(update_fields=["application", "status"])
    return application


# --- exam sessions -------------------------------------------------------------------------


def _check_session_rules(session: ExamSession) -> None:
    """Rules that must hold for a session to be scheduled and again when it is held:
    the first one broken is refused."""
    application = session.application
    deadlines = deadlines_for(session.occupation, application.station.region)
    checks = (
        lambda: rules.application_not_approved(approved=application.status == AppraisalApplication.Status.APPROVED),
        lambda: rules.session_before_approval(decided_date=application.decided_date, day=session.date),
        lambda: rules.application_late(
            deadlines=deadlines, occupation=session.occupation, submitted_date=application.submitted_date
        ),
        lambda: rules.completion_late(deadlines=deadlines, kind=session.kind, day=session.date),
        # Last: working out the site's region costs a query or two.
        lambda: rules.session_offsite_unapproved(offsite=session.is_offsite, approval=session.offsite_approval),
    )
    for check in checks:
        violation = check()
        if violation:
            raise violation.error()


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
        in_region=person.region_id in {r.pk for r in session.region.lineage()},
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
    paper_id: str,
    examiners: Iterable[Appraiser],
    supervisor: Appraiser | None = None,
    rooms: Iterable[tuple[str, int] | tuple[str, int, Sequence[Appraiser]]] = (("第1考场", 30),),
    kind: str = ExamSession.Kind.EXAM,
    offsite_approval: str = "",
    offsite_approved_by: str = "",
) -> ExamSession:
    """Schedule a session under an approved application, within the completion deadline,
    in the station's region unless an off-site approval is recorded, with a national
    question-bank paper, and staffed from the registry:

    1. the session's own rules (``_check_session_rules``);
    2. every examiner, invigilator and the supervisor usable on the day, in scope, free at
       that time, the supervisor not from the station (``_check_staff``);
    3. enough examiners (odd) for the candidates the session is for (``_check_staffing``).
    A room is ``(name, seats)`` or ``(name, seats, invigilators)``; invigilators are
    counted against the seats when candidates are seated."""
    examiners = list(examiners)
    application = AppraisalApplication.objects.select_related("station__region").get(pk=application.pk)
    if not paper_id:
        raise RuleError("必须填写国家题库试卷编号（从国家题库抽取试题组卷）。")
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
        paper_id=paper_id,
        supervisor=supervisor,
        offsite_approval=offsite_approval,
        offsite_approved_by=offsite_approved_by,
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
    return session


@service
def session_staff_set(
    *, actor: User, session: ExamSession, examiners: Iterable[Appraiser], supervisor: Appraiser | None
) -> ExamSession:
    """Replace the examiners and the supervisor of a session not yet held (after a
    recusal, a suspension or more candidates), under the same rules as scheduling; once
    seated, the staffing is counted against the seats."""
    session = ExamSession.objects.select_for_update().get(pk=session.pk)
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
    session = ExamSession.objects.select_for_update().get(pk=room.session_id)
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
    appraiser = Appraiser.objects.select_for_update().get(pk=appraiser.pk)
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
    session = ExamSession.objects.select_for_update().get(pk=session.pk)
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
def session_hold(*, actor: User, session: ExamSession) -> ExamSession:
    """Record that the session took place. Every seated candidate must have signed the
    consent form on or before the exam date; they move to “examined” (or stay “retake”)."""
    session = ExamSession.objects.select_for_update().get(pk=session.pk)
    if session.held:
        raise RuleError("该场次已登记为已举行。")
    _check_session_rules(session)
    seats = list(session.seats.select_related("registration__candidate"))
    if not seats:
        raise RuleError("该场次没有编排任何考生。")
    # The staff as on the day: still usable, no declared relation, enough of them.
    examiners = list(session.examiners.all())
    _check_staff(session, examiners, session.supervisor, _room_invigilators(session))
    _check_staffing(session, examiners=len(examiners), seated=_seated_per_room(session))
    for seat in seats:
        registration = _locked(seat.registration)
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


# --- results ----------------------------------------------------------------------------


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
) -> ExamResult:
    """Enter (or correct, until confirmed) the scores of the candidate's current attempt."""
    registration = _locked(registration)
    _require_status(registration, [Status.EXAMINED, Status.RETAKE], "录入成绩")
    if registration.status == Status.RETAKE:
        retake = registration.retake
        if retake.session is None or not retake.session.held:
            raise RuleError("补考尚未举行，不能录入补考成绩。")
        attempt, session = ExamResult.Attempt.RETAKE, retake.session
        needed = {"theory": retake.parts in ("theory", "both"), "practical": retake.parts in ("practical", "both")}
        if (theory_score is not None) != needed["theory"] or (practical_score is not None) != needed["practical"]:
            raise RuleError(f"补考只考“{retake.get_parts_display()}”，只能录入这部分成绩。")
    else:
        attempt = ExamResult.Attempt.FIRST
        seat = registration.seats.filter(session__kind=ExamSession.Kind.EXAM, session__held=True).first()
        if seat is None:
            raise RuleError("考生没有已举行的鉴定考试场次，不能录入成绩。")
        session = seat.session
        if theory_score is None or practical_score is None:
            raise RuleError("首次鉴定须录入理论知识考试和操作技能考核两项成绩。")
    if registration.announcement.level in ("2", "1") and attempt == ExamResult.Attempt.FIRST and review_score is None:
        raise RuleError("技师、高级技师须录入综合评审成绩。")
    result = ExamResult.objects.filter(registration=registration, attempt=attempt).first()
    if result and result.is_locked:
        raise RuleError("成绩已复核确认并锁定；如需更正，请办理成绩更正并写明理由。")
    if result is None:
        result = ExamResult(registration=registration, session=session, attempt=attempt, entered_by=actor)
    result.theory_score, result.practical_score, result.review_score = theory_score, practical_score, review_score
    result.entered_by = actor
    result.full_clean()
    result.save()
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
    result = ExamResult.objects.select_for_update().get(pk=result.pk)
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
    result = ExamResult.objects.select_for_update().get(pk=result.pk)
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
    if session.kind != ExamSession.Kind.RETAKE:
        raise RuleError("只能安排到补考场次。")
    if session.occupation_id != retake.registration.announcement.occupation_id:
        raise RuleError("补考场次的职业与报名不一致。")
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
    reason: str = ""


@service
def registration_withdraw(*, actor: User, registration: Registration, refund: RefundTerms) -> Refund:
    """The candidate gives up before the exam: the fee is refunded and the registration
    leaves every session it was seated in; it never reaches an exam."""
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
        reason=refund.reason,
        recorded_by=actor,
    )
    record.full_clean()
    record.save()
    registration.seats.filter(session__held=False).delete()
    _set_status(registration, Status.WITHDRAWN)
    return record


@service
def referral_record(
    *,
    actor: User,
    candidate: Candidate,
    occupation: Occupation,
    referred_on: datetime.date,
    referred_to: str,
    note: str = "",
) -> SkillLevelReferral:
    """Record that a student or apprentice was routed to skill level recognition."""
    if candidate.trainee_kind == Candidate.TraineeKind.NONE:
        raise RuleError(f"{candidate.name}不是按培养计划培养的学生或企业新型学徒，无须转介。")
    if not referred_to.strip():
        raise RuleError("请填写转介至哪一家用人单位或社会培训评价组织。")
    referral = SkillLevelReferral(
        candidate=candidate,
        occupation=occupation,
        referred_on=referred_on,
        referred_to=referred_to,
        note=note,
        referred_by=actor,
    )
    referral.full_clean()
    referral.save()
    return referral


@service
def consent_attach_scan(*, actor: User, consent: ConsentForm, scan: Any) -> ConsentForm:
    """Attach the scanned form to a consent recorded without one. A scan once attached is
    never replaced: the archive binds it, with its hash, to the certificate."""
    consent = ConsentForm.objects.select_for_update().get(pk=consent.pk)
    if consent.scan:
        raise RuleError("自愿书扫描件已上传，不能替换；如有错误请办理档案更正。")
    if consent.archived_at is not None:
        raise RuleError("自愿书已归档，不能再修改。")
    consent.scan = scan
    consent.full_clean()
    consent.save(update_fields=["scan"])
    return consent
