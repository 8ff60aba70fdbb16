"""Issuance: every refusal reason of the service, four eyes, numbering, supervision holds,
and the signs of rushed issuance that hold a batch for a supervisor."""

import datetime

import pytest
from django.db import transaction

from appraisals import services as appraisal_services
from appraisals.models import AppraisalApplication, ConsentForm, EligibilityReview, ExamSession, Registration
from catalog.models import Region
from certificates import selectors, services
from certificates.models import ArchiveRecord, Certificate, IssuanceBatch, IssuanceItem, NumberCounter
from kit.errors import RuleError
from tests.factories import approved_offsite

from .conftest import FIRST_ISSUE_DAY, PUBLISHED, at, passed_group

pytestmark = pytest.mark.django_db

D = datetime.date


def prepare(officers, orgs, registrations, actor="a", day=FIRST_ISSUE_DAY):
    return services.batch_prepare(
        actor=officers[actor], centre=orgs["xm"], registrations=registrations, prepared_on=day
    )


def approve(officers, batch, actor="b", day=FIRST_ISSUE_DAY):
    return services.batch_approve(actor=officers[actor], batch=batch, issue_date=day, now=at(day))


def issue_one(officers, orgs, registration, day=FIRST_ISSUE_DAY):
    batch = approve(officers, prepare(officers, orgs, [registration], day=day), day=day)
    return batch.certificates.get()


# --- the happy path ---------------------------------------------------------------------------


def test_a_passed_case_is_issued_by_a_second_officer_with_a_number_and_an_archive(officers, orgs, passed):
    registration = passed.refresh()
    batch = prepare(officers, orgs, [registration])
    assert batch.status == IssuanceBatch.Status.PREPARED
    assert not Certificate.objects.exists()  # preparing issues nothing

    batch = approve(officers, batch)
    assert batch.status == IssuanceBatch.Status.APPROVED
    assert batch.approved_by == officers["b"] and batch.issue_date == FIRST_ISSUE_DAY
    certificate = batch.certificates.get()
    assert certificate.number == "FJ-XM-2020-000001"
    assert (certificate.year, certificate.sequence) == (2020, 1)
    assert certificate.holder_name == "陈美玲"
    assert certificate.holder_id_number == passed.candidate.id_number
    assert certificate.occupation.name == "美发师" and certificate.level == "5"
    assert certificate.centre == orgs["xm"] and certificate.issued_by == officers["b"]
    assert certificate.result.passed and certificate.status == Certificate.Status.VALID
    assert len(certificate.verification_code) == 12
    assert batch.items.get().status == IssuanceItem.Status.ISSUED
    assert ArchiveRecord.objects.filter(certificate=certificate).count() == 1
    # The trace names the approver.
    assert certificate.history.first().history_user == officers["b"]


def test_a_passed_retake_is_issued_too(officers, orgs, case, staff):
    case.to_examined()
    case.pass_exam(theory="50", practical="80")
    appraisal_services.retake_request(
        actor=staff["clerk"], registration=case.registration, requested_date=D(2020, 11, 25)
    )
    retake_session = case.schedule(day=D(2020, 12, 10), kind=ExamSession.Kind.RETAKE).session
    appraisal_services.retake_assign_session(
        actor=staff["clerk"], retake=case.registration.retake, session=retake_session
    )
    appraisal_services.seats_assign(actor=staff["clerk"], session=retake_session)
    appraisal_services.session_hold(actor=staff["clerk"], session=retake_session)
    result = appraisal_services.result_enter(
        actor=staff["examiner"], registration=case.registration, theory_score=70, practical_score=None
    )
    appraisal_services.result_confirm(actor=staff["examiner2"], result=result, now=at(D(2020, 12, 11)))
    appraisal_services.results_publish(actor=staff["clerk"], session=retake_session, published_on=D(2020, 12, 14))
    registration = case.refresh()
    assert registration.status == Registration.Status.PASSED

    batch = prepare(officers, orgs, [registration], day=D(2020, 12, 18))
    with pytest.raises(RuleError, match="公示期至 2020-12-18 止"):
        approve(officers, batch, day=D(2020, 12, 18))
    certificate = approve(officers, batch, day=D(2020, 12, 19)).certificates.get()
    assert certificate.result == result


