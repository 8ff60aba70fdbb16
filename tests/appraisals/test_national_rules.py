"""National rules as data: 人社厅发〔2020〕80号 (上述有关工作请于今年年底前完成) gives every
region the completion date 2020-12-31 for appraisals and retakes, beside the Fujian and
Xiamen rules (which keep theirs, tests/appraisals/test_rules.py); the resolver names the
notice that set each date; whether the last day itself is closed is a per-rule setting."""

import datetime

import pytest

from appraisals import rules, services
from appraisals.models import ExamSession
from catalog import roles
from catalog.models import DeadlineRule, Occupation, PolicyNotice, Region
from catalog.selectors import RuleBook, deadlines_for
from kit.errors import RuleError
from tests.factories import UserFactory, staffed

pytestmark = pytest.mark.django_db
D = datetime.date
NATIONAL = "人社厅发〔2020〕80号"


@pytest.fixture
def beautician():
    return Occupation.objects.get(name="美容师")  # batch 1: exits 2020-09-30


@pytest.fixture
def changsha(orgs, staff, beautician, candidate):
    """A Changsha 美容师 case up to the consent form."""
    clerk = UserFactory(username="clerk_cs", station=orgs["cs1"], role=roles.STATION_CLERK)
    officer = UserFactory(username="officer_hn", centre=orgs["hn"], role=roles.CENTRE_OFFICER)
    announcement = services.announcement_publish(
        actor=clerk, station=orgs["cs1"], occupation=beautician, level="5", publish_date=D(2020, 9, 1)
    )
    registration = services.registration_accept(
        actor=clerk, candidate=candidate, announcement=announcement, registration_date=D(2020, 9, 10)
    )
    services.eligibility_review(actor=clerk, registration=registration, review_date=D(2020, 9, 11))
    services.consent_record(actor=clerk, registration=registration, signed_date=D(2020, 9, 12))
    registration.refresh_from_db()
    return {"clerk": clerk, "officer": officer, "registration": registration, "station": orgs["cs1"]}


def test_every_region_gets_the_national_completion_date_and_its_notice(beautician):
    changsha = Region.objects.get(code="430100")
    found = deadlines_for(beautician, changsha)
    assert (found.appraisal_deadline, found.retake_deadline) == (D(2020, 12, 31), D(2020, 12, 31))
    assert found.notice_of("appraisal_deadline") == NATIONAL
    assert found.notice_of("retake_deadline") == NATIONAL
    assert found.notice_of("application_deadline") == ""
    assert found.with_notice("appraisal_deadline") == f"2020-12-31（{NATIONAL}）"
    assert found.with_notice("application_deadline") == "不限"
    # Beside Fujian's and Xiamen's own rules, which stay theirs.
    xiamen = deadlines_for(beautician, Region.objects.get(code="350200"))
    assert xiamen.notice_of("appraisal_deadline") == "闽人社办〔2020〕143号"
    assert xiamen.notice_of("last_registration_day") == "厦人社〔2020〕141号"
    assert xiamen.application_deadline == D(2020, 10, 31)


@pytest.mark.parametrize(("day", "ok"), [(D(2020, 12, 31), True), (D(2021, 1, 1), False), (D(2021, 1, 20), False)])
def test_a_changsha_application_after_the_year_end_is_refused_naming_the_notice(changsha, day, ok):
    submit = lambda: services.application_submit(  # noqa: E731
        actor=changsha["clerk"],
        station=changsha["station"],
        registrations=[changsha["registration"]],
        submitted_date=day,
    )
    if ok:
        assert submit().submitted_date == day
        return
    with pytest.raises(RuleError) as refused:
        submit()
    assert refused.value.code == rules.Code.APPLICATION_LATE
    assert f"鉴定申请应在 2020-12-31 前（含当日）提交指导中心（{NATIONAL}）" in refused.value.message
    assert f"申请日期 {day:%Y-%m-%d} 已逾期" in refused.value.message


