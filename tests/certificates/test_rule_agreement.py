"""Where copies of a rule used to disagree, the one rule decides everywhere: the retake
deadline (scheduling, the retake request, issuance, the upload audit and the reminders),
the supervision hold (by code) and the bunching of registrations before a cut-off (one
formula for the batch check and the review queue)."""

import datetime

import pytest

from appraisals import reminders, rules
from appraisals import services as appraisal_services
from appraisals.models import ExamSession, Registration
from appraisals.rules import Code, Violation
from catalog.models import DeadlineRule, Occupation, Station
from catalog.selectors import RuleBook
from certificates import selectors, services
from certificates.models import UploadBatch
from kit.errors import RuleError
from supervision import services as supervision
from tests.candidates.factories import CandidateFactory
from tests.factories import region

from .conftest import at, issue

pytestmark = pytest.mark.django_db
D = datetime.date
RETAKE_TOO_LATE = "补考须在 2020-12-31 前（含当日）完成（闽人社办〔2020〕143号）"


@pytest.fixture
def no_retake_deadline():
    """A Fujian-like region whose rule sets an appraisal deadline but no retake deadline
    (and no national rule sets one either: 人社厅发〔2020〕80号's is cleared too)."""
    DeadlineRule.objects.filter(notice__doc_number__in=["闽人社办〔2020〕143号", "人社厅发〔2020〕80号"]).update(
        retake_deadline=None
    )
    deadlines = RuleBook().deadlines_for(Occupation.objects.get(name="美发师"), region("350200"))
    assert (deadlines.appraisal_deadline, deadlines.retake_deadline) == (D(2020, 12, 31), None)


def failed_once(case):
    """Failed the theory on 2020-11-20, retake requested on 11-25."""
    case.to_examined()
    case.pass_exam(theory="50", practical="80")
    appraisal_services.retake_request(
        actor=case.staff["clerk"], registration=case.registration, requested_date=D(2020, 11, 25)
    )
    return case


def passed_retake(case):
    """Passed the retake held on 2020-12-10, published 12-14: certificates from 12-19."""
    failed_once(case)
    session = case.schedule(day=D(2020, 12, 10), kind=ExamSession.Kind.RETAKE).session
    staff = case.staff
    appraisal_services.retake_assign_session(actor=staff["clerk"], retake=case.registration.retake, session=session)
    appraisal_services.seats_assign(actor=staff["clerk"], session=session)
    appraisal_services.session_hold(actor=staff["clerk"], session=session)
    result = appraisal_services.result_enter(
        actor=staff["examiner"], registration=case.registration, theory_score=70, practical_score=None
    )
    appraisal_services.result_confirm(actor=staff["examiner2"], result=result, now=at(D(2020, 12, 11)))
    appraisal_services.results_publish(actor=staff["clerk"], session=session, published_on=D(2020, 12, 14))
    assert case.refresh().status == Registration.Status.PASSED
    return session


# --- the retake deadline falls back to the appraisal deadline, everywhere ------------------------------


@pytest.mark.parametrize(("day", "ok"), [(D(2020, 12, 30), True), (D(2020, 12, 31), True), (D(2021, 1, 1), False)])
def test_scheduling_refuses_a_retake_after_the_appraisal_deadline(no_retake_deadline, case, day, ok):
    failed_once(case)
    schedule = lambda: case.schedule(day, kind=ExamSession.Kind.RETAKE, supervisor=None)  # noqa: E731
    if ok:
        assert schedule().session.date == day
    else:
        with pytest.raises(RuleError, match=RETAKE_TOO_LATE) as error:
            schedule()
        assert error.value.code == Code.RETAKE_LATE
        assert not ExamSession.objects.filter(kind=ExamSession.Kind.RETAKE).exists()


def test_the_retake_request_uses_the_same_deadline(no_retake_deadline, case):
    case.to_examined()
    case.pass_exam(theory="50", practical="80")
    with pytest.raises(RuleError, match=RETAKE_TOO_LATE) as error:
        appraisal_services.retake_request(
            actor=case.staff["clerk"], registration=case.registration, requested_date=D(2021, 1, 1)
        )
    assert error.value.code == Code.RETAKE_LATE