def test_an_off_site_exam_with_approval_is_issued(officers, orgs, case):
    case.register().review().consent().apply().approve()
    fuzhou = Region.objects.get(code="350100")
    request = approved_offsite(orgs["xm1"], region=fuzhou, date=D(2020, 11, 20))
    case.schedule(region=fuzhou, offsite_request=request)
    case.seat().hold()
    case.pass_exam()
    case.publish()
    assert issue_one(officers, orgs, case.refresh()).is_valid


# --- every refusal reason ------------------------------------------------------------------------


def _late_registration(case):
    Registration.objects.filter(pk=case.registration.pk).update(registration_date=D(2020, 10, 8))


def _ineligible(case):
    EligibilityReview.objects.filter(registration=case.registration).update(passed=False, matched_route=None)


def _consent_after_exam(case):
    ConsentForm.objects.filter(registration=case.registration).update(signed_date=D(2020, 11, 21))


def _application_late(case):
    AppraisalApplication.objects.filter(pk=case.application.pk).update(
        submitted_date=D(2020, 11, 2), decided_date=D(2020, 11, 3)
    )


def _application_not_approved(case):
    AppraisalApplication.objects.filter(pk=case.application.pk).update(status=AppraisalApplication.Status.REJECTED)


def _exam_late(case):
    ExamSession.objects.filter(pk=case.session.pk).update(date=D(2021, 1, 4))


def _exam_off_site(case):
    ExamSession.objects.filter(pk=case.session.pk).update(region=Region.objects.get(code="350100"))


def _not_published(case):
    case.registration.results.update(published_on=None, publicity_last_day=None)


def _finding(case):
    services.finding_open(
        actor=case.staff["supervisor_fj"],
        session=case.session,
        summary="考场监控录像缺失",
        opened_at=at(D(2020, 11, 22)),
    )


# Each refusal says why in the words of the case rules (the notice named where one applies)
# and carries the rule's code.
REFUSALS = [
    (_late_registration, "最后受理日 2020-09-30（厦人社〔2020〕141号）", "registration.late"),
    (_late_registration, "已于 2020-09-30 退出国家职业资格目录", "catalog.exited"),
    (_ineligible, "没有通过资格审查", "eligibility.not_passed"),
    (_consent_after_exam, "自愿书签署日期晚于考试日期", "consent.late"),
    (_application_late, "2020-10-31 前（含当日）提交指导中心（闽人社办〔2020〕143号）", "application.late"),
    (_application_not_approved, "没有经指导中心批准的鉴定申请", "application.not_approved"),
    (_exam_late, "鉴定须在 2020-12-31 前（含当日）完成（闽人社办〔2020〕143号）", "exam.late"),
    (_exam_off_site, "没有指导中心批准的异地鉴定申请", "session.offsite_unapproved"),
    (_not_published, "合格成绩尚未公示", "publicity.not_published"),
    (_finding, "未办结的督导问题", "finding.open"),
]


@pytest.mark.parametrize(("breaker", "reason", "code"), REFUSALS, ids=[c for _, _, c in REFUSALS])
def test_preparing_refuses_a_case_that_breaks_a_rule_and_says_why(officers, orgs, passed, breaker, reason, code):
    breaker(passed)
    assert code in {v.code for v in selectors.issuance_refusals(passed.refresh(), centre=orgs["xm"], issue_date=None)}
    with pytest.raises(RuleError, match=reason):
        prepare(officers, orgs, [passed.refresh()])
    assert not IssuanceBatch.objects.exists()


@pytest.mark.parametrize(
    ("status", "steps"),
    [("examined", "to_examined"), ("consented", "register review consent"), ("registered", "register")],
)
def test_only_a_passed_exam_is_certified(officers, orgs, case, status, steps):
    for step in steps.split():
        getattr(case, step)()
    with pytest.raises(RuleError, match=r"只有鉴定（或补考）成绩复核确认合格的考生才能发证"):
        prepare(officers, orgs, [case.refresh()])


def test_a_failed_exam_is_not_certified(officers, orgs, case):
    case.to_examined()
    case.pass_exam(theory="40")
    case.publish()
    with pytest.raises(RuleError, match="报名状态为“不合格”"):
        prepare(officers, orgs, [case.refresh()])


