"""The demo's certificates: five appraisals held earlier in 2020, issued from July to
early September, with their archive records, so that the lookup, the archive, the
supervisors' queue and the later states of a case (failed, retake, closed, certified,
printed, handed out) have something to show on the business date (2020-09-20). Made
through the services, as the people whose job it is, each act with the clock on its own
day (``demo.timeline.on``); the supervisors' acts are in ``demo.supervision``. All of it
happened before ``demo.timeline.EARLIEST_BUSINESS_DATE``. Idempotent."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from appraisals import services
from appraisals.models import AppraisalApplication, ExamAnnouncement, ExamSession, Registration
from candidates.models import Candidate
from catalog import roles
from catalog.models import SkillLevel, Station
from certificates import services as certificate_services
from certificates.models import Certificate, IssuanceBatch

from . import examday
from . import supervision as supervision_acts
from .cases import (
    EXAM_PLACES,
    FEES,
    ONE_DAY,
    PASSED,
    SEED,
    SLOTS,
    AnnouncementPlan,
    CasePlan,
    D,
    DemoBuilder,
    at,
    consent_scan,
    made,
)
from .people import STATION_CODES, first_with_role
from .registry import irregular_examiners, irregular_session_staff, revoke_back_to, session_staff
from .timeline import on

# The year's cases (demo.cases) reach their first exams in September, too late for a
# certificate on the demo's business date (2020-09-20). The certificates come from five
# appraisals held earlier in 2020 instead: announced in May and June, examined in June and
# July, results published for 5 working days, issued from July. Every act is dated before the
# business date, and every act goes through the services, as the people whose job it is:
#
#     XM001 美发师 (5)      8 candidates, one fails; issued 07-08 (officer_xm prepares,
#                           officer_fj approves), printed and handed out
#     FZ001 育婴员 (5)      5 candidates; issued 07-22 (officer_fz prepares, officer_fj
#                           approves), printed
#     FZ001 保育员 (5)      6 candidates, 5 with the same scores: flagged (成绩雷同), a
#                           hotline complaint about the exam, a supervision finding: their
#                           certificates are held in the 07-22 batch
#     XM003 中式面点师 (5)  6 candidates and one examiner with a valid certificate (the
#                           standard: 1 to 5; the other two's registry entries revoked on
#                           07-24 back to 07-01): the batch is held as rushed (07-29) and
#                           waits in the supervisors' queue
#     XM002 电工 (5)        7 candidates, three fail the practical assessment: one gives the
#                           retake up (closed, 07-10), two retake it on 08-18: one passes,
#                           one fails (closed); the four who passed are issued 07-22
#                           (printed, handed out), the one who passed the retake 09-03
#                           (issued, not printed yet)
#
# and a letter about XM001, investigated and closed with a finding.

EARLY_TITLE = "{station}2020年上半年{occupation}（{level}）职业技能鉴定考试公告"


@dataclass(frozen=True)
class EarlyExam:
    """An announcement of the first half of 2020 and the one session its candidates sit."""

    announcement: AnnouncementPlan
    size: int
    last_registration: datetime.date
    exam_day: datetime.date
    slot: int
    examiners: int  # how many of the station's examiners sit validly (the irregular session: one)
    confirmed_on: datetime.date
    published_on: datetime.date
    failing: int = 0
    identical: int = 0  # candidates given the same pair of scores


@dataclass(frozen=True)
class EarlyApplication:
    station: str
    exams: tuple[EarlyExam, ...]
    submitted: datetime.date
    decided: datetime.date


HAIR = EarlyExam(
    announcement=AnnouncementPlan("XM001", "美发师", "5", D(2020, 5, 8)),
    size=8,
    last_registration=D(2020, 5, 22),
    exam_day=D(2020, 6, 16),
    slot=0,
    examiners=3,
    confirmed_on=D(2020, 6, 19),
    published_on=D(2020, 6, 22),  # 5 working days across the Dragon Boat holiday: to 06-29
    failing=1,
)
INFANT_CARE = EarlyExam(
    announcement=AnnouncementPlan("FZ001", "育婴员", "5", D(2020, 5, 15)),
    size=5,
    last_registration=D(2020, 5, 29),
    exam_day=D(2020, 7, 1),
    slot=0,
    examiners=3,
    confirmed_on=D(2020, 7, 6),
    published_on=D(2020, 7, 8),  # to 07-14
)
NURSERY = EarlyExam(
    announcement=AnnouncementPlan("FZ001", "保育员", "5", D(2020, 5, 15)),
    size=6,
    last_registration=D(2020, 5, 29),
    exam_day=D(2020, 7, 2),
    slot=0,
    examiners=3,
    confirmed_on=D(2020, 7, 7),
    published_on=D(2020, 7, 8),
    identical=5,
)
PASTRY = EarlyExam(
    announcement=AnnouncementPlan("XM003", "中式面点师", "5", D(2020, 6, 1)),
    size=6,
    last_registration=D(2020, 6, 12),
    exam_day=D(2020, 7, 9),
    slot=1,
    examiners=1,
    confirmed_on=D(2020, 7, 13),
    published_on=D(2020, 7, 14),  # to 07-20
)
ELECTRICIAN = EarlyExam(
    announcement=AnnouncementPlan("XM002", "电工", "5", D(2020, 5, 20)),
    size=7,
    last_registration=D(2020, 6, 5),
    exam_day=D(2020, 6, 30),
    slot=0,
    examiners=3,
    confirmed_on=D(2020, 7, 3),
    published_on=D(2020, 7, 6),  # to 07-10
    failing=3,
)
EARLY_APPLICATIONS = (
    EarlyApplication("XM001", (HAIR,), submitted=D(2020, 6, 1), decided=D(2020, 6, 3)),
    EarlyApplication("FZ001", (INFANT_CARE, NURSERY), submitted=D(2020, 6, 8), decided=D(2020, 6, 10)),
    EarlyApplication("XM003", (PASTRY,), submitted=D(2020, 6, 22), decided=D(2020, 6, 24)),
)
# Told after the others, with a random stream of its own: the first four come out the same
# as before it was added (the first Xiamen certificate stays FJ-XM-2020-000001, 蔡文鑫).
RETAKE_APPLICATION = EarlyApplication("XM002", (ELECTRICIAN,), submitted=D(2020, 6, 15), decided=D(2020, 6, 17))
EARLY_EXAMS = tuple(exam for application in EARLY_APPLICATIONS for exam in application.exams)
ALL_EARLY_EXAMS = (*EARLY_EXAMS, *RETAKE_APPLICATION.exams)
# The retake of the XM002 electricians: asked for 07-08, scheduled 07-20, held 08-18,
# confirmed 08-20, published 08-21 (to 08-28); the one who passed is issued 09-03.
RETAKE_REQUESTED = D(2020, 7, 8)
RETAKE_GIVEN_UP = D(2020, 7, 10)
RETAKE_SCHEDULED = D(2020, 7, 20)
RETAKE_DAY = D(2020, 8, 18)
RETAKE_CONFIRMED = D(2020, 8, 20)
RETAKE_PUBLISHED = D(2020, 8, 21)
IDENTICAL_SCORES = (Decimal("80.0"), Decimal("85.0"))


def early_title(station: Station, plan: AnnouncementPlan) -> str:
    return EARLY_TITLE.format(station=station.name, occupation=plan.occupation, level=SkillLevel(plan.level).label)


def demo_certificates_load(seed: int = SEED) -> bool:
    """Generate the certificate and supervision cases, unless they are there already (then
    False). Call inside a transaction, after ``demo_cases_load`` (its stations and people)."""
    stations = {s.code: s for s in Station.objects.filter(code__in=STATION_CODES).select_related("region", "centre")}
    missing = set(STATION_CODES) - set(stations)
    if missing:
        raise RuntimeError(f"缺少演示鉴定站：{'、'.join(sorted(missing))}")
    titles = [early_title(stations[e.announcement.station], e.announcement) for e in ALL_EARLY_EXAMS]
    if ExamAnnouncement.objects.filter(station__in=stations.values(), title__in=titles).exists():
        return False
    # Seeds of their own: the cases above come out the same whether or not these exist.
    story = _EarlyCertificates(DemoBuilder(random.Random(seed + 1), stations))
    story.run()
    story.retake_story(DemoBuilder(random.Random(seed + 2), stations))
    return True


def verify_example() -> Certificate | None:
    """A valid certificate of the demo a visitor can look up at /verify/ (number and name)."""
    return (
        Certificate.objects.valid()
        .filter(registration__station__code__in=STATION_CODES)
        .order_by("issue_date", "number")
        .first()
    )


class _EarlyCertificates:
    """The story of the early appraisals. Each daily supervision run (``sweep``) comes
    after what it should flag on its day and before what it should not see yet."""

    def __init__(self, people: DemoBuilder) -> None:
        self.people = people
        self.stations = people.stations
        self.staff = people.staff
        self.registrations: dict[EarlyExam, list[Registration]] = {}
        self.sessions: dict[EarlyExam, ExamSession] = {}
        # The officer of the station's own centre prepares; the provincial officer approves.
        province = self.stations["XM001"].centre.parent
        approver = first_with_role(province, roles.CENTRE_OFFICER) if province else None
        supervisor = first_with_role(province, roles.SUPERVISOR) if province else None
        if approver is None or supervisor is None:
            raise RuntimeError("缺少福建省指导中心审核员或督导员，无法生成证书演示案例。")
        self.approver = approver
        self.supervisor = supervisor
        people.names |= set(Candidate.objects.values_list("name", flat=True))

    # registration to publication ------------------------------------------------------------------

    def register(self, exams: tuple[EarlyExam, ...], applications: tuple[EarlyApplication, ...]) -> None:
        """Candidates, announcements, registrations, review and consent (with its scan)."""
        people = self.people
        rng = people.rng
        # Entered in the system the day after the announcement at the earliest (the day of
        # their registration is drawn below, after the people: the random stream stays).
        cases = [
            CasePlan(
                PASSED,
                e.announcement,
                e.announcement.station,
                registration_date=e.announcement.publish_date + ONE_DAY,
            )
            for e in exams
            for _ in range(e.size)
        ]
        people.cases = cases
        people.create_candidates()
        submitted = {e: a.submitted for a in applications for e in a.exams}
        for exam in exams:
            plan = exam.announcement
            station = self.stations[plan.station]
            clerk = self.staff[plan.station].clerk
            with on(plan.publish_date):
                announcement = services.announcement_publish(
                    actor=clerk,
                    station=station,
                    occupation=people.occupations[plan.occupation],
                    level=plan.level,
                    publish_date=plan.publish_date,
                    title=early_title(station, plan),
                    fee=FEES[plan.level],
                )
            group = [c for c in cases if c.announcement == plan]
            for case in group:
                case.registration_date = people.day_between(plan.publish_date + ONE_DAY, exam.last_registration)
            registrations = []
            for case in sorted(group, key=lambda c: (c.registration_date, made(c.candidate, "考生").id_number)):
                registration_date = made(case.registration_date, "报名日期")
                with on(registration_date):
                    registration = services.registration_accept(
                        actor=clerk,
                        candidate=made(case.candidate, "考生"),
                        announcement=announcement,
                        registration_date=registration_date,
                    )
                last_day = submitted[exam] - ONE_DAY
                review_day = min(registration_date + rng.randint(1, 3) * ONE_DAY, last_day)
                with on(review_day):
                    services.eligibility_review(actor=clerk, registration=registration, review_date=review_day)
                signed = min(review_day + rng.randint(0, 5) * ONE_DAY, last_day)
                with on(signed):
                    services.consent_record(
                        actor=clerk, registration=registration, signed_date=signed, scan=consent_scan(registration)
                    )
                registrations.append(registration)
            self.registrations[exam] = sorted(registrations, key=lambda r: r.candidate.id_number)

    def appraise(self, application_plan: EarlyApplication) -> AppraisalApplication:
        """Apply, get approval, hold each session, enter and confirm the scores (two
        people), publish the results for the publicity period."""
        station = application_plan.station
        staff = self.staff[station]
        with on(application_plan.submitted):
            application = services.application_submit(
                actor=staff.clerk,
                station=self.stations[station],
                registrations=[r for e in application_plan.exams for r in self.registrations[e]],
                submitted_date=application_plan.submitted,
            )
        with on(application_plan.decided):
            application = services.application_decide(
                actor=staff.officer, application=application, approve=True, decided_date=application_plan.decided
            )
        for exam in application_plan.exams:
            plan = exam.announcement
            examiners = staff.examiners[: exam.examiners]
            self.people.papers += 1
            with on(application_plan.decided + ONE_DAY):
                session = services.session_schedule(
                    actor=staff.clerk,
                    application=application,
                    occupation=self.people.occupations[plan.occupation],
                    level=plan.level,
                    date=exam.exam_day,
                    start_time=SLOTS[exam.slot][0],
                    end_time=SLOTS[exam.slot][1],
                    place=EXAM_PLACES[station],
                    region=self.stations[station].region,
                    **(
                        session_staff(
                            station=self.stations[station],
                            level=plan.level,
                            candidates=exam.size,
                            day=exam.exam_day,
                            start=SLOTS[exam.slot][0],
                            end=SLOTS[exam.slot][1],
                            examiners=examiners,
                            supervisor=staff.supervisor,
                            rooms=[("第1考场", 30)],
                        )
                        if exam.examiners > 1
                        else irregular_session_staff(self.stations[station], examiners[0])
                    ),
                )
                examday.paper_for(session, staff, f"GJTK-2020H1-{plan.level}{self.people.papers:04d}")
                services.seats_assign(actor=staff.clerk, session=session)
            with on(exam.exam_day):
                services.session_hold(actor=staff.clerk, session=session)
            self.sessions[exam] = session
            # The second person who confirms is the next examiner of the station.
            enterer = examiners[0]
            checker = staff.examiners[(staff.examiners.index(enterer) + 1) % len(staff.examiners)]
            registrations = self.registrations[exam]
            for n, registration in enumerate(registrations):
                if n < exam.identical:
                    theory, practical = IDENTICAL_SCORES
                elif n >= len(registrations) - exam.failing:
                    theory, practical = self.people.score(True), self.people.score(False)
                else:
                    theory, practical = self.people.score(True), self.people.score(True)
                with on(exam.exam_day + ONE_DAY):
                    result = services.result_enter(
                        actor=enterer, registration=registration, theory_score=theory, practical_score=practical
                    )
                with on(exam.confirmed_on):
                    services.result_confirm(actor=checker, result=result, now=at(exam.confirmed_on, 15, 30))
            with on(exam.published_on):
                services.results_publish(actor=staff.clerk, session=session, published_on=exam.published_on)
        return application

    # issuance --------------------------------------------------------------------------------------

    def passed(self, *exams: EarlyExam) -> list[Registration]:
        ids = [r.pk for e in exams for r in self.registrations[e]]
        return list(Registration.objects.filter(pk__in=ids, status=Registration.Status.PASSED).order_by("pk"))

    def prepare(self, station: str, registrations: list[Registration], day: datetime.date, note: str) -> IssuanceBatch:
        with on(day):
            return certificate_services.batch_prepare(
                actor=self.staff[station].officer,
                centre=self.stations[station].centre,
                registrations=registrations,
                prepared_on=day,
                note=note,
            )

    def approve(self, batch: IssuanceBatch, day: datetime.date) -> IssuanceBatch:
        with on(day):
            return certificate_services.batch_approve(actor=self.approver, batch=batch, issue_date=day, now=at(day, 10))

    def printed(self, station: str, batch: IssuanceBatch, day: datetime.date) -> None:
        with on(day):
            certificate_services.batch_mark_printed(actor=self.staff[station].officer, batch=batch, printed_on=day)

    def handed_out(self, station: str, batch: IssuanceBatch, day: datetime.date) -> None:
        with on(day):
            certificate_services.batch_mark_handed_out(
                actor=self.staff[station].officer, batch=batch, handed_out_on=day
            )

    # the story ---------------------------------------------------------------------------------

    def run(self) -> None:
        self.register(EARLY_EXAMS, EARLY_APPLICATIONS)
        xm001, fz001, xm003 = EARLY_APPLICATIONS
        supervisor = self.supervisor

        # XM001: issued, printed, handed out. A letter about its fees, investigated and closed.
        self.appraise(xm001)
        with on(D(2020, 6, 24)):
            letter = supervision_acts.fee_letter_received(supervisor=supervisor, station=self.stations["XM001"])
        batch = self.prepare(
            "XM001", self.passed(*xm001.exams), D(2020, 7, 6), "2020年上半年美发师（五级）鉴定合格人员"
        )
        batch = self.approve(batch, D(2020, 7, 8))
        self.printed("XM001", batch, D(2020, 7, 10))
        with on(D(2020, 7, 10)):
            supervision_acts.fee_letter_closed(supervisor=supervisor, complaint=letter)
        self.handed_out("XM001", batch, D(2020, 7, 15))

        # FZ001: a hotline complaint about the 保育员 exam; the next morning's run flags its
        # identical scores; a supervisor takes the item and opens a finding between the
        # batch's preparation and its approval: those certificates are held.
        self.appraise(fz001)
        with on(D(2020, 7, 3)):
            supervision_acts.exam_discipline_call_received(supervisor=supervisor, station=self.stations["FZ001"])
        with on(D(2020, 7, 8)):
            supervision_acts.sweep(D(2020, 7, 8))
        nursery = self.sessions[NURSERY]
        with on(D(2020, 7, 9)):
            supervision_acts.remote_monitoring_recorded(supervisor=supervisor, session=nursery)
        batch = self.prepare(
            "FZ001", self.passed(*fz001.exams), D(2020, 7, 20), "2020年上半年育婴员、保育员（五级）鉴定合格人员"
        )
        with on(D(2020, 7, 21)):
            supervision_acts.identical_scores_finding_opened(supervisor=supervisor, session=nursery)
        batch = self.approve(batch, D(2020, 7, 22))
        self.printed("FZ001", batch, D(2020, 7, 24))

        # XM003: one examiner for six candidates: the other two's registry entries are
        # revoked afterwards back to before the exam (their certificates had run out), so
        # the approval holds the batch as rushed, and the next morning's run puts it in the
        # supervisors' queue.
        self.appraise(xm003)
        revoke_back_to(
            irregular_examiners(self.stations["XM003"]),
            recorded=D(2020, 7, 24),
            effective=D(2020, 7, 1),
            actor=self.staff["XM003"].officer,
        )
        batch = self.prepare(
            "XM003", self.passed(*xm003.exams), D(2020, 7, 27), "2020年上半年中式面点师（五级）鉴定合格人员"
        )
        self.approve(batch, D(2020, 7, 29))
        with on(D(2020, 7, 30)):
            supervision_acts.sweep(D(2020, 7, 30))

        # Early September: a report through the public form about XM001, not yet assigned.
        with on(D(2020, 9, 3)):
            supervision_acts.certificate_sale_report_received(station=self.stations["XM001"])

    def retake_story(self, people: DemoBuilder) -> None:
        """XM002's electricians: three fail the practical assessment; one gives the retake
        up, two retake it (one passes, one fails); the first-attempt passers are issued,
        printed and handed out, the retake's passer issued only."""
        self.people = people
        people.names |= set(Candidate.objects.values_list("name", flat=True))
        people.ids |= set(Candidate.objects.values_list("id_number", flat=True))
        self.register(RETAKE_APPLICATION.exams, (RETAKE_APPLICATION,))
        application = self.appraise(RETAKE_APPLICATION)
        [exam] = RETAKE_APPLICATION.exams
        station = RETAKE_APPLICATION.station
        staff = self.staff[station]
        first_passed = self.passed(exam)
        given_up, *retakers = self.registrations[exam][-exam.failing :]

        with on(RETAKE_GIVEN_UP):
            services.registration_close(actor=staff.clerk, registration=given_up, reason="考生放弃补考")
        retakes = []
        for registration in retakers:
            with on(RETAKE_REQUESTED):
                retakes.append(
                    services.retake_request(
                        actor=staff.clerk, registration=registration, requested_date=RETAKE_REQUESTED
                    )
                )
        people.papers += 1
        with on(RETAKE_SCHEDULED):
            session = services.session_schedule(
                actor=staff.clerk,
                application=application,
                occupation=people.occupations[exam.announcement.occupation],
                level=exam.announcement.level,
                date=RETAKE_DAY,
                start_time=SLOTS[0][0],
                end_time=SLOTS[0][1],
                place=EXAM_PLACES[station],
                region=self.stations[station].region,
                **session_staff(
                    station=self.stations[station],
                    level=exam.announcement.level,
                    candidates=len(retakes),
                    day=RETAKE_DAY,
                    start=SLOTS[0][0],
                    end=SLOTS[0][1],
                    examiners=staff.examiners[:3],
                    supervisor=staff.supervisor,
                    rooms=[("补考考场", 30)],
                ),
                kind=ExamSession.Kind.RETAKE,
            )
            examday.paper_for(session, staff, f"GJTK-2020H1-{exam.announcement.level}{people.papers:04d}")
            for retake in retakes:
                services.retake_assign_session(actor=staff.clerk, retake=retake, session=session)
            services.seats_assign(actor=staff.clerk, session=session)
        with on(RETAKE_DAY):
            services.session_hold(actor=staff.clerk, session=session)
        enterer, checker = staff.examiners[0], staff.examiners[1]
        for n, registration in enumerate(retakers):
            with on(RETAKE_DAY + ONE_DAY):
                result = services.result_enter(
                    actor=enterer, registration=registration, theory_score=None, practical_score=people.score(n == 0)
                )
            with on(RETAKE_CONFIRMED):
                services.result_confirm(actor=checker, result=result, now=at(RETAKE_CONFIRMED, 15, 30))
        with on(RETAKE_PUBLISHED):
            services.results_publish(actor=staff.clerk, session=session, published_on=RETAKE_PUBLISHED)

        batch = self.prepare(station, first_passed, D(2020, 7, 20), "2020年上半年电工（五级）鉴定合格人员")
        batch = self.approve(batch, D(2020, 7, 22))
        self.printed(station, batch, D(2020, 7, 28))
        self.handed_out(station, batch, D(2020, 8, 4))
        retake_passed = [r for r in self.passed(exam) if r not in first_passed]
        batch = self.prepare(station, retake_passed, D(2020, 8, 31), "2020年上半年电工（五级）补考合格人员")
        self.approve(batch, D(2020, 9, 3))
