"""The case rules, one code at a time: each rule returns its stable code and a Chinese
message naming the notice where one applies, at the edges of its dates (the day before,
the day, the day after); and the callers decide by the code, not by the words."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError

from appraisals import rules
from appraisals.models import ExamSession, check_registration_window
from appraisals.rules import Code, Violation
from catalog.models import AuthorisationSanction, Occupation, Station, StationAuthorisation
from catalog.selectors import Deadlines, RuleBook, StationAuthority
from kit.errors import RuleError
from tests.factories import region

pytestmark = pytest.mark.django_db
D = datetime.date
CJK = re.compile(r"[\u4e00-\u9fff]")
SLUG = re.compile(r"[a-z]+\.[a-z_]+")

FUJIAN = "闽人社办〔2020〕143号"
XIAMEN = "厦人社〔2020〕141号"
NATIONAL = "人社厅发〔2020〕80号"
QUALITY = "人社职司便函〔2020〕44号"
HUNAN = "湘人社办发〔2020〕25号"


@pytest.fixture
def book():
    return RuleBook()


@pytest.fixture
def hairdresser():
    return Occupation.objects.get(name="美发师")  # batch 1 (exits 2020-09-30) and one of Fujian's 42


@pytest.fixture
def xiamen(book, hairdresser):
    return book.deadlines_for(hairdresser, region("350200"))


def _authority(occupation, *, active=True, sanction=None, on_authorisation=False, valid_to=None, levels="54321"):
    """A station's authority built in memory: one authorisation (美发师 from 2020-01-01),
    optionally one sanction on the station or on the authorisation."""
    station = Station(pk=1, code="XM001", name="厦门一站", is_active=active)
    authorisation = StationAuthorisation(
        pk=1,
        occupation=occupation,
        levels=levels,
        valid_from=D(2020, 1, 1),
        valid_to=valid_to,
        document="厦人社鉴〔2020〕3号",
    )
    sanctions = []
    if sanction:
        sanctions.append(
            AuthorisationSanction(
                kind=sanction,
                effective_from=D(2020, 9, 15),
                reason="抽查发现违规",
                authorisation=authorisation if on_authorisation else None,
            )
        )
    return StationAuthority(station, [authorisation], sanctions)


def _acts(authority, occupation, level="5", day=D(2020, 9, 15)):
    return rules.station_not_authorised(
        authority=authority, occupation=occupation, level=level, day=day, act="受理报名"
    )


def broken(book, hairdresser, xiamen) -> dict[Code, tuple[Violation | None, str | None]]:
    """One broken case per code, just past its edge, with the notice its message names."""
    xm = region("350200")
    lathe = Occupation.objects.get(name="车工")
    return {
        Code.REGISTRATION_BEFORE_ANNOUNCEMENT: (
            rules.registration_before_announcement(registration_date=D(2020, 8, 31), publish_date=D(2020, 9, 1)),
            None,
        ),
        Code.REGISTRATION_LATE: (
            rules.registration_late(deadlines=xiamen, occupation=hairdresser, region=xm, day=D(2020, 10, 1)),
            XIAMEN,
        ),
        Code.CATALOG_EXITED: (rules.catalog_exited(rulebook=book, occupation=lathe, day=D(2020, 10, 1)), NATIONAL),
        Code.ELIGIBILITY_NOT_PASSED: (rules.eligibility_not_passed(passed=False), QUALITY),
        Code.ELIGIBILITY_DATA_MISSING: (rules.eligibility_data_missing(missing=["本职业（工种）工作年限"]), QUALITY),
        Code.CONSENT_MISSING: (rules.consent_before_exam(signed_date=None, exam_date=D(2020, 11, 20)), FUJIAN),
        Code.CONSENT_LATE: (
            rules.consent_before_exam(signed_date=D(2020, 11, 21), exam_date=D(2020, 11, 20)),
            FUJIAN,
        ),
        Code.CONSENT_NO_SCAN: (rules.consent_no_scan(has_scan=False), FUJIAN),
        Code.APPLICATION_NOT_APPROVED: (rules.application_not_approved(approved=False), FUJIAN),
        Code.APPLICATION_LATE: (
            rules.application_late(deadlines=xiamen, occupation=hairdresser, submitted_date=D(2020, 11, 1)),
            FUJIAN,
        ),
        Code.SESSION_BEFORE_APPROVAL: (
            rules.session_before_approval(decided_date=D(2020, 10, 25), day=D(2020, 10, 24)),
            None,
        ),
        Code.SESSION_OFFSITE_UNAPPROVED: (rules.session_offsite_unapproved(offsite=True, approved=False), HUNAN),
        Code.SESSION_OFFSITE_OVER_CAP: (rules.session_offsite_over_cap(candidates=31, cap=30), FUJIAN),
        Code.SESSION_NO_PAPER: (rules.session_without_paper(handed_over=False), QUALITY),
        Code.SESSION_NOT_YET: (rules.session_not_yet(day=D(2020, 11, 21), today=D(2020, 11, 20)), None),
        Code.SESSION_NOT_HELD: (rules.session_not_held(held=False, kind=rules.EXAM), QUALITY),
        Code.EXAM_LATE: (rules.completion_late(deadlines=xiamen, kind=rules.EXAM, day=D(2021, 1, 1)), FUJIAN),
        Code.RETAKE_LATE: (rules.completion_late(deadlines=xiamen, kind=rules.RETAKE, day=D(2021, 1, 1)), FUJIAN),
        Code.RESULT_NOT_PASSED: (rules.result_not_passed(passed=False, status_label="不合格"), None),
        Code.PUBLICITY_NOT_PUBLISHED: (
            rules.publicity_over(published_on=None, last_day=None, issue_date=None),
            None,
        ),
        Code.PUBLICITY_NOT_OVER: (
            rules.publicity_over(published_on=D(2020, 11, 23), last_day=D(2020, 11, 27), issue_date=D(2020, 11, 27)),
            None,
        ),
        Code.FINDING_OPEN: (rules.finding_open(count=1), QUALITY),
        Code.CERTIFICATE_ALREADY_ISSUED: (rules.certificate_already_issued(has_valid_certificate=True), None),
        Code.ISSUANCE_PENDING: (rules.issuance_pending(batch_id=7), None),
        Code.ISSUANCE_WRONG_CENTRE: (
            rules.issuance_wrong_centre(station="厦门一站", centre="湖南省中心", covers_station=False),
            None,
        ),
        Code.LEVEL_NOT_IN_STANDARD: (
            rules.level_not_in_standard(occupation=Occupation(name="测试职业", levels="543"), level="1"),
            None,
        ),
        Code.STATION_INACTIVE: (_acts(_authority(hairdresser, active=False), hairdresser), HUNAN),
        Code.STATION_SUSPENDED: (_acts(_authority(hairdresser, sanction="suspend"), hairdresser), HUNAN),
        Code.STATION_REVOKED: (_acts(_authority(hairdresser, sanction="revoke"), hairdresser), HUNAN),
        Code.STATION_NOT_AUTHORISED: (_acts(_authority(hairdresser), lathe), HUNAN),
        Code.AUTHORISATION_OUT_OF_DATE: (
            _acts(_authority(hairdresser, valid_to=D(2020, 9, 14)), hairdresser),
            HUNAN,
        ),
        Code.AUTHORISATION_SUSPENDED: (
            _acts(_authority(hairdresser, sanction="suspend", on_authorisation=True), hairdresser),
            HUNAN,
        ),
        Code.AUTHORISATION_REVOKED: (
            _acts(_authority(hairdresser, sanction="revoke", on_authorisation=True), hairdresser),
            HUNAN,
        ),
        Code.STAFF_WRONG_ROLE: (_staff(role="supervisor"), None),
        Code.STAFF_NOT_VALID: (_staff(day=D(2021, 1, 1)), QUALITY),
        Code.STAFF_SUSPENDED: (_staff(status="suspended", status_date=D(2020, 11, 20)), None),
        Code.STAFF_OUT_OF_SCOPE: (
            rules.staff_out_of_scope(
                name="张三",
                wanted_label="考评员",
                in_region=False,
                covers_occupation=True,
                covers_level=True,
                what="美发师",
            ),
            None,
        ),
        Code.STAFF_OWN_STATION: (rules.staff_own_station(name="张三", station="厦门一站"), None),
        Code.STAFF_RECUSED: (rules.staff_recused(name="张三", candidate="李四", relation="近亲属"), None),
        Code.SESSION_UNDERSTAFFED: (rules.staffing_short(candidates=16, level="5", examiners=3), None),
        Code.LATE_ENTRY: (_late_registration(), XIAMEN),
    }


def _late_registration():
    """A registration dated on Xiamen's last day, entered a minute after the day and a 6-hour grace."""
    from django.test import override_settings

    with override_settings(JIANDING_LATE_ENTRY_GRACE_HOURS=6):
        entered = datetime.datetime(2020, 10, 1, 6, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
        return rules.late_entry(
            act=rules.REGISTRATION, act_date=D(2020, 9, 30), deadline=D(2020, 9, 30), source=XIAMEN, entered_at=entered
        )


def _staff(**changes):
    """A registry examiner checked for a session on 2020-11-20, with ``changes``."""
    values = {
        "name": "张三",
        "role": "examiner",
        "role_label": "考评员",
        "wanted_role": "examiner",
        "wanted_label": "考评员",
        "valid_from": D(2020, 1, 1),
        "valid_to": D(2020, 12, 31),
        "status": "active",
        "status_label": "暂停",
        "status_date": None,
        "day": D(2020, 11, 20),
        **changes,
    }
    return rules.staff_unusable(**values)


@pytest.mark.parametrize("code", list(Code), ids=[c.value for c in Code])
def test_every_code_has_a_rule_with_a_chinese_message_naming_its_notice(book, hairdresser, xiamen, code):
    violation, notice = broken(book, hairdresser, xiamen)[code]
    assert violation is not None
    assert violation.code == code and SLUG.fullmatch(violation.code)
    assert str(violation) == violation.message and CJK.search(violation.message)
    if notice:
        assert notice in violation.message


def test_the_codes_are_stable():
    # Stored data and other screens may rely on these: renaming one is a breaking change.
    assert {c.value for c in Code} == {
        "registration.before_announcement",
        "registration.late",
        "catalog.exited",
        "eligibility.not_passed",
        "eligibility.data_missing",
        "consent.missing",
        "consent.late",
        "consent.no_scan",
        "application.not_approved",
        "application.late",
        "session.before_approval",
        "session.offsite_unapproved",
        "session.not_held",
        "session.offsite_over_cap",
        "session.no_paper",
        "session.not_yet",
        "exam.late",
        "retake.late",
        "result.not_passed",
        "publicity.not_published",
        "publicity.not_over",
        "finding.open",
        "certificate.already_issued",
        "issuance.pending_batch",
        "issuance.wrong_centre",
        "occupation.level_not_in_standard",
        "station.inactive",
        "station.suspended",
        "station.revoked",
        "station.not_authorised",
        "authorisation.out_of_date",
        "authorisation.suspended",
        "authorisation.revoked",
        "staff.wrong_role",
        "staff.not_valid",
        "staff.suspended",
        "staff.out_of_scope",
        "staff.own_station",
        "staff.recused",
        "session.understaffed",
        "entry.late",
    }


# --- the edges: the day before, the day, the day after ----------------------------------------


@pytest.mark.parametrize(("day", "late"), [(D(2020, 9, 29), False), (D(2020, 9, 30), False), (D(2020, 10, 1), True)])
def test_registration_late_in_xiamen_names_xiamens_notice(xiamen, hairdresser, day, late):
    found = rules.registration_late(deadlines=xiamen, occupation=hairdresser, region=region("350200"), day=day)
    assert (found is not None) is late
    if late:
        assert found.message == (
            "受理报名日期 2020-10-01 晚于“美发师”在厦门市的最后受理日 2020-09-30（厦人社〔2020〕141号）。"
        )


def test_a_batch_two_occupation_in_hunan_names_the_national_notice(book):
    electrician = Occupation.objects.get(name="电工")
    changsha = region("430100")
    deadlines = book.deadlines_for(electrician, changsha)
    assert (
        rules.registration_late(deadlines=deadlines, occupation=electrician, region=changsha, day=D(2020, 12, 31))
        is None
    )
    found = rules.registration_late(
        deadlines=deadlines, occupation=electrician, region=changsha, day=D(2021, 1, 1), act="发布鉴定考试公告"
    )
    assert found.code == Code.REGISTRATION_LATE
    assert found.message.startswith("发布鉴定考试公告日期 2021-01-01")
    assert "最后受理日 2020-12-31（人社厅发〔2020〕80号）" in found.message


@pytest.mark.parametrize(("day", "exited"), [(D(2020, 9, 29), False), (D(2020, 9, 30), False), (D(2020, 10, 1), True)])
def test_outside_the_catalog_after_the_national_exit_day(book, day, exited):
    found = rules.catalog_exited(rulebook=book, occupation=Occupation.objects.get(name="车工"), day=day)
    assert (found is not None) is exited


def test_an_access_type_occupation_never_leaves_the_catalog(book):
    guard = Occupation.objects.get(name="保安员")
    assert rules.catalog_exited(rulebook=book, occupation=guard, day=D(2030, 1, 1)) is None


@pytest.mark.parametrize(
    ("signed", "code"),
    [
        (D(2020, 11, 19), None),
        (D(2020, 11, 20), None),
        (D(2020, 11, 21), Code.CONSENT_LATE),
        (None, Code.CONSENT_MISSING),
    ],
)
def test_consent_is_signed_by_the_exam_day(signed, code):
    found = rules.consent_before_exam(signed_date=signed, exam_date=D(2020, 11, 20))
    assert (found.code if found else None) == code


def test_consent_before_any_exam_only_needs_the_form():
    assert rules.consent_before_exam(signed_date=D(2020, 12, 1), exam_date=None) is None


@pytest.mark.parametrize(("day", "late"), [(D(2020, 10, 30), False), (D(2020, 10, 31), False), (D(2020, 11, 1), True)])
def test_application_by_october_31(xiamen, hairdresser, day, late):
    found = rules.application_late(deadlines=xiamen, occupation=hairdresser, submitted_date=day)
    assert (found is not None) is late


@pytest.mark.parametrize("kind", [rules.EXAM, rules.RETAKE])
@pytest.mark.parametrize(("day", "late"), [(D(2020, 12, 30), False), (D(2020, 12, 31), False), (D(2021, 1, 1), True)])
def test_exam_and_retake_completed_by_december_31(xiamen, kind, day, late):
    found = rules.completion_late(deadlines=xiamen, kind=kind, day=day)
    assert (found is not None) is late
    if late:
        assert found.code == (Code.RETAKE_LATE if kind == rules.RETAKE else Code.EXAM_LATE)
        assert "须在 2020-12-31 前（含当日）完成（闽人社办〔2020〕143号）" in found.message


def test_an_approved_off_site_session_or_one_on_site_is_fine():
    assert rules.session_offsite_unapproved(offsite=True, approved=True) is None
    assert rules.session_offsite_unapproved(offsite=False, approved=False) is None


@pytest.mark.parametrize(
    ("issue", "code"),
    [(D(2020, 11, 26), Code.PUBLICITY_NOT_OVER), (D(2020, 11, 27), Code.PUBLICITY_NOT_OVER), (D(2020, 11, 28), None)],
)
def test_certificates_only_after_the_publicity_period(issue, code):
    found = rules.publicity_over(published_on=D(2020, 11, 23), last_day=D(2020, 11, 27), issue_date=issue)
    assert (found.code if found else None) == code


# --- the retake deadline, decided once ----------------------------------------------------------


@pytest.mark.parametrize(
    ("deadlines", "exam", "retake"),
    [
        (dict(appraisal_deadline=D(2020, 12, 31), retake_deadline=D(2021, 1, 15)), D(2020, 12, 31), D(2021, 1, 15)),
        # No rule sets a retake deadline: the retake is part of the appraisal and ends with it.
        (dict(appraisal_deadline=D(2020, 12, 31)), D(2020, 12, 31), D(2020, 12, 31)),
        (dict(), None, None),
    ],
)
def test_completion_deadline_falls_back_to_the_appraisal_deadline(deadlines, exam, retake):
    deadlines = Deadlines(occupation_id=1, region_id=None, **deadlines)
    assert rules.completion_deadline(deadlines, ExamSession.Kind.EXAM) == exam
    assert rules.completion_deadline(deadlines, ExamSession.Kind.RETAKE) == retake


# --- callers decide by the code ------------------------------------------------------------------


def test_the_importers_window_check_raises_with_the_rules_code(hairdresser):
    xm = region("350200")
    check_registration_window(hairdresser, xm, D(2020, 9, 30), "受理报名")  # the last day itself is fine
    with pytest.raises(ValidationError) as error:
        check_registration_window(hairdresser, xm, D(2020, 10, 1), "受理报名", rulebook=RuleBook())
    # Late and outside the catalog: the first (the local deadline) is the one raised.
    assert [e.code for e in error.value.error_list] == [Code.REGISTRATION_LATE]


def test_a_registration_form_error_keeps_the_code(case):
    with pytest.raises(ValidationError) as error:
        case.register(D(2020, 8, 31))
    assert [e.code for e in error.value.error_dict["registration_date"]] == [Code.REGISTRATION_BEFORE_ANNOUNCEMENT]


def test_services_raise_the_rules_code(case):
    case.register().review().consent()
    with pytest.raises(RuleError) as error:
        case.apply(D(2020, 11, 1))
    assert error.value.code == Code.APPLICATION_LATE
    assert "2020-10-31 前（含当日）提交指导中心（闽人社办〔2020〕143号）" in error.value.message


def test_a_session_refused_for_its_date_says_which_rule(case):
    case.register().review().consent().apply().approve()
    with pytest.raises(RuleError) as error:
        case.schedule(D(2021, 1, 1))
    assert error.value.code == Code.EXAM_LATE


def test_holding_a_session_refuses_a_late_consent_by_its_code(case):
    case.register().review().consent(D(2020, 11, 21)).apply().approve().schedule(D(2020, 11, 20)).seat()
    with pytest.raises(RuleError) as error:
        case.hold()
    assert error.value.code == Code.CONSENT_LATE
    assert error.value.message.startswith(f"{case.candidate.name}：")