@pytest.mark.parametrize(("day", "late"), [(D(2020, 12, 31), False), (D(2021, 1, 1), True)])
def test_issuance_refuses_a_retake_held_after_the_appraisal_deadline(
    no_retake_deadline, officers, orgs, case, day, late
):
    session = passed_retake(case)
    ExamSession.objects.filter(pk=session.pk).update(date=day)  # as an import or a correction could leave it
    codes = [v.code for v in selectors.issuance_refusals(case.refresh(), centre=orgs["xm"], issue_date=None)]
    assert (Code.RETAKE_LATE in codes) is late
    if late:
        with pytest.raises(RuleError, match=RETAKE_TOO_LATE):
            services.batch_prepare(
                actor=officers["a"], centre=orgs["xm"], registrations=[case.refresh()], prepared_on=D(2020, 12, 19)
            )


def test_the_upload_audit_finds_the_same_late_retake(no_retake_deadline, officers, orgs, case):
    session = passed_retake(case)
    [certificate] = issue(officers, orgs, [case.refresh()], day=D(2020, 12, 19))
    ExamSession.objects.filter(pk=session.pk).update(date=D(2021, 1, 4))
    batch = services.upload_batch_create(
        actor=officers["a"], centre=orgs["xm"], certificates=[certificate], created_on=D(2021, 1, 5)
    )
    problems = selectors.audit_batch(batch).problems[batch.items.get().pk]
    assert f"{RETAKE_TOO_LATE}，考试日期 2021-01-04 已超期。" in problems
    with pytest.raises(RuleError, match="1 条记录有问题"):
        services.upload_batch_confirm(actor=officers["b"], batch=batch, confirmed_on=D(2021, 1, 6))
    assert UploadBatch.objects.get(pk=batch.pk).status == UploadBatch.Status.DRAFT


def test_the_retake_reminder_counts_down_to_the_same_day(no_retake_deadline, case):
    failed_once(case)
    due = [i for i in reminders.due_items(D(2020, 12, 30)) if i.kind == "retake_pending"]
    assert [(i.deadline, i.lead, i.count) for i in due] == [(D(2020, 12, 31), 1, 1)]
    assert not any(i.kind == "retake_pending" for i in reminders.due_items(D(2021, 1, 1)))


# --- a hold is decided by the code, not by the words ------------------------------------------------------


def test_only_open_findings_hold_and_that_is_read_from_the_code():
    finding = rules.finding_open(count=2)
    assert selectors.is_finding_only([finding])
    assert selectors.is_finding_only([Violation(Code.FINDING_OPEN, "场次尚有督导事项待办结。")])
    # A message that merely mentions supervision is not a hold.
    assert not selectors.is_finding_only([Violation(Code.SESSION_NOT_HELD, "督导问题：场次没有登记为已举行。")])
    assert not selectors.is_finding_only([finding, rules.consent_no_scan(has_scan=False)])
    assert not selectors.is_finding_only([])


# --- one bunching formula -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "flagged"),
    [(D(2020, 9, 23), False), (D(2020, 9, 24), True), (D(2020, 9, 30), True)],  # the window: 9-24 to 9-30
)
def test_the_batch_check_and_the_review_queue_share_one_bunching_formula(
    settings, staff, orgs, announcement, day, flagged
):
    settings.JIANDING_RUSH_CUTOFF_MIN_REGISTRATIONS = 3
    registrations = [
        appraisal_services.registration_accept(
            actor=staff["clerk"], candidate=CandidateFactory(), announcement=announcement, registration_date=day
        )
        for _ in range(3)
    ]
    [found] = selectors.registration_bunching({orgs["xm1"].pk: {D(2020, 9, 30)}})
    assert (found.station_id, found.cutoff, found.in_window, found.flagged) == (
        orgs["xm1"].pk,
        D(2020, 9, 30),
        3 if flagged else 0,
        flagged,
    )
    queue = supervision.bunched_registrations(Station.objects.all())
    signals = selectors.rush_signals(registrations, issue_date=D(2020, 12, 2))
    if flagged:
        assert queue == [found.evidence()]
        assert (queue[0]["daily_rate"], queue[0]["usual_daily_rate"]) == (0.43, 0)
        assert signals == [
            "报名集中在截止日前：厦门一站在 2020年9月30日 截止前 7 天受理报名 3 人（日均 0.4 人），"
            "此前没有报名，超过 3 倍的提示线。"
        ]
    else:
        assert queue == [] and signals == []
