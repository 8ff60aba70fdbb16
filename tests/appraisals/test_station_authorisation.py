"""Station authorisations and the levels of the standard, where a case meets them: the
announcement, the registration (admin form and import), the session and the result are
each checked on their own date, at the edges of validity and of a suspension."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from appraisals import services
from appraisals.importing import import_file
from appraisals.rules import Code
from catalog import services as catalog_services
from catalog.models import Occupation, StationAuthorisation
from kit.errors import RuleError
from tests.appraisals.test_import_engine import csv_file, person
from tests.candidates.factories import CandidateFactory
from tests.factories import authorise

pytestmark = pytest.mark.django_db
D = datetime.date
DOCUMENT = "厦人社鉴〔2020〕3号"


@pytest.fixture
def narrow(orgs, hairdresser):
    """XM001 authorised only for 美发师 五级 and 四级, 2020-09-01 to 2020-11-20."""
    StationAuthorisation.objects.filter(station=orgs["xm1"]).delete()
    return authorise(
        orgs["xm1"], [hairdresser], levels="54", valid_from=D(2020, 9, 1), valid_to=D(2020, 11, 20), document=DOCUMENT
    )[0]


def publish(staff, orgs, occupation, level="5", day=D(2020, 9, 1)):
    return services.announcement_publish(
        actor=staff["clerk"], station=orgs["xm1"], occupation=occupation, level=level, publish_date=day
    )


def codes(error: ValidationError) -> set[str]:
    return (
        {e.code for e in error.error_list}
        if not hasattr(error, "error_dict")
        else {e.code for errors in error.error_dict.values() for e in errors}
    )


def suspend(staff, orgs, day, authorisation=None, kind="suspend"):
    return catalog_services.sanction_record(
        actor=staff["officer_xm"],
        station=orgs["xm1"],
        authorisation=authorisation,
        kind=kind,
        effective_from=day,
        reason="督导抽查发现考评员不足",
        document="厦人社鉴〔2020〕41号",
    )


# --- announcements -------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "refused"), [(D(2020, 8, 31), True), (D(2020, 9, 1), False), (D(2020, 9, 2), False)])
def test_an_announcement_from_the_first_valid_day(narrow, staff, orgs, hairdresser, day, refused):
    if not refused:
        assert publish(staff, orgs, hairdresser, day=day).pk
        return
    with pytest.raises(ValidationError) as caught:
        publish(staff, orgs, hairdresser, day=day)
    assert codes(caught.value) == {Code.AUTHORISATION_OUT_OF_DATE}
    assert f"厦门一站对“美发师”五级/初级工的鉴定授权不在有效期内（{DOCUMENT}：2020-09-01 至 2020-11-20）" in str(
        caught.value
    )


def test_an_occupation_or_level_outside_the_authorisation_is_refused_naming_it(narrow, staff, orgs, hairdresser):
    with pytest.raises(ValidationError) as caught:
        publish(staff, orgs, hairdresser, level="3")
    assert codes(caught.value) == {Code.STATION_NOT_AUTHORISED}
    assert "只授权了“美发师”的五级/初级工、四级/中级工，没有三级/高级工的鉴定授权" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        publish(staff, orgs, Occupation.objects.get(name="美容师"))
    assert "厦门一站没有“美容师”的鉴定授权，不能发布鉴定考试公告" in str(caught.value)


def test_a_level_the_standard_does_not_have_is_refused_naming_its_levels(staff, orgs, hairdresser):
    hairdresser.levels = "543"
    hairdresser.save()
    with pytest.raises(ValidationError) as caught:
        publish(staff, orgs, hairdresser, level="2")
    assert codes(caught.value) == {Code.LEVEL_NOT_IN_STANDARD}
    assert "“美发师”的国家职业技能标准没有二级/技师，只设有：五级/初级工、四级/中级工、三级/高级工。" in str(
        caught.value
    )


def test_an_inactive_station_publishes_nothing(staff, orgs, hairdresser):
    orgs["xm1"].is_active = False
    orgs["xm1"].save()
    with pytest.raises(ValidationError) as caught:
        publish(staff, orgs, hairdresser)
    assert codes(caught.value) == {Code.STATION_INACTIVE}


# --- registrations: a suspension from its day on, lifted from its lifting day ---------------------


@pytest.mark.parametrize(("day", "refused"), [(D(2020, 9, 9), False), (D(2020, 9, 10), True), (D(2020, 9, 11), True)])
def test_no_registration_from_the_suspension_day_on(announcement, staff, orgs, day, refused):
    suspend(staff, orgs, D(2020, 9, 10))
    accept = lambda: services.registration_accept(  # noqa: E731
        actor=staff["clerk"], candidate=CandidateFactory(), announcement=announcement, registration_date=day
    )
    if not refused:
        assert accept().pk
        return
    with pytest.raises(ValidationError) as caught:
        accept()
    assert codes(caught.value) == {Code.STATION_SUSPENDED}
    assert "厦门一站的鉴定资质自 2020-09-10 起暂停（督导抽查发现考评员不足，厦人社鉴〔2020〕41号）" in str(caught.value)


def test_a_lifted_suspension_allows_registrations_again_from_the_lifting_day(announcement, staff, orgs):
    sanction = suspend(staff, orgs, D(2020, 9, 10))
    catalog_services.sanction_lift(
        actor=staff["officer_xm"], sanction=sanction, lifted_on=D(2020, 9, 15), reason="整改到位"
    )
    for day, allowed in ((D(2020, 9, 14), False), (D(2020, 9, 15), True)):
        try:
            services.registration_accept(
                actor=staff["clerk"], candidate=CandidateFactory(), announcement=announcement, registration_date=day
            )
        except ValidationError:
            assert not allowed
        else:
            assert allowed


def test_a_revocation_refuses_with_its_own_code(announcement, staff, orgs):
    suspend(staff, orgs, D(2020, 9, 10), kind="revoke")
    with pytest.raises(ValidationError) as caught:
        services.registration_accept(
            actor=staff["clerk"],
            candidate=CandidateFactory(),
            announcement=announcement,
            registration_date=D(2020, 9, 12),
        )
    assert codes(caught.value) == {Code.STATION_REVOKED}


def test_the_import_refuses_the_rows_after_the_suspension_naming_row_and_authorisation(announcement, staff, orgs):
    suspend(staff, orgs, D(2020, 9, 10))
    rows = [person(1, 报名日期="2020-09-09"), person(2, 报名日期="2020-09-10")]
    report = import_file(csv_file(rows), station=orgs["xm1"], actor=staff["clerk"], file_name="报名.csv")
    assert not report.saved
    lines = report.lines()
    assert any(
        line.startswith("第3行 【报名日期】“2020-09-10”：XM001 厦门一站的鉴定资质自 2020-09-10 起暂停")
        for line in lines
    ), lines
    assert not any(line.startswith("第2行") for line in lines)


# --- sessions and results -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "refused"), [(D(2020, 11, 19), False), (D(2020, 11, 20), False), (D(2020, 11, 21), True)]
)
def test_a_session_up_to_the_last_valid_day(narrow, case, day, refused):
    case.register().review().consent().apply().approve()
    if not refused:
        case.schedule(day=day)
        assert case.session.pk
        return
    with pytest.raises(RuleError) as caught:
        case.schedule(day=day)
    assert caught.value.code == Code.AUTHORISATION_OUT_OF_DATE
    assert "2020-11-21 不能举行鉴定考试" in caught.value.message


def test_a_suspended_authorisation_refuses_sessions_from_its_day(case, staff, orgs, hairdresser):
    case.register().review().consent().apply().approve()
    authorisation = StationAuthorisation.objects.get(station=orgs["xm1"], occupation=hairdresser)
    suspend(staff, orgs, D(2020, 11, 20), authorisation=authorisation)
    case.schedule(day=D(2020, 11, 19), start_time=datetime.time(14), end_time=datetime.time(16))
    with pytest.raises(RuleError) as caught:
        case.schedule(day=D(2020, 11, 20))
    assert caught.value.code == Code.AUTHORISATION_SUSPENDED
    assert "测试授权〔2000〕1号" in caught.value.message


@pytest.mark.parametrize(
    ("today", "refused"), [(D(2020, 11, 24), False), (D(2020, 11, 25), True), (D(2020, 11, 26), True)]
)
def test_no_result_entered_from_the_suspension_day_on(case, staff, orgs, settings, today, refused):
    case.to_examined()
    suspend(staff, orgs, D(2020, 11, 25))
    settings.JIANDING_BUSINESS_DATE = today
    enter = lambda: services.result_enter(  # noqa: E731
        actor=staff["examiner"],
        registration=case.registration,
        theory_score=Decimal("80"),
        practical_score=Decimal("70"),
    )
    if not refused:
        assert enter().pk
        return
    with pytest.raises(RuleError) as caught:
        enter()
    assert caught.value.code == Code.STATION_SUSPENDED
    assert "不能录入成绩" in caught.value.message