def test_consent_without_a_scan_cannot_be_archived(officers, orgs, case):
    case.register().review().consent(scan=False).apply().approve().schedule().seat().hold()
    case.pass_exam()
    case.publish()
    with pytest.raises(RuleError, match="自愿书没有扫描件"):
        prepare(officers, orgs, [case.refresh()])


def test_issue_date_must_be_after_the_publicity_period(officers, orgs, passed):
    batch = prepare(officers, orgs, [passed.refresh()], day=D(2020, 11, 24))
    with pytest.raises(RuleError, match="须在公示期结束之后"):
        approve(officers, batch, day=D(2020, 11, 27))  # the last day of publicity
    assert approve(officers, batch, day=D(2020, 11, 28)).status == IssuanceBatch.Status.APPROVED


def test_a_station_user_never_prepares_nor_approves(officers, orgs, staff, passed):
    with pytest.raises(RuleError, match="鉴定站人员不能办理证书核发"):
        services.batch_prepare(
            actor=staff["clerk"], centre=orgs["xm"], registrations=[passed.refresh()], prepared_on=FIRST_ISSUE_DAY
        )
    batch = prepare(officers, orgs, [passed.refresh()])
    with pytest.raises(RuleError, match="鉴定站人员不能办理证书核发"):
        services.batch_approve(actor=staff["clerk"], batch=batch, issue_date=FIRST_ISSUE_DAY)


def test_the_preparer_cannot_approve_their_own_batch(officers, orgs, passed):
    batch = prepare(officers, orgs, [passed.refresh()])
    with pytest.raises(RuleError, match="制单人以外的另一名审核员"):
        approve(officers, batch, actor="a")


def test_an_officer_of_another_centre_cannot_issue(officers, orgs, passed, staff):
    from catalog import roles
    from tests.factories import UserFactory

    fuzhou = UserFactory(username="officer_fz", centre=orgs["fz"], role=roles.CENTRE_OFFICER)
    with pytest.raises(RuleError, match="只有厦门市中心及其上级指导中心的审核员"):
        services.batch_prepare(
            actor=fuzhou, centre=orgs["xm"], registrations=[passed.refresh()], prepared_on=FIRST_ISSUE_DAY
        )
    with pytest.raises(RuleError, match="不属于福州市中心"):
        services.batch_prepare(
            actor=officers["fj"], centre=orgs["fz"], registrations=[passed.refresh()], prepared_on=FIRST_ISSUE_DAY
        )


def test_the_province_centre_may_issue_for_its_cities(officers, orgs, passed):
    from catalog import roles
    from tests.factories import UserFactory

    batch = services.batch_prepare(
        actor=officers["fj"], centre=orgs["fj"], registrations=[passed.refresh()], prepared_on=FIRST_ISSUE_DAY
    )
    with pytest.raises(RuleError, match="只有福建省中心及其上级指导中心的审核员"):
        approve(officers, batch)  # a city officer cannot approve for the province
    officers["fj2"] = UserFactory(username="officer_fj2", centre=orgs["fj"], role=roles.CENTRE_OFFICER)
    certificate = approve(officers, batch, actor="fj2").certificates.get()
    assert certificate.number == "FJ-2020-000001"


def test_no_second_certificate_and_no_second_pending_batch(officers, orgs, passed):
    registration = passed.refresh()
    batch = prepare(officers, orgs, [registration])
    with pytest.raises(RuleError, match=f"已在待审批的发证批次 #{batch.pk} 中"):
        prepare(officers, orgs, [registration])
    approve(officers, batch)
    with pytest.raises(RuleError, match="已核发有效证书"):
        prepare(officers, orgs, [registration])


def test_a_rule_broken_between_preparing_and_approving_refuses_the_approval(officers, orgs, passed):
    batch = prepare(officers, orgs, [passed.refresh()])
    _ineligible(passed)
    with pytest.raises(RuleError, match="没有通过资格审查"):
        approve(officers, batch)
    assert not Certificate.objects.exists()
    assert IssuanceBatch.objects.get(pk=batch.pk).status == IssuanceBatch.Status.PREPARED


