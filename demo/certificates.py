"""The demo's certificates: four appraisals held earlier in 2020, issued in July, with
their archive records, so that the lookup, the archive and the supervisors' queue have
something to show on the business date (2020-09-20). Made through the services, as the
people whose job it is; the supervisors' acts are in ``demo.supervision``. Idempotent."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile

from appraisals import services
from appraisals.models import ExamAnnouncement, ExamSession, Registration
from candidates.models import Candidate
from catalog import roles
from catalog.models import SkillLevel, Station
from certificates import documents
from certificates import services as certificate_services
from certificates.models import Certificate, IssuanceBatch

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
    made,
)
from .people import STATION_CODES, first_with_role

# The year's cases (demo.cases) reach their exams in November, after the demo's business date (2020-09-20),
# so none of them can hold a certificate on that day. The certificates come from four
# appraisals held earlier in 2020 instead: announced in May and June, examined in June and
# July, results published for 5 working days, issued in July. Every act is dated before the
# business date, and every act goes through the services, as the people whose job it is:
#
#     XM001 美发师 (5)      8 candidates, one fails; issued 07-08 (officer_xm prepares,
#                           officer_fj approves), printed and handed out
#     FZ001 育婴员 (5)      5 candidates; issued 07-22 (officer_fz prepares, officer_fj
#                           approves), printed
#     FZ001 保育员 (5)      6 candidates, 5 with the same scores: flagged (成绩雷同), a
#                           hotline complaint about the exam, a supervision finding: their
#                           certificates are held in the 07-22 batch
#     XM003 中式面点师 (5)  6 candidates and one examiner (the standard: 1 to 5): the batch
#                           is held as rushed (07-29) and waits in the supervisors' queue
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
    examiners: int  # how many of the station's examiners sit (the irregular session: one)
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
EARLY_APPLICATIONS = (
    EarlyApplication("XM001", (HAIR,), submitted=D(2020, 6, 1), decided=D(2020, 6, 3)),
    EarlyApplication("FZ001", (INFANT_CARE, NURSERY), submitted=D(2020, 6, 8), decided=D(2020, 6, 10)),
    EarlyApplication("XM003", (PASTRY,), submitted=D(2020, 6, 22), decided=D(2020, 6, 24)),
)
EARLY_EXAMS = tuple(exam for application in EARLY_APPLICATIONS for exam in application.exams)
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
    titles = [early_title(stations[e.announcement.station], e.announcement) for e in EARLY_EXAMS]
    if ExamAnnouncement.objects.filter(station__in=stations.values(), title__in=titles).exists():
        return False
    # A seed of its own: the cases above come out the same whether or not these exist.
    return _EarlyCertificates(DemoBuilder(random.Random(seed + 1), stations)).run()


def verify_example() -> Certificate | None:
    """A valid certificate of the demo a visitor can look up at /verify/ (number and name)."""
    return (
        Certificate.objects.valid()
        .filter(registration__station__code__in=STATION_CODES)
        .order_by("issue_date", "number")
        .first()
    )


def consent_scan(registration: Registration) -> ContentFile:
    """The station's scan of the signed 职业技能鉴定自愿书: in the demo, the form the back
    office prints for the registration (certificates.documents), filled in."""
    return ContentFile(documents.consent_form_pdf(registration), name="自愿书.pdf")


class _EarlyCertificates:
    """The story of the four early appraisals. Each daily supervision run (``sweep``) comes
    after what it should flag on its day and before what it should not see yet."""

    def __init__(self, people: DemoBuilder) -> None:
        self.people = people
        self.rng = people.rng
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

    def register(self) -> None:
        """Candidates, announcements, registrations, review and consent (with its scan)."""
        rng = self.rng
        cases = [CasePlan(PASSED, e.announcement, e.announcement.station) for e in EARLY_EXAMS for _ in range(e.size)]
        self.people.cases = cases
        self.people.create_candidates()
        submitted = {e: a.submitted for a in EARLY_APPLICATIONS for e in a.exams}
        for exam in EARLY_EXAMS:
            plan = exam.announcement
            station = self.stations[plan.station]
            clerk = self.staff[plan.station].clerk
            announcement = services.announcement_publish(
                actor=clerk,
                station=station,
                occupation=self.people.occupations[plan.occupation],
                level=plan.level,
                publish_date=plan.publish_date,
                title=early_title(station, plan),
                fee=FEES[plan.level],
            )
            group = [c for c in cases if c.announcement == plan]
            for case in group:
                case.registration_date = self.people.day_between(plan.publish_date + ONE_DAY, exam.last_registration)
            registrations = []
            for case in sorted(group, key=lambda c: (c.registration_date, made(c.candidate, "考生").id_number)):
                registration_date = made(case.registration_date, "报名日期")
                registration = services.registration_accept(
                    actor=clerk,
                    candidate=made(case.candidate, "考生"),
                    announcement=announcement,
                    registration_date=registration_date,
                )
                last_day = submitted[exam] - ONE_DAY
                review_day = min(registration_date + rng.randint(1, 3) * ONE_DAY, last_day)
                services.eligibility_review(actor=clerk, registration=registration, review_date=review_day)
                signed = min(review_day + rng.randint(0, 5) * ONE_DAY, last_day)
                services.consent_record(
                    actor=clerk, registration=registration, signed_date=signed, scan=consent_scan(registration)
                )
                registrations.append(registration)
            self.registrations[exam] = sorted(registrations, key=lambda r: r.candidate.id_number)

    def appraise(self, application_plan: EarlyApplication) -> None:
        """Apply, get approval, hold each session, enter and confirm the scores (two
        people), publish the results for the publicity period."""
        station = application_plan.station
        staff = self.staff[station]
        application = services.application_submit(
            actor=staff.clerk,
            station=self.stations[station],
            registrations=[r for e in application_plan.exams for r in self.registrations[e]],
            submitted_date=application_plan.submitted,
        )
        services.application_decide(
            actor=staff.officer, application=application, approve=True, decided_date=application_plan.decided
        )
        for exam in application_plan.exams:
            plan = exam.announcement
            examiners = staff.examiners[: exam.examiners]
            self.people.papers += 1
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
                paper_id=f"GJTK-2020H1-{plan.level}{self.people.papers:04d}",
                examiners=examiners,
                supervisor=staff.supervisor if exam.examiners > 1 else None,  # the irregular one: nobody
                rooms=[("第1考场", 30)],
            )
            services.seats_assign(actor=staff.clerk, session=session)
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
                result = services.result_enter(
                    actor=enterer, registration=registration, theory_score=theory, practical_score=practical
                )
                services.result_confirm(actor=checker, result=result, now=at(exam.confirmed_on, 15, 30))
            services.results_publish(actor=staff.clerk, session=session, published_on=exam.published_on)

    # issuance --------------------------------------------------------------------------------------

    def passed(self, *exams: EarlyExam) -> list[Registration]:
        ids = [r.pk for e in exams for r in self.registrations[e]]
        return list(Registration.objects.filter(pk__in=ids, status=Registration.Status.PASSED).order_by("pk"))

    def prepare(self, station: str, exams: tuple[EarlyExam, ...], day: datetime.date, note: str) -> IssuanceBatch:
        return certificate_services.batch_prepare(
            actor=self.staff[station].officer,
            centre=self.stations[station].centre,
            registrations=self.passed(*exams),
            prepared_on=day,
            note=note,
        )

    def approve(self, batch: IssuanceBatch, day: datetime.date) -> IssuanceBatch:
        return certificate_services.batch_approve(actor=self.approver, batch=batch, issue_date=day, now=at(day, 10))

    # the story ---------------------------------------------------------------------------------

    def run(self) -> bool:
        self.register()
        xm001, fz001, xm003 = EARLY_APPLICATIONS
        officer_xm = self.staff["XM001"].officer
        supervisor = self.supervisor

        # XM001: issued, printed, handed out. A letter about its fees, investigated and closed.
        self.appraise(xm001)
        letter = supervision_acts.fee_letter_received(supervisor=supervisor, station=self.stations["XM001"])
        batch = self.prepare("XM001", xm001.exams, D(2020, 7, 6), "2020年上半年美发师（五级）鉴定合格人员")
        batch = self.approve(batch, D(2020, 7, 8))
        certificate_services.batch_mark_printed(actor=officer_xm, batch=batch, printed_on=D(2020, 7, 10))
        supervision_acts.fee_letter_closed(supervisor=supervisor, complaint=letter)
        certificate_services.batch_mark_handed_out(actor=officer_xm, batch=batch, handed_out_on=D(2020, 7, 15))

        # FZ001: a hotline complaint about the 保育员 exam; the next morning's run flags its
        # identical scores; a supervisor takes the item and opens a finding between the
        # batch's preparation and its approval: those certificates are held.
        self.appraise(fz001)
        supervision_acts.exam_discipline_call_received(supervisor=supervisor, station=self.stations["FZ001"])
        supervision_acts.sweep(D(2020, 7, 8))
        nursery = self.sessions[NURSERY]
        supervision_acts.remote_monitoring_recorded(supervisor=supervisor, session=nursery)
        batch = self.prepare("FZ001", fz001.exams, D(2020, 7, 20), "2020年上半年育婴员、保育员（五级）鉴定合格人员")
        supervision_acts.identical_scores_finding_opened(supervisor=supervisor, session=nursery)
        batch = self.approve(batch, D(2020, 7, 22))
        certificate_services.batch_mark_printed(
            actor=self.staff["FZ001"].officer, batch=batch, printed_on=D(2020, 7, 24)
        )

        # XM003: one examiner for six candidates: the approval holds the batch as rushed,
        # and the next morning's run puts it in the supervisors' queue.
        self.appraise(xm003)
        batch = self.prepare("XM003", xm003.exams, D(2020, 7, 27), "2020年上半年中式面点师（五级）鉴定合格人员")
        self.approve(batch, D(2020, 7, 29))
        supervision_acts.sweep(D(2020, 7, 30))

        return True
