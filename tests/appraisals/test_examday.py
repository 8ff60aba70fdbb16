"""Off-site requests (four eyes, Fujian's cross-region cap), papers from the national
question bank, and the exam day (check-in, absence, misconduct, holding on the day)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from appraisals import services
from appraisals.models import ExamPaper, ExamResult, OffsiteRequest, Registration, SeatCheckIn
from catalog import roles
from catalog.models import Region
from tests.factories import UserFactory, approved_offsite, issued_paper, staffed

D = datetime.date
S = Registration.Status
EXAM_DAY = D(2020, 11, 20)


def _request(clerk, station, region, count=10, day=EXAM_DAY):
    return services.offsite_request_submit(
        actor=clerk,
        station=station,
        place="福州市鼓楼区考点",
        region=region,
        date=day,
        candidate_count=count,
        reason="考生集中在福州的分公司",
    )


# --- off-site requests: four eyes ------------------------------------------------------------


def test_the_requester_and_the_station_never_approve_only_its_centre_does(staff, orgs):
    request = _request(staff["clerk"], orgs["xm1"], orgs["fz1"].region)
    assert request.status == OffsiteRequest.Status.REQUESTED and request.scope == "省内异地"
    for someone in (staff["clerk"], staff["clerk2"]):  # the requester, another of the station
        with pytest.raises(services.RuleError, match="申请人及鉴定站人员不能审批"):
            services.offsite_request_decide(actor=someone, request=request, approve=True)
    other_centre = UserFactory(centre=orgs["hn"], role=roles.CENTRE_OFFICER)
    with pytest.raises(services.RuleError, match="所属指导中心的审核员"):
        services.offsite_request_decide(actor=other_centre, request=request, approve=True)
    decided = services.offsite_request_decide(actor=staff["officer_xm"], request=request, approve=True)
    assert (decided.status, decided.decided_by) == (OffsiteRequest.Status.APPROVED, staff["officer_xm"])
    with pytest.raises(services.RuleError, match="不能再次审批"):
        services.offsite_request_decide(actor=staff["officer_fj"], request=request, approve=False, note="重复")


def test_a_refusal_needs_a_reason_and_approves_nothing(case, staff, orgs):
    fuzhou = orgs["fz1"].region
    request = _request(staff["clerk"], orgs["xm1"], fuzhou)
    with pytest.raises(services.RuleError, match="不予批准必须写明理由"):
        services.offsite_request_decide(actor=staff["officer_xm"], request=request, approve=False)
    refused = services.offsite_request_decide(
        actor=staff["officer_xm"], request=request, approve=False, note="疫情防控期间不组织异地鉴定"
    )
    assert refused.status == OffsiteRequest.Status.REFUSED
    case.register().review().consent().apply().approve()
    with pytest.raises(ValidationError, match="未经批准不得开展异地鉴定"):
        case.schedule(region=fuzhou, offsite_request=refused)


def test_an_approval_is_for_its_site_and_day_only(case, staff, orgs):
    case.register().review().consent().apply().approve()
    fuzhou = orgs["fz1"].region
    request = approved_offsite(orgs["xm1"], region=fuzhou, date=D(2020, 11, 19), officer=staff["officer_xm"])
    with pytest.raises(ValidationError, match="未经批准不得开展异地鉴定"):
        case.schedule(region=fuzhou, offsite_request=request)  # approved for the 19th, held the 20th
    other = approved_offsite(orgs["xm2"], region=fuzhou, date=EXAM_DAY, officer=staff["officer_xm"])
    with pytest.raises(ValidationError, match="未经批准不得开展异地鉴定"):
        case.schedule(region=fuzhou, offsite_request=other)  # another station's approval
    request = approved_offsite(orgs["xm1"], region=fuzhou, date=EXAM_DAY, officer=staff["officer_xm"])
    assert case.schedule(region=fuzhou, offsite_request=request).session.offsite_approved


def test_an_approved_session_in_another_province_takes_the_stations_own_examiners(case, staff, orgs):
    """The station's examiners, registered in Fujian, go with it to Changsha once the
    request is approved; nobody could take them there without it."""
    case.register().review().consent().apply().approve()
    changsha = Region.objects.get(code="430100")
    request = approved_offsite(orgs["xm1"], region=changsha, date=EXAM_DAY, officer=staff["officer_xm"])
    session = case.schedule(region=changsha, offsite_request=request).session
    assert session.offsite_approved
    assert {e.region.code for e in session.examiners.all()} == {"350000"}


def test_no_request_is_needed_inside_the_station_region(staff, orgs):
    with pytest.raises(services.RuleError, match="不是异地鉴定"):
        _request(staff["clerk"], orgs["xm1"], orgs["xm1"].region)


# --- Fujian's cross-region cap (闽人社办〔2020〕143号) -------------------------------------------


@pytest.mark.parametrize(("count", "allowed"), [(30, True), (31, False)])
def test_fujian_refuses_cross_region_mass_appraisal_even_with_approval(staff, orgs, count, allowed):
    hunan = Region.objects.get(code="430100")
    request = _request(staff["clerk"], orgs["xm1"], hunan, count=count)
    assert request.scope == "跨省"
    if allowed:
        assert services.offsite_request_decide(actor=staff["officer_xm"], request=request, approve=True).status == (
            OffsiteRequest.Status.APPROVED
        )
    else:
        with pytest.raises(services.RuleError, match="严禁组织跨区域规模化鉴定（闽人社办〔2020〕143号）") as error:
            services.offsite_request_decide(actor=staff["officer_xm"], request=request, approve=True)
        assert error.value.code == "session.offsite_over_cap"


def test_a_region_without_a_cap_approves_any_number(orgs):
    zhuzhou = Region.objects.get(code="430200")
    request = approved_offsite(orgs["cs1"], region=zhuzhou, date=EXAM_DAY, candidate_count=200)
    assert request.status == OffsiteRequest.Status.APPROVED


def test_the_cap_counts_who_sits_the_exam_when_it_is_held(case, staff, orgs, settings):
    settings.JIANDING_OFFSITE_MAX_CANDIDATES = {"350000": 1}
    fuzhou = orgs["fz1"].region
    second = case.__class__(staff, orgs, case.announcement, None)
    from tests.candidates.factories import CandidateFactory

    second.candidate = CandidateFactory(name="林二", years_in_trade=2)
    case.register().review().consent()
    second.register().review().consent()
    application = services.application_submit(
        actor=staff["clerk"],
        station=orgs["xm1"],
        registrations=[case.registration, second.registration],
        submitted_date=D(2020, 10, 20),
    )
    case.application = services.application_decide(
        actor=staff["officer_xm"], application=application, approve=True, decided_date=D(2020, 10, 25)
    )
    request = approved_offsite(orgs["xm1"], region=fuzhou, date=EXAM_DAY, officer=staff["officer_xm"])
    case.schedule(region=fuzhou, offsite_request=request).seat()
    with pytest.raises(services.RuleError, match="超过规模上限 1 人"):
        case.hold()
    absent = case.session.seats.get(registration=second.registration)
    services.seat_check_in(actor=staff["examiner"], seat=absent, attendance=SeatCheckIn.Attendance.ABSENT)
    case.hold()
    assert case.refresh().status == S.EXAMINED


# --- papers from the national question bank ---------------------------------------------------


@pytest.mark.parametrize("number", ["123", "GJTK-2020-12", "gjtk-2020-0001", "GJTK-20-0001", "GJTK-2020H3-0001", ""])
def test_a_paper_number_not_in_the_bank_format_is_refused(case, staff, number):
    case.register().review().consent().apply().approve().schedule(paper=False)
    paper = services.paper_request(actor=staff["clerk"], session=case.session)
    with pytest.raises(ValidationError, match="GJTK-年份-4至8位数字"):
        services.paper_issue(actor=staff["officer_xm"], paper=paper, bank_paper_id=number)


@pytest.mark.parametrize("number", ["GJTK-2020-0001", "GJTK-2020-50001", "GJTK-2020H1-30001", "GJTK-2020-12345678"])
def test_a_paper_number_in_the_bank_format_is_issued(case, staff, number):
    case.register().review().consent().apply().approve().schedule(paper=False)
    paper = services.paper_request(actor=staff["clerk"], session=case.session)
    paper = services.paper_issue(actor=staff["officer_xm"], paper=paper, bank_paper_id=number)
    assert (paper.status, paper.bank_paper_id, paper.issued_by) == (
        ExamPaper.Status.ISSUED,
        number,
        staff["officer_xm"],
    )


def test_a_session_is_not_held_without_a_paper_handed_over(case, staff, settings):
    case.register().review().consent().apply().approve().schedule(paper=False).seat()
    settings.JIANDING_BUSINESS_DATE = EXAM_DAY
    with pytest.raises(services.RuleError, match="没有指导中心发放并交接的国家题库试卷") as error:
        case.hold()
    assert error.value.code == "session.no_paper"
    paper = services.paper_request(actor=staff["clerk"], session=case.session)
    with pytest.raises(services.RuleError, match="只有该鉴定站所属指导中心的审核员才能发放试卷"):
        services.paper_issue(actor=staff["clerk"], paper=paper, bank_paper_id="GJTK-2020-0001")
    paper = services.paper_issue(actor=staff["officer_xm"], paper=paper, bank_paper_id="GJTK-2020-0001")
    with pytest.raises(services.RuleError, match="国家题库试卷"):
        case.hold()  # issued but still at the centre
    services.paper_hand_over(actor=staff["officer_xm"], paper=paper, received_by="王考务")
    case.hold()
    assert case.refresh().status == S.EXAMINED


def test_the_paper_comes_back_sealed_after_the_exam(case, staff):
    case.register().review().consent().apply().approve().schedule().seat()
    paper = case.session.paper
    with pytest.raises(services.RuleError, match="尚未登记举行"):
        services.paper_return(actor=staff["officer_xm"], paper=paper, seal_intact=True)
    case.hold()
    with pytest.raises(services.RuleError, match="必须写明情况"):
        services.paper_return(actor=staff["officer_xm"], paper=paper, seal_intact=False)
    paper = services.paper_return(actor=staff["officer_xm"], paper=paper, seal_intact=False, note="袋口封条破损一处")
    assert (paper.status, paper.seal_intact) == (ExamPaper.Status.RETURNED, False)


def test_a_paper_is_not_handed_over_after_the_exam_day(case, staff, settings):
    case.register().review().consent().apply().approve().schedule(paper=False)
    paper = services.paper_request(actor=staff["clerk"], session=case.session)
    paper = services.paper_issue(actor=staff["officer_xm"], paper=paper, bank_paper_id="GJTK-2020-0001")
    settings.JIANDING_BUSINESS_DATE = EXAM_DAY + datetime.timedelta(days=1)
    with pytest.raises(services.RuleError, match="已过，不能再交接试卷"):
        services.paper_hand_over(actor=staff["officer_xm"], paper=paper, received_by="王考务")
    settings.JIANDING_BUSINESS_DATE = EXAM_DAY
    assert services.paper_hand_over(actor=staff["officer_xm"], paper=paper, received_by="王考务").handed_over


# --- holding a session: never before its day -------------------------------------------------


@pytest.mark.parametrize(("today", "allowed"), [(D(2020, 11, 19), False), (EXAM_DAY, True), (D(2020, 11, 21), True)])
def test_a_session_is_held_on_its_day_or_after(case, settings, today, allowed):
    case.register().review().consent().apply().approve().schedule().seat()
    settings.JIANDING_BUSINESS_DATE = today
    if allowed:
        case.hold()
        case.session.refresh_from_db()
        assert case.session.held
    else:
        with pytest.raises(services.RuleError, match="考试日期 2020-11-20 还没到（今天是 2020-11-19）") as error:
            case.hold()
        assert error.value.code == "session.not_yet"


# --- the exam day: present, absent, misconduct ------------------------------------------------


def _seat(case):
    return case.session.seats.get(registration=case.registration)


def test_check_in_waits_for_the_exam_day(case, staff, settings):
    case.register().review().consent().apply().approve().schedule().seat()
    settings.JIANDING_BUSINESS_DATE = EXAM_DAY - datetime.timedelta(days=1)
    with pytest.raises(services.RuleError, match="还没到，不能登记考勤"):
        services.seat_check_in(actor=staff["examiner"], seat=_seat(case), attendance="absent")
    settings.JIANDING_BUSINESS_DATE = EXAM_DAY
    checkin = services.seat_check_in(actor=staff["examiner"], seat=_seat(case), attendance="absent")
    assert (checkin.attendance, checkin.recorded_by) == ("absent", staff["examiner"])


def test_an_absent_candidate_is_not_examined_and_may_sit_a_later_session(case, staff):
    case.register().review().consent().apply().approve().schedule().seat()
    services.seat_check_in(actor=staff["examiner"], seat=_seat(case), attendance="absent", note="未到场")
    case.hold()
    assert case.refresh().status == S.APPLIED  # 缺考: no attempt
    with pytest.raises(services.RuleError, match="不能录入成绩"):
        case.score("80", "80")
    first = case.session
    case.schedule(day=D(2020, 11, 27), start_time=datetime.time(14), end_time=datetime.time(16)).seat().hold()
    assert case.session != first and case.refresh().status == S.EXAMINED
    result = case.score("80", "70")
    assert result.session == case.session and result.attempt == ExamResult.Attempt.FIRST
    assert case.refresh().status == S.PASSED


def test_a_candidate_with_no_check_in_is_recorded_present_when_the_session_is_held(case, staff):
    case.register().review().consent().apply().approve().schedule().seat().hold()
    checkin = _seat(case).checkin
    assert (checkin.attendance, checkin.recorded_by) == ("present", staff["clerk"])
    assert case.refresh().status == S.EXAMINED


def test_misconduct_needs_a_part_and_a_note_and_voids_that_part(case, staff):
    case.register().review().consent().apply().approve().schedule().seat()
    with pytest.raises(ValidationError, match="违纪必须写明作废科目和情况说明"):
        services.seat_check_in(actor=staff["examiner"], seat=_seat(case), attendance="misconduct", voided_part="theory")
    services.seat_check_in(
        actor=staff["examiner"],
        seat=_seat(case),
        attendance="misconduct",
        voided_part="theory",
        note="理论考试携带手机并查看",
    )
    case.hold()
    assert case.refresh().status == S.EXAMINED  # an attempt all the same
    result = case.score("85", "90")
    assert result.theory_score == Decimal("0") and result.practical_score == Decimal("90")
    assert result.passed is False and case.refresh().status == S.FAILED
    assert result.misconduct.note == "理论考试携带手机并查看"


def test_check_in_is_closed_once_the_session_is_held(case, staff):
    case.register().review().consent().apply().approve().schedule().seat().hold()
    with pytest.raises(services.RuleError, match="考勤不能再修改"):
        services.seat_check_in(actor=staff["examiner"], seat=_seat(case), attendance="absent")


def test_absent_from_the_retake_keeps_the_one_retake(case, staff):
    case.to_examined()
    case.score("40", "80")
    retake = services.retake_request(
        actor=staff["clerk"], registration=case.registration, requested_date=D(2020, 12, 1)
    )

    def retake_session(day):
        session = services.session_schedule(
            **staffed(
                actor=staff["clerk"],
                application=case.application,
                occupation=case.announcement.occupation,
                level="5",
                date=day,
                start_time=datetime.time(9),
                end_time=datetime.time(11),
                place="厦门市思明区考点",
                region=orgs_region(case),
                examiners=[staff["examiner"], staff["examiner2"], staff["examiner3"]],
                kind="retake",
            )
        )
        issued_paper(session, officer=staff["officer_xm"], number="GJTK-2020-0002")
        services.retake_assign_session(actor=staff["clerk"], retake=retake, session=session)
        services.seats_assign(actor=staff["clerk"], session=session)
        return session

    first = retake_session(D(2020, 12, 10))
    services.seat_check_in(actor=staff["examiner"], seat=first.seats.get(), attendance="absent")
    services.session_hold(actor=staff["clerk"], session=first)
    with pytest.raises(services.RuleError, match="补考缺考"):
        case.score("70", None)
    second = retake_session(D(2020, 12, 20))
    services.session_hold(actor=staff["clerk"], session=second)
    case.score("70", None)
    assert case.refresh().status == S.PASSED
    with pytest.raises(services.RuleError, match="每位考生只能补考一次"):
        services.retake_assign_session(actor=staff["clerk"], retake=retake, session=first)


def orgs_region(case):
    return case.orgs["xm1"].region


def test_only_the_station_or_its_centre_requests_a_sessions_paper(case, staff, orgs):
    case.register().review().consent().apply().approve().schedule(paper=False)
    other_clerk = UserFactory(station=orgs["xm2"], role=roles.STATION_CLERK)
    with pytest.raises(services.RuleError, match="才能申请该场次的试卷"):
        services.paper_request(actor=other_clerk, session=case.session)
    assert services.paper_request(actor=staff["clerk"], session=case.session).requested_by == staff["clerk"]