def test_an_open_finding_holds_that_sessions_certificates_only(officers, orgs, staff, announcement, passed):
    group, session = passed_group(staff, orgs, announcement, 2)
    batch = prepare(officers, orgs, [passed.refresh(), *group])
    finding = services.finding_open(
        actor=staff["supervisor_fj"], session=session, summary="考评员未按规定回避", opened_at=at(D(2020, 11, 26))
    )
    batch = approve(officers, batch)
    assert batch.status == IssuanceBatch.Status.APPROVED
    statuses = {item.registration_id: item.status for item in batch.items.all()}
    assert statuses[passed.registration.pk] == IssuanceItem.Status.ISSUED
    assert {statuses[r.pk] for r in group} == {IssuanceItem.Status.HELD}
    assert Certificate.objects.count() == 1

    # Closed: the held candidates can go into a new batch.
    services.finding_close(
        actor=staff["supervisor_fj"], finding=finding, conclusion="已核实，不影响成绩", closed_at=at(D(2020, 12, 1))
    )
    second = approve(officers, prepare(officers, orgs, group, day=D(2020, 12, 2)), day=D(2020, 12, 2))
    assert [c.sequence for c in second.certificates.order_by("sequence")] == [2, 3]


def test_a_rolled_back_issuance_gives_its_number_back(officers, orgs, passed):
    with pytest.raises(RuntimeError), transaction.atomic():
        assert services.next_number(orgs["xm"], 2020, NumberCounter.Kind.CERTIFICATE) == 1
        raise RuntimeError("断电")
    assert issue_one(officers, orgs, passed.refresh()).sequence == 1


def test_numbers_restart_each_year_and_per_centre(officers, orgs):
    with transaction.atomic():
        assert [services.next_number(orgs["xm"], 2020, "certificate") for _ in range(3)] == [1, 2, 3]
        assert services.next_number(orgs["xm"], 2021, "certificate") == 1
        assert services.next_number(orgs["fz"], 2020, "certificate") == 1
        assert services.next_number(orgs["xm"], 2020, "proof") == 1


# --- cancel, print, hand out, revoke ----------------------------------------------------------


def test_print_then_hand_out(officers, orgs, passed):
    batch = approve(officers, prepare(officers, orgs, [passed.refresh()]))
    with pytest.raises(RuleError, match="尚未打印"):
        services.batch_mark_handed_out(actor=officers["a"], batch=batch, handed_out_on=D(2020, 12, 1))
    batch = services.batch_mark_printed(actor=officers["a"], batch=batch, printed_on=D(2020, 11, 30))
    assert batch.print_status == "已打印"
    batch = services.batch_mark_handed_out(actor=officers["a"], batch=batch, handed_out_on=D(2020, 12, 1))
    assert batch.print_status == "已发放"


def test_printing_needs_an_approved_batch_and_not_before_its_issue_date(officers, orgs, passed):
    batch = prepare(officers, orgs, [passed.refresh()])
    with pytest.raises(RuleError, match="只有已审批核发的批次"):
        services.batch_mark_printed(actor=officers["a"], batch=batch, printed_on=FIRST_ISSUE_DAY)
    batch = approve(officers, batch)
    with pytest.raises(RuleError, match="打印日期不能早于发证日期"):
        services.batch_mark_printed(
            actor=officers["a"], batch=batch, printed_on=FIRST_ISSUE_DAY - datetime.timedelta(days=1)
        )
    batch = services.batch_mark_printed(actor=officers["a"], batch=batch, printed_on=FIRST_ISSUE_DAY)
    assert batch.printed_on == FIRST_ISSUE_DAY


def test_a_prepared_batch_can_be_withdrawn_and_its_cases_freed(officers, orgs, passed):
    registration = passed.refresh()
    batch = services.batch_cancel(actor=officers["a"], batch=prepare(officers, orgs, [registration]))
    assert batch.status == IssuanceBatch.Status.CANCELLED
    assert selectors.awaiting_certificate().filter(pk=registration.pk).exists()
    prepare(officers, orgs, [registration])


def test_revoking_needs_a_reason_and_frees_nothing(officers, orgs, passed):
    certificate = issue_one(officers, orgs, passed.refresh())
    with pytest.raises(RuleError, match="必须写明原因"):
        services.certificate_revoke(actor=officers["a"], certificate=certificate, reason=" ", revoked_on=D(2020, 12, 5))
    certificate = services.certificate_revoke(
        actor=officers["a"], certificate=certificate, reason="查实报名材料造假", revoked_on=D(2020, 12, 5)
    )
    assert certificate.status == Certificate.Status.VOIDED
    with pytest.raises(RuleError, match="不能撤销"):
        services.certificate_revoke(
            actor=officers["a"], certificate=certificate, reason="再次", revoked_on=D(2020, 12, 6)
        )


