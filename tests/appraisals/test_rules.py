"""Every rule of the notices at its edges: the day before, the day, the day after.
Dates checked are the act's own dates (never today)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import override_settings

from appraisals import services
from appraisals.models import ConsentForm, ExamAnnouncement, ExamResult, ExamSession, Registration
from catalog.models import EligibilityRoute, Occupation
from tests.candidates.factories import CandidateFactory, make_id_number
from tests.factories import approved_offsite

pytestmark = pytest.mark.django_db
D = datetime.date
S = Registration.Status


# --- announcements and registrations ------------------------------------------------------


@pytest.mark.parametrize(("day", "ok"), [(D(2020, 9, 29), True), (D(2020, 9, 30), True), (D(2020, 10, 1), False)])
def test_no_announcement_after_fujians_last_day(orgs, staff, hairdresser, day, ok):
    publish = lambda: services.announcement_publish(  # noqa: E731
        actor=staff["clerk"], station=orgs["xm1"], occupation=hairdresser, level="4", publish_date=day
    )
    if ok:
        assert publish().publish_date == day
    else:
        with pytest.raises(ValidationError, match="晚于“美发师”在厦门市的最后受理日 2020-09-30"):
            publish()
        assert not ExamAnnouncement.objects.filter(publish_date=day).exists()


@pytest.mark.parametrize(("day", "ok"), [(D(2020, 12, 30), True), (D(2020, 12, 31), True), (D(2021, 1, 1), False)])
def test_a_batch_two_occupation_in_hunan_runs_to_december_31(orgs, staff, day, ok):
    electrician = Occupation.objects.get(name="电工")
    publish = lambda: services.announcement_publish(  # noqa: E731
        actor=staff["sysadmin"], station=orgs["cs1"], occupation=electrician, level="5", publish_date=day
    )
    if ok:
        assert publish().pk
    else:
        with pytest.raises(ValidationError, match="最后受理日 2020-12-31（人社厅发〔2020〕80号）"):
            publish()


@pytest.mark.parametrize(("day", "ok"), [(D(2020, 9, 29), True), (D(2020, 9, 30), True), (D(2020, 10, 1), False)])
def test_no_registration_after_the_last_day(case, day, ok):
    if ok:
        assert case.register(day).registration.status == S.REGISTERED
    else:
        with pytest.raises(ValidationError) as error:
            case.register(day)
        assert "最后受理日 2020-09-30（厦人社〔2020〕141号）" in str(error.value.message_dict["registration_date"])
        assert not Registration.objects.exists()


def test_a_local_extension_cannot_keep_an_exited_occupation_in_the_catalog(orgs, staff):
    # A province extends 车工 (batch 1, exits Sept 30 nationally) to Oct 15: still refused after Sept 30.
    from catalog.models import DeadlineRule, PolicyNotice

    lathe = Occupation.objects.get(name="车工")
    notice = PolicyNotice.objects.create(doc_number="湘测〔2020〕9号", issuer="测试", title="延期")
    rule = DeadlineRule.objects.create(
        name="延期", notice=notice, region=orgs["cs1"].region.parent, last_registration_day=D(2020, 10, 15)
    )
    rule.occupations.add(lathe)
    announcement = services.announcement_publish(
        actor=staff["sysadmin"], station=orgs["cs1"], occupation=lathe, level="5", publish_date=D(2020, 9, 1)
    )
    accept = lambda day: services.registration_accept(  # noqa: E731
        actor=staff["sysadmin"], candidate=CandidateFactory(), announcement=announcement, registration_date=day
    )
    assert accept(D(2020, 9, 30)).pk
    with pytest.raises(ValidationError, match="已于 2020-09-30 退出国家职业资格目录，2020-10-01 不能受理报名"):
        accept(D(2020, 10, 1))


def test_access_type_occupations_stay_open(orgs, staff):
    guard = Occupation.objects.get(name="保安员")
    announcement = services.announcement_publish(
        actor=staff["clerk"], station=orgs["xm1"], occupation=guard, level="5", publish_date=D(2021, 6, 1)
    )
    registration = services.registration_accept(
        actor=staff["clerk"], candidate=CandidateFactory(), announcement=announcement, registration_date=D(2021, 6, 2)
    )
    assert registration.status == S.REGISTERED


def test_no_registration_before_the_announcement(case):
    with pytest.raises(ValidationError, match="早于公告发布日期"):
        case.register(D(2020, 8, 31))


@pytest.mark.parametrize(("birth", "ok"), [(D(2004, 9, 9), True), (D(2004, 9, 10), True), (D(2004, 9, 11), False)])
def test_candidate_must_be_16_on_the_registration_date(staff, announcement, birth, ok):
    candidate = CandidateFactory(id_number=make_id_number(birth, 11))
    accept = lambda: services.registration_accept(  # noqa: E731
        actor=staff["clerk"], candidate=candidate, announcement=announcement, registration_date=D(2020, 9, 10)
    )
    if ok:
        assert accept().pk
    else:
        with pytest.raises(ValidationError, match="未满16周岁"):
            accept()


def test_one_registration_per_candidate_and_announcement(case):
    case.register()
    with pytest.raises(ValidationError, match="不能重复报名"):
        case.register(D(2020, 9, 11))
    assert Registration.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(
            candidate=case.candidate,
            announcement=case.announcement,
            station=case.orgs["xm1"],
            registration_date=D(2020, 9, 12),
        )


# --- eligibility ---------------------------------------------------------------------------


@pytest.fixture
def level_4(orgs, staff, hairdresser):
    return services.announcement_publish(
        actor=staff["clerk"], station=orgs["xm1"], occupation=hairdresser, level="4", publish_date=D(2020, 9, 1)
    )


@pytest.mark.parametrize(
    ("facts", "eligible"),
    [
        ({"years_in_trade": 5}, False),
        ({"years_in_trade": 6}, True),
        ({"years_in_trade": 3, "prior_certificate_level": "5"}, False),
        ({"years_in_trade": 4, "prior_certificate_level": "5"}, True),
        ({"years_in_trade": 0, "diploma": "technical_school"}, True),
        ({"years_in_trade": 0, "diploma": "college_in_trade"}, False),
    ],
)
def test_level_4_application_conditions(staff, level_4, facts, eligible):
    registration = services.registration_accept(
        actor=staff["clerk"], candidate=CandidateFactory(**facts), announcement=level_4, registration_date=D(2020, 9, 5)
    )
    review = services.eligibility_review(actor=staff["clerk"], registration=registration, review_date=D(2020, 9, 6))
    assert review.passed is eligible
    registration.refresh_from_db()
    assert registration.status == (S.ELIGIBLE if eligible else S.INELIGIBLE)


def test_an_occupations_own_conditions_replace_the_national_defaults(staff, level_4, hairdresser):
    EligibilityRoute.objects.create(occupation=hairdresser, level="4", description="本职业从业8年", min_years=8)
    registration = services.registration_accept(
        actor=staff["clerk"],
        candidate=CandidateFactory(years_in_trade=7),
        announcement=level_4,
        registration_date=D(2020, 9, 5),
    )
    review = services.eligibility_review(actor=staff["clerk"], registration=registration, review_date=D(2020, 9, 6))
    assert review.passed is False
    assert "不符合" in review.findings


def test_an_ineligible_candidate_cannot_sign_consent(case):
    case.candidate.years_in_trade = 0
    case.candidate.save()
    case.register().review()
    with pytest.raises(services.RuleError, match="资格审查未通过"):
        case.consent()


# --- consent --------------------------------------------------------------------------------


@pytest.mark.parametrize(("signed", "ok"), [(D(2020, 11, 19), True), (D(2020, 11, 20), True), (D(2020, 11, 21), False)])
def test_no_exam_without_consent_signed_by_the_exam_date(case, signed, ok):
    case.register().review().consent(signed).apply().approve().schedule(D(2020, 11, 20)).seat()
    if ok:
        case.hold()
        assert case.refresh().status == S.EXAMINED
    else:
        with pytest.raises(services.RuleError, match="没有在考试日期前签署职业技能鉴定自愿书"):
            case.hold()
        assert case.refresh().status == S.APPLIED
        assert ExamSession.objects.get().held is False


def test_a_consent_form_can_never_be_deleted(case):
    case.register().review().consent()
    consent = case.registration.consent_form
    with pytest.raises(ValidationError, match="只能归档"):
        consent.delete()
    with pytest.raises(ValidationError, match="只能归档"):
        ConsentForm.objects.all().delete()
    assert ConsentForm.objects.count() == 1


def test_one_consent_form_per_registration(case):
    case.register().review().consent()
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsentForm.objects.create(
            registration=case.registration, signed_date=D(2020, 9, 13), received_by=case.staff["clerk"]
        )


# --- application -----------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "ok"), [(D(2020, 10, 30), True), (D(2020, 10, 31), True), (D(2020, 11, 1), False)])
def test_application_reaches_the_centre_by_october_31(case, day, ok):
    case.register().review().consent()
    if ok:
        assert case.apply(day).refresh().status == S.APPLIED
    else:
        with pytest.raises(services.RuleError, match="2020-10-31 前（含当日）提交"):
            case.apply(day)
        assert case.refresh().status == S.CONSENTED


def test_a_session_needs_an_approved_application(case):
    case.register().review().consent().apply()
    with pytest.raises(services.RuleError, match="尚未获指导中心批准"):
        case.schedule()


def test_a_returned_application_sends_the_registrations_back(case):
    case.register().review().consent().apply()
    with pytest.raises(services.RuleError, match="必须写明审批意见"):
        services.application_decide(
            actor=case.staff["officer_xm"], application=case.application, approve=False, decided_date=D(2020, 10, 22)
        )
    services.application_decide(
        actor=case.staff["officer_xm"],
        application=case.application,
        approve=False,
        decided_date=D(2020, 10, 22),
        note="材料不全",
    )
    assert case.refresh().status == S.CONSENTED and case.registration.application is None


def test_only_the_stations_own_centre_approves(case, orgs):
    from catalog import roles
    from tests.factories import UserFactory

    case.register().review().consent().apply()
    outsider = UserFactory(username="officer_hn", centre=orgs["hn"], role=roles.CENTRE_OFFICER)
    with pytest.raises(services.RuleError, match="所属指导中心的审核员"):
        services.application_decide(
            actor=outsider, application=case.application, approve=True, decided_date=D(2020, 10, 22)
        )
    services.application_decide(
        actor=case.staff["officer_fj"], application=case.application, approve=True, decided_date=D(2020, 10, 22)
    )


# --- sessions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "ok"), [(D(2020, 12, 30), True), (D(2020, 12, 31), True), (D(2021, 1, 1), False)])
def test_appraisal_completed_by_december_31(case, day, ok):
    case.register().review().consent().apply().approve()
    if ok:
        assert case.schedule(day).session.date == day
    else:
        with pytest.raises(services.RuleError, match="2020-12-31 前（含当日）完成"):
            case.schedule(day)


def test_an_off_site_session_needs_an_approved_request(case, orgs):
    case.register().review().consent().apply().approve()
    fuzhou = orgs["fz1"].region
    with pytest.raises(ValidationError, match="未经批准不得开展异地鉴定"):
        case.schedule(region=fuzhou)
    request = approved_offsite(orgs["xm1"], region=fuzhou, date=D(2020, 11, 20), officer=case.staff["officer_xm"])
    case.schedule(region=fuzhou, offsite_request=request)
    assert case.session.is_offsite


def test_an_examiner_cannot_sit_in_two_sessions_at_once(case, staff):
    case.register().review().consent().apply().approve().schedule()
    overlapping = {"start_time": datetime.time(10, 30), "end_time": datetime.time(12, 0)}
    with pytest.raises(services.RuleError, match="时间冲突"):
        case.schedule(**overlapping, examiners=[staff["examiner3"]], supervisor=None)
    back_to_back = {"start_time": datetime.time(11, 0), "end_time": datetime.time(12, 0)}
    trio = [staff["examiner"], staff["examiner2"], staff["examiner3"]]
    assert case.schedule(**back_to_back, examiners=trio, supervisor=None).session.pk


def test_the_supervisor_cannot_be_in_two_places_either(case, staff):
    case.register().review().consent().apply().approve().schedule()
    with pytest.raises(services.RuleError, match="时间冲突"):
        case.schedule(examiners=[staff["examiner2"]], supervisor=staff["supervisor_fj"])


def test_seats_fill_rooms_in_order_and_refuse_when_full(case, staff, announcement):
    case.register().review().consent()
    others = []
    for _ in range(3):
        registration = services.registration_accept(
            actor=staff["clerk"],
            candidate=CandidateFactory(),
            announcement=announcement,
            registration_date=D(2020, 9, 15),
        )
        services.eligibility_review(actor=staff["clerk"], registration=registration, review_date=D(2020, 9, 16))
        services.consent_record(actor=staff["clerk"], registration=registration, signed_date=D(2020, 9, 16))
        others.append(registration)
    case.application = services.application_submit(
        actor=staff["clerk"],
        station=case.orgs["xm1"],
        registrations=[case.registration, *others],
        submitted_date=D(2020, 10, 1),
    )
    case.approve()
    case.schedule(rooms=[("A考场", 2), ("B考场", 1)])
    with pytest.raises(services.RuleError, match="座位不足"):
        case.seat()
    from appraisals.models import ExamRoom

    room = ExamRoom.objects.create(session=case.session, name="C考场", capacity=5)
    services.room_invigilators_set(actor=staff["clerk"], room=room, invigilators=case.session.examiners.all()[:2])
    seats = services.seats_assign(actor=staff["clerk"], session=case.session)
    assert [(s.room.name, s.seat_number) for s in seats] == [("A考场", 1), ("A考场", 2), ("B考场", 1), ("C考场", 1)]
    assert len({s.ticket_number for s in seats}) == 4


# --- scores ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("theory", "passed"), [("59.9", False), ("60", True), ("60.5", True)])
def test_pass_needs_both_scores_at_least_60(case, theory, passed):
    case.to_examined()
    assert case.score(theory, "90").passed is passed


@override_settings(JIANDING_PASS_MARK=70)
def test_the_pass_mark_is_a_setting(case):
    case.to_examined()
    assert case.score("65", "90").passed is False


def test_scores_are_confirmed_by_a_second_person_then_locked(case, staff):
    case.to_examined()
    result = case.score("70", "70", confirm=False)
    with pytest.raises(services.RuleError, match="另一人复核"):
        services.result_confirm(actor=staff["examiner"], result=result)
    services.result_confirm(actor=staff["examiner2"], result=result)
    with pytest.raises(services.RuleError, match="合格”，不能录入成绩"):
        case.score("75", "70", confirm=False)
    result.refresh_from_db()
    assert result.is_locked and result.theory_score == Decimal("70")


def test_a_correction_is_a_recorded_amendment_with_a_reason(case, staff):
    case.to_examined()
    result = case.score("58", "70")
    assert case.refresh().status == S.FAILED
    with pytest.raises(services.RuleError, match="写明理由"):
        services.result_amend(
            actor=staff["examiner2"], result=result, field="theory_score", new_value=Decimal("62"), reason=" "
        )
    amendment = services.result_amend(
        actor=staff["examiner2"],
        result=result,
        field="theory_score",
        new_value=Decimal("62"),
        reason="复核发现漏计一题",
    )
    assert (amendment.old_value, amendment.new_value) == (Decimal("58.0"), Decimal("62"))
    assert case.refresh().status == S.PASSED


def test_scores_out_of_range_are_refused_by_the_model_and_the_database(case):
    case.to_examined()
    with pytest.raises(ValidationError):
        case.score("100.5", "70", confirm=False)
    result = case.score("80", "70", confirm=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExamResult.objects.filter(pk=result.pk).update(theory_score=Decimal("101"))


def test_results_are_published_for_five_working_days(case, staff):
    case.to_examined()
    case.score("80", "80")
    assert services.results_publish(actor=staff["clerk"], session=case.session, published_on=D(2020, 11, 27)) == 1
    result = ExamResult.objects.get()
    # Fri 11-27, Mon 11-30, Tue 12-1, Wed 12-2, Thu 12-3.
    assert result.publicity_last_day == D(2020, 12, 3)


# --- retake ------------------------------------------------------------------------------------


def test_no_retake_after_a_pass(case):
    case.to_examined()
    case.score("80", "80")
    with pytest.raises(services.RuleError, match="不能申请补考"):
        services.retake_request(
            actor=case.staff["clerk"], registration=case.registration, requested_date=D(2020, 12, 1)
        )


@pytest.mark.parametrize(("day", "ok"), [(D(2020, 12, 30), True), (D(2020, 12, 31), True), (D(2021, 1, 1), False)])
def test_retake_requested_by_the_retake_deadline(case, day, ok):
    case.to_examined()
    case.score("50", "80")
    request = lambda: services.retake_request(  # noqa: E731
        actor=case.staff["clerk"], registration=case.registration, requested_date=day
    )
    if ok:
        assert request().parts == "theory"
    else:
        with pytest.raises(services.RuleError, match="补考须在 2020-12-31 前"):
            request()
        assert case.refresh().status == S.FAILED


def test_retake_session_after_december_31_is_refused(case):
    case.to_examined()
    case.score("50", "80")
    services.retake_request(actor=case.staff["clerk"], registration=case.registration, requested_date=D(2020, 12, 1))
    with pytest.raises(services.RuleError, match="补考须在 2020-12-31 前"):
        case.schedule(D(2021, 1, 1), kind=ExamSession.Kind.RETAKE, supervisor=None)


def test_a_scan_can_be_attached_once_to_a_consent_recorded_without_one(case):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case.register().review().consent()
    consent = case.registration.consent_form
    assert not consent.scan
    scan = SimpleUploadedFile("自愿书.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    consent = services.consent_attach_scan(actor=case.staff["clerk"], consent=consent, scan=scan)
    assert consent.scan.name.endswith(".pdf")
    again = SimpleUploadedFile("other.pdf", b"%PDF-1.4 other", content_type="application/pdf")
    with pytest.raises(services.RuleError, match="不能替换"):
        services.consent_attach_scan(actor=case.staff["clerk"], consent=consent, scan=again)