@pytest.mark.parametrize(
    ("day", "kind", "ok"),
    [
        (D(2020, 12, 31), ExamSession.Kind.EXAM, True),
        (D(2021, 1, 1), ExamSession.Kind.EXAM, False),
        (D(2021, 3, 1), ExamSession.Kind.EXAM, False),
        (D(2021, 3, 1), ExamSession.Kind.RETAKE, False),
    ],
)
def test_a_changsha_exam_after_the_year_end_is_refused_naming_the_notice(changsha, staff, beautician, day, kind, ok):
    application = services.application_submit(
        actor=changsha["clerk"],
        station=changsha["station"],
        registrations=[changsha["registration"]],
        submitted_date=D(2020, 10, 20),
    )
    services.application_decide(
        actor=changsha["officer"], application=application, approve=True, decided_date=D(2020, 10, 25)
    )
    schedule = lambda: services.session_schedule(  # noqa: E731
        **staffed(
            actor=changsha["clerk"],
            application=application,
            occupation=beautician,
            level="5",
            date=day,
            start_time=datetime.time(9),
            end_time=datetime.time(11),
            place="长沙市考点",
            region=changsha["station"].region,
            examiners=[
                UserFactory(username=f"examiner_cs{i}", station=changsha["station"], role=roles.EXAMINER)
                for i in range(3)
            ],
            kind=kind,
        )
    )
    if ok:
        assert schedule().date == day
        return
    with pytest.raises(RuleError) as refused:
        schedule()
    is_retake = kind == ExamSession.Kind.RETAKE
    assert refused.value.code == (rules.Code.RETAKE_LATE if is_retake else rules.Code.EXAM_LATE)
    what = "补考" if is_retake else "鉴定"
    assert (
        f"{what}须在 2020-12-31 前（含当日）完成（{NATIONAL}），考试日期 {day:%Y-%m-%d} 已超期" in refused.value.message
    )


def _closing_rule(occupation: Occupation, closed: bool) -> DeadlineRule:
    notice = PolicyNotice.objects.create(
        doc_number="湘人社办发〔2020〕25号-测试", issuer="湖南省人社厅", title="测试", issue_date=D(2020, 8, 31)
    )
    rule = DeadlineRule.objects.create(
        name="湖南：退出之日起一律停止",
        notice=notice,
        region=Region.objects.get(code="430000"),
        last_registration_day=D(2020, 9, 30),
        exit_day_closed=closed,
    )
    rule.occupations.add(occupation)
    return rule


@pytest.mark.parametrize(
    ("closed", "day", "ok"),
    [
        (True, D(2020, 9, 29), True),
        (True, D(2020, 9, 30), False),
        (False, D(2020, 9, 30), True),
        (False, D(2020, 10, 1), False),
    ],
)
def test_whether_the_exit_day_itself_is_closed_is_the_rules_setting(beautician, closed, day, ok):
    _closing_rule(beautician, closed)
    changsha = Region.objects.get(code="430100")
    book = RuleBook()
    found = rules.registration_late(
        deadlines=book.deadlines_for(beautician, changsha), occupation=beautician, region=changsha, day=day
    )
    assert (found is None) == ok
    if not ok:
        assert "湘人社办发〔2020〕25号-测试" in found.message


def test_the_national_rules_are_open_on_their_last_day_by_default(beautician):
    assert not DeadlineRule.objects.filter(exit_day_closed=True).exists()
    national = deadlines_for(beautician, None)
    assert national.accepts_registration_on(D(2020, 9, 30)) and not national.accepts_registration_on(D(2020, 10, 1))


def test_the_data_migration_gives_older_national_rules_the_completion_date():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("catalog.migrations.0009_lateentry_national_rules")
    DeadlineRule.objects.filter(notice__doc_number=NATIONAL).update(appraisal_deadline=None, retake_deadline=None)
    migration.national_completion_date(apps, None)
    for rule in DeadlineRule.objects.filter(notice__doc_number=NATIONAL, region__isnull=True):
        assert (rule.appraisal_deadline, rule.retake_deadline) == (D(2020, 12, 31), D(2020, 12, 31))
    fujian = DeadlineRule.objects.get(notice__doc_number="闽人社办〔2020〕143号")
    assert fujian.appraisal_deadline == D(2020, 12, 31) and fujian.application_deadline == D(2020, 10, 31)