# --- rushed issuance ---------------------------------------------------------------------------------


def test_results_and_certificates_in_one_burst_hold_the_batch(settings, officers, orgs, staff, announcement):
    settings.JIANDING_RUSH_BURST_MIN_CERTIFICATES = 3
    group, _ = passed_group(staff, orgs, announcement, 3)
    batch = approve(officers, prepare(officers, orgs, group))
    assert batch.status == IssuanceBatch.Status.HELD
    assert "成绩集中录入后立即发证：3 本证书" in batch.rush_flags
    assert not Certificate.objects.exists()
    # A held batch waits for the supervisor: approving it again is refused.
    with pytest.raises(RuleError, match="暂缓核发"):
        approve(officers, batch, day=D(2020, 12, 22))


def test_no_burst_when_certificates_follow_well_after_the_results(settings, officers, orgs, staff, announcement):
    settings.JIANDING_RUSH_BURST_MIN_CERTIFICATES = 3
    group, _ = passed_group(staff, orgs, announcement, 3)
    batch = approve(officers, prepare(officers, orgs, group, day=D(2020, 12, 2)), day=D(2020, 12, 2))
    assert batch.status == IssuanceBatch.Status.APPROVED


def test_registrations_bunched_before_the_cut_off_hold_the_batch(settings, officers, orgs, staff, announcement):
    settings.JIANDING_RUSH_CUTOFF_MIN_REGISTRATIONS = 3
    group, _ = passed_group(staff, orgs, announcement, 3, registration_day=D(2020, 9, 28))
    batch = approve(officers, prepare(officers, orgs, group, day=D(2020, 12, 2)), day=D(2020, 12, 2))
    assert batch.status == IssuanceBatch.Status.HELD
    assert "报名集中在截止日前：厦门一站在 2020年9月30日 截止前 7 天受理报名 3 人" in batch.rush_flags
    assert "此前没有报名" in batch.rush_flags


def test_a_station_at_its_usual_rate_is_not_flagged(settings, officers, orgs, staff, announcement):
    settings.JIANDING_RUSH_CUTOFF_MIN_REGISTRATIONS = 3
    passed_group(staff, orgs, announcement, 12, registration_day=D(2020, 9, 5))  # the usual: 12 in the weeks before
    group, _ = passed_group(staff, orgs, announcement, 3, registration_day=D(2020, 9, 28), start=16)
    # 3 in the last 7 days (0.43 a day) against 12 in the 60 days before (0.2 a day): under 3 times.
    batch = approve(officers, prepare(officers, orgs, group, day=D(2020, 12, 2)), day=D(2020, 12, 2))
    assert batch.status == IssuanceBatch.Status.APPROVED


def test_too_many_candidates_per_examiner_holds_the_batch(settings, officers, orgs, staff, announcement):
    group, session = passed_group(staff, orgs, announcement, 4)
    # the rule tightened after the session was held: the signal reads the rule as it is now
    settings.JIANDING_STAFF_CANDIDATES_PER_EXAMINER = 1
    batch = approve(officers, prepare(officers, orgs, group, day=D(2020, 12, 2)), day=D(2020, 12, 2))
    assert batch.status == IssuanceBatch.Status.HELD
    assert f"考评员配备不足：{session}有考生 4 人、考评员 3 人" in batch.rush_flags


def test_examiners_revoked_back_to_before_the_exam_do_not_count(officers, orgs, staff, announcement):
    """The signal reads the staffing rule with the examiners valid on the session's day."""
    group, session = passed_group(staff, orgs, announcement, 4)
    for entry in list(session.examiners.order_by("pk"))[:2]:
        appraisal_services.appraiser_status_set(
            actor=staff["officer_xm"], appraiser=entry, status="revoked", reason="证书已过期", day=session.date
        )
    batch = approve(officers, prepare(officers, orgs, group, day=D(2020, 12, 2)), day=D(2020, 12, 2))
    assert batch.status == IssuanceBatch.Status.HELD
    assert f"{session}有考生 4 人、考评员 1 人（另有 2 人考试当日不在有效资格内）" in batch.rush_flags


