"""The exam day in the demo: every session's paper from the national question bank, an
approved and a refused off-site request, and an off-site exam day at FZ001 with one
candidate present, one absent (缺考) and one caught in misconduct (违纪).

All of it in June 2020: in the past at any business date the demo accepts."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from appraisals import services
from appraisals.models import ExamPaper, ExamSession, OffsiteRequest, SeatCheckIn
from candidates.models import Candidate
from catalog.models import Region, Station

from . import cases as story  # cases calls paper_for: a module import, read at run time
from .people import STATION_CODES, StationStaff
from .registry import session_staff
from .timeline import on

D = datetime.date
TITLE = "福州一站2020年上半年中式烹调师（五级）莆田考点鉴定考试公告"
EXAM_DAY = D(2020, 6, 23)
SITE = "莆田市城厢区职业技术学校考点"


def paper_for(session: ExamSession, staff: StationStaff, number: str) -> ExamPaper:
    """The station requests the session's paper, its guidance centre issues it and hands it
    over to the clerk, all on the day the session is scheduled (the demo's clock)."""
    paper = services.paper_request(actor=staff.clerk, session=session)
    paper = services.paper_issue(actor=staff.officer, paper=paper, bank_paper_id=number)
    name = staff.clerk.get_full_name() or staff.clerk.username
    return services.paper_hand_over(actor=staff.officer, paper=paper, received_by=name)


def demo_examday_load(seed: int | None = None) -> bool:
    """Make the story unless it is there (then False). After the other demo stories."""
    stations = {s.code: s for s in Station.objects.filter(code__in=STATION_CODES).select_related("region", "centre")}
    if OffsiteRequest.objects.filter(station__in=stations.values()).exists():
        return False
    builder = story.DemoBuilder(random.Random((story.SEED if seed is None else seed) + 3), stations)
    builder.names |= set(Candidate.objects.values_list("name", flat=True))
    _refused_request(stations["XM002"], builder.staff["XM002"])
    _offsite_exam_day(builder)
    return True


def _refused_request(station: Station, staff: StationStaff) -> None:
    """XM002 asks to appraise 45 electricians in Changsha: refused (Fujian's ban)."""
    with on(D(2020, 6, 8)):
        request = services.offsite_request_submit(
            actor=staff.clerk,
            station=station,
            place="长沙市雨花区某企业培训中心",
            region=Region.objects.get(code="430100"),
            date=D(2020, 7, 15),
            candidate_count=45,
            reason="合作企业在长沙的项目部员工集中报考",
        )
    with on(D(2020, 6, 10)):
        services.offsite_request_decide(
            actor=staff.officer,
            request=request,
            approve=False,
            note="疫情防控期间严禁组织跨区域规模化鉴定（闽人社办〔2020〕143号），请在本地组织。",
        )


# Station, occupation and level of the off-site exam day (the station's authorisations cover it).
OFFSITE_EXAM = ("FZ001", "中式烹调师", "5")


def _offsite_exam_day(builder: story.DemoBuilder) -> None:
    """FZ001 appraises three cooks in Putian with an approved request: one sits the exam,
    one is absent (no attempt: still waiting for a session), one is caught with a phone in
    the theory exam (the theory part is voided)."""
    station = builder.stations["FZ001"]
    staff = builder.staff["FZ001"]
    plan = story.AnnouncementPlan(*OFFSITE_EXAM, D(2020, 6, 1))
    cases = [story.CasePlan(story.PASSED, plan, "FZ001", registration_date=D(2020, 6, 3)) for _ in range(3)]
    builder.cases = cases
    builder.create_candidates()
    with on(plan.publish_date):
        announcement = services.announcement_publish(
            actor=staff.clerk,
            station=station,
            occupation=builder.occupations[plan.occupation],
            level=plan.level,
            publish_date=plan.publish_date,
            title=TITLE,
            fee=story.FEES[plan.level],
        )
    registrations = []
    for case in cases:
        with on(D(2020, 6, 3)):
            registration = services.registration_accept(
                actor=staff.clerk,
                candidate=story.made(case.candidate, "考生"),
                announcement=announcement,
                registration_date=D(2020, 6, 3),
            )
        with on(D(2020, 6, 4)):
            services.eligibility_review(actor=staff.clerk, registration=registration, review_date=D(2020, 6, 4))
        with on(D(2020, 6, 5)):
            services.consent_record(
                actor=staff.clerk,
                registration=registration,
                signed_date=D(2020, 6, 5),
                scan=story.consent_scan(registration),
            )
        registrations.append(registration)
    putian = Region.objects.get(code="350300")
    with on(D(2020, 6, 8)):
        request = services.offsite_request_submit(
            actor=staff.clerk,
            station=station,
            place=SITE,
            region=putian,
            date=EXAM_DAY,
            candidate_count=len(registrations),
            reason="考生均在莆田的合作餐饮企业工作，就近鉴定",
        )
    with on(D(2020, 6, 10)):
        request = services.offsite_request_decide(
            actor=staff.officer, request=request, approve=True, note="同意，3 人，须使用国家题库试卷"
        )
        application = services.application_submit(
            actor=staff.clerk, station=station, registrations=registrations, submitted_date=D(2020, 6, 10)
        )
    with on(D(2020, 6, 12)):
        application = services.application_decide(
            actor=staff.officer, application=application, approve=True, decided_date=D(2020, 6, 12)
        )
    with on(D(2020, 6, 15)):
        session = services.session_schedule(
            actor=staff.clerk,
            application=application,
            occupation=builder.occupations[plan.occupation],
            level=plan.level,
            date=EXAM_DAY,
            start_time=story.SLOTS[1][0],
            end_time=story.SLOTS[1][1],
            place=SITE,
            region=putian,
            **session_staff(
                station=station,
                level=plan.level,
                candidates=len(registrations),
                day=EXAM_DAY,
                start=story.SLOTS[1][0],
                end=story.SLOTS[1][1],
                examiners=staff.examiners[:3],
                supervisor=staff.supervisor,
                rooms=[("第1考场", 30)],
            ),
            offsite_request=request,
        )
        paper_for(session, staff, "GJTK-2020-59001")
        services.seats_assign(actor=staff.clerk, session=session)
    examiner = staff.examiners[0]
    seats = {s.registration_id: s for s in session.seats.all()}
    present, absent, caught = (seats[r.pk] for r in registrations)
    with on(EXAM_DAY):
        services.seat_check_in(actor=examiner, seat=present, attendance=SeatCheckIn.Attendance.PRESENT)
        services.seat_check_in(
            actor=examiner, seat=absent, attendance=SeatCheckIn.Attendance.ABSENT, note="开考后 15 分钟仍未到场"
        )
        services.seat_check_in(
            actor=examiner,
            seat=caught,
            attendance=SeatCheckIn.Attendance.MISCONDUCT,
            voided_part=SeatCheckIn.Part.THEORY,
            note="理论知识考试中使用手机查阅资料，监考员当场制止并记录",
        )
        services.session_hold(actor=staff.clerk, session=session)
    with on(EXAM_DAY + datetime.timedelta(days=1)):
        services.paper_return(actor=staff.officer, paper=session.paper, seal_intact=True)
    checker = staff.examiners[1]
    for seat, theory, practical in ((present, "78", "85"), (caught, "88", "80")):
        with on(D(2020, 6, 28)):
            result = services.result_enter(
                actor=examiner,
                registration=seat.registration,
                theory_score=Decimal(theory),
                practical_score=Decimal(practical),
            )
            services.result_confirm(actor=checker, result=result)