def test_the_supervisor_releases_a_held_batch_and_the_held_approval_goes_on(
    settings, officers, orgs, staff, announcement
):
    group, _ = passed_group(staff, orgs, announcement, 4)
    # the rule tightened after the session was held: the signal reads the rule as it is now
    settings.JIANDING_STAFF_CANDIDATES_PER_EXAMINER = 1
    batch = approve(officers, prepare(officers, orgs, group, day=D(2020, 12, 2)), day=D(2020, 12, 2))
    assert batch.status == IssuanceBatch.Status.HELD
    with pytest.raises(RuleError, match="制单人和审批人以外"):
        services.batch_review(actor=officers["b"], batch=batch, release=True, note="同意", reviewed_on=D(2020, 12, 3))
    with pytest.raises(RuleError, match="复核意见"):
        services.batch_review(
            actor=officers["supervisor"], batch=batch, release=True, note="", reviewed_on=D(2020, 12, 3)
        )
    batch = services.batch_review(
        actor=officers["supervisor"],
        batch=batch,
        release=True,
        note="现场督导记录完整，考评员实际为6人",
        reviewed_on=D(2020, 12, 3),
    )
    # The approval it was held at goes on: issued on the review day, approved by the officer
    # who approved it (four eyes kept: preparer, approver and supervisor are three people).
    assert batch.status == IssuanceBatch.Status.APPROVED and batch.released
    assert (batch.approved_by, batch.issue_date) == (officers["b"], D(2020, 12, 3))
    assert batch.reviewed_by == officers["supervisor"]
    assert batch.certificates.count() == 4


def test_the_supervisor_refuses_a_held_batch(settings, officers, orgs, staff, announcement):
    group, _ = passed_group(staff, orgs, announcement, 4)
    # the rule tightened after the session was held: the signal reads the rule as it is now
    settings.JIANDING_STAFF_CANDIDATES_PER_EXAMINER = 1
    batch = approve(officers, prepare(officers, orgs, group, day=D(2020, 12, 2)), day=D(2020, 12, 2))
    batch = services.batch_review(
        actor=officers["supervisor"],
        batch=batch,
        release=False,
        note="考评员配备不足，须重新组织考核",
        reviewed_on=D(2020, 12, 3),
    )
    assert batch.status == IssuanceBatch.Status.REJECTED
    assert set(batch.items.values_list("status", flat=True)) == {IssuanceItem.Status.DROPPED}
    assert not Certificate.objects.exists()


def test_default_thresholds_leave_an_ordinary_session_alone(officers, orgs, staff, announcement):
    group, _ = passed_group(staff, orgs, announcement, 15)  # 15 candidates, 3 examiners: 1 : 5
    batch = approve(officers, prepare(officers, orgs, group))
    assert batch.status == IssuanceBatch.Status.APPROVED
    assert selectors.rush_signals(group, issue_date=FIRST_ISSUE_DAY) == []
    assert [c.sequence for c in Certificate.objects.order_by("sequence")] == list(range(1, 16))
    assert PUBLISHED < FIRST_ISSUE_DAY


# --- from the work list: one batch per centre, the refused named ----------------------------------


def test_the_work_list_makes_a_batch_of_the_clean_cases_and_names_each_refused_one(officers, orgs, staff, announcement):
    (clean, no_scan), _ = passed_group(staff, orgs, announcement, 2)
    ConsentForm.objects.filter(registration=no_scan).update(scan="")  # recorded without its scan

    done = services.batches_prepare(actor=officers["a"], registrations=[clean, no_scan], prepared_on=FIRST_ISSUE_DAY)

    [batch] = done.batches
    assert batch.centre == orgs["xm"] and batch.prepared_by == officers["a"]
    assert [item.registration_id for item in batch.items.all()] == [clean.pk]
    [(refused, reasons)] = done.refused
    assert refused.pk == no_scan.pk
    assert [v.code for v in reasons] == ["consent.no_scan"]


def test_the_work_list_refuses_a_station_user_and_prepares_nothing(officers, orgs, staff, passed):
    with pytest.raises(RuleError, match="鉴定站人员不能办理证书核发"):
        services.batches_prepare(actor=staff["clerk"], registrations=[passed.refresh()], prepared_on=FIRST_ISSUE_DAY)
    assert not IssuanceBatch.objects.exists()
