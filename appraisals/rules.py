"""The case rules: one small function per rule, each returning a ``Violation`` (a stable
``code`` and a Chinese ``message`` naming the notice) or None.

Everything that checks a case asks here: the models' ``clean()`` and the importer
(through ``check_registration_window``), the services, the reminders, the issuance
refusals and the upload audit. Callers decide by ``code``, never by the message.

A rule is checked against the date of the act (the registration's, the application's,
the exam's), never against today, and reads its dates from a ``Deadlines`` or a shared
``RuleBook`` (no query per rule). This module imports no model of this app, so the
models can call it."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.utils import timezone

from catalog.models import AuthorisationSanction, Occupation, Region, SkillLevel, levels_label
from catalog.selectors import Deadlines, RuleBook, StationAuthority
from kit import clock, conf
from kit.errors import RuleError

# The notices a message names when the rule is theirs and no deadline rule says otherwise.
NATIONAL_PLAN = "人社厅发〔2020〕80号"
QUALITY_RULES = "人社职司便函〔2020〕44号"
FUJIAN = "闽人社办〔2020〕143号"
HUNAN = "湘人社办发〔2020〕25号"

# ExamSession.Kind's values (imported from nowhere: the models import this module).
EXAM = "exam"
RETAKE = "retake"


class Code(StrEnum):
    """Stable codes: callers, tests and stored data may rely on them; never rename one."""

    REGISTRATION_BEFORE_ANNOUNCEMENT = "registration.before_announcement"
    REGISTRATION_LATE = "registration.late"
    CATALOG_EXITED = "catalog.exited"
    ELIGIBILITY_NOT_PASSED = "eligibility.not_passed"
    ELIGIBILITY_DATA_MISSING = "eligibility.data_missing"
    CONSENT_MISSING = "consent.missing"
    CONSENT_LATE = "consent.late"
    CONSENT_NO_SCAN = "consent.no_scan"
    APPLICATION_NOT_APPROVED = "application.not_approved"
    APPLICATION_LATE = "application.late"
    SESSION_BEFORE_APPROVAL = "session.before_approval"
    SESSION_OFFSITE_UNAPPROVED = "session.offsite_unapproved"
    SESSION_NOT_HELD = "session.not_held"
    SESSION_OFFSITE_OVER_CAP = "session.offsite_over_cap"
    SESSION_NO_PAPER = "session.no_paper"
    SESSION_NOT_YET = "session.not_yet"
    EXAM_LATE = "exam.late"
    RETAKE_LATE = "retake.late"
    RESULT_NOT_PASSED = "result.not_passed"
    PUBLICITY_NOT_PUBLISHED = "publicity.not_published"
    PUBLICITY_NOT_OVER = "publicity.not_over"
    FINDING_OPEN = "finding.open"
    CERTIFICATE_ALREADY_ISSUED = "certificate.already_issued"
    ISSUANCE_PENDING = "issuance.pending_batch"
    ISSUANCE_WRONG_CENTRE = "issuance.wrong_centre"
    LEVEL_NOT_IN_STANDARD = "occupation.level_not_in_standard"
    STATION_INACTIVE = "station.inactive"
    STATION_SUSPENDED = "station.suspended"
    STATION_REVOKED = "station.revoked"
    STATION_NOT_AUTHORISED = "station.not_authorised"
    AUTHORISATION_OUT_OF_DATE = "authorisation.out_of_date"
    AUTHORISATION_SUSPENDED = "authorisation.suspended"
    AUTHORISATION_REVOKED = "authorisation.revoked"
    STAFF_WRONG_ROLE = "staff.wrong_role"
    STAFF_NOT_VALID = "staff.not_valid"
    STAFF_SUSPENDED = "staff.suspended"
    STAFF_OUT_OF_SCOPE = "staff.out_of_scope"
    STAFF_OWN_STATION = "staff.own_station"
    STAFF_RECUSED = "staff.recused"
    SESSION_UNDERSTAFFED = "session.understaffed"
    LATE_ENTRY = "entry.late"


@dataclass(frozen=True)
class Violation:
    """One broken rule: what broke (``code``) and what to tell the user (``message``)."""

    code: Code
    message: str

    def __str__(self) -> str:
        return self.message

    def error(self) -> RuleError:
        """The service error for this violation, carrying the code."""
        return RuleError(self.message, code=self.code)


def _source(deadlines: Deadlines, name: str, default: str = "") -> str:
    """The notice that set one of the deadlines (the rule book keeps each date's source)."""
    rule = deadlines.sources.get(name)
    return rule.notice.doc_number if rule is not None else default


def _d(day: datetime.date) -> str:
    return f"{day:%Y-%m-%d}"


# --- registration and the catalog ---------------------------------------------------------


def registration_before_announcement(
    *, registration_date: datetime.date, publish_date: datetime.date
) -> Violation | None:
    """A registration answers an announcement, so it cannot come before it."""
    if registration_date >= publish_date:
        return None
    return Violation(
        Code.REGISTRATION_BEFORE_ANNOUNCEMENT,
        f"报名日期 {_d(registration_date)} 早于公告发布日期 {_d(publish_date)}。",
    )


def registration_late(
    *, deadlines: Deadlines, occupation: Occupation, region: Region, day: datetime.date, act: str = "受理报名"
) -> Violation | None:
    """No announcement and no registration after the last day that applies in the region
    (闽人社办〔2020〕143号 and 厦人社〔2020〕141号: 2020-09-30 for the 42 occupations;
    nationally 人社厅发〔2020〕80号 by batch). The message names the notice that set the
    day. ``act`` is what was done on ``day`` (受理报名, 发布鉴定考试公告)."""
    last = deadlines.last_registration_day
    if last is None or deadlines.accepts_registration_on(day):
        return None
    source = _source(deadlines, "last_registration_day", NATIONAL_PLAN)
    return Violation(
        Code.REGISTRATION_LATE,
        f"{act}日期 {_d(day)} 晚于“{occupation}”在{region}的最后受理日 {_d(last)}（{source}）。",
    )


def catalog_exited(
    *, rulebook: RuleBook, occupation: Occupation, day: datetime.date, act: str = "受理报名"
) -> Violation | None:
    """Appraisal only inside the catalog (人社职司便函〔2020〕44号): after the national exit
    day (人社厅发〔2020〕80号) nothing may be announced or registered, whatever a local
    rule extends."""
    national = rulebook.deadlines_for(occupation, None)
    exit_day = national.last_registration_day
    if exit_day is None or day <= exit_day:
        return None
    source = _source(national, "last_registration_day", NATIONAL_PLAN)
    return Violation(
        Code.CATALOG_EXITED,
        f"“{occupation}”已于 {_d(exit_day)} 退出国家职业资格目录，{_d(day)} 不能{act}"
        f"（{source}；只能在目录内开展鉴定，{QUALITY_RULES}）。",
    )


def registration_window(
    *, rulebook: RuleBook, occupation: Occupation, region: Region, day: datetime.date, act: str = "受理报名"
) -> list[Violation]:
    """Both date rules of an announcement or a registration: in time, inside the catalog."""
    deadlines = rulebook.deadlines_for(occupation, region)
    found = [
        registration_late(deadlines=deadlines, occupation=occupation, region=region, day=day, act=act),
        catalog_exited(rulebook=rulebook, occupation=occupation, day=day, act=act),
    ]
    return [v for v in found if v is not None]


def eligibility_not_passed(*, passed: bool | None) -> Violation | None:
    """Eligibility reviewed against the national standard's application conditions
    (人社职司便函〔2020〕44号). ``passed`` None: never reviewed."""
    if passed:
        return None
    return Violation(
        Code.ELIGIBILITY_NOT_PASSED,
        f"没有通过资格审查（申报条件：须符合国家职业技能标准的申报条件，{QUALITY_RULES}）。",
    )


def eligibility_data_missing(*, missing: Sequence[str]) -> Violation | None:
    """The review cannot decide: no application condition is met on what is known, and
    some could be met by details not entered at registration (``missing``: the names of
    those fields). Asked for rather than judged 不合格 (人社职司便函〔2020〕44号)."""
    if not missing:
        return None
    return Violation(
        Code.ELIGIBILITY_DATA_MISSING,
        f"无法进行资格审查：考生的{'、'.join(missing)}尚未填写。请在考生信息中补充后再审查"
        f"（申报条件：须符合国家职业技能标准的申报条件，{QUALITY_RULES}）。",
    )


# --- who may appraise: levels of the standard, station authorisations ---------------------------


def level_not_in_standard(*, occupation: Occupation, level: str) -> Violation | None:
    """Only the levels the occupation's national standard defines can be appraised
    (申报条件 and levels per the national occupational skill standard, 人社职司便函〔2020〕44号)."""
    if level in occupation.levels:
        return None
    return Violation(
        Code.LEVEL_NOT_IN_STANDARD,
        f"“{occupation}”的国家职业技能标准没有{SkillLevel(level).label}，只设有：{occupation.levels_label}。",
    )


def _sanction_text(sanction: AuthorisationSanction) -> str:
    document = f"，{sanction.document}" if sanction.document else ""
    return f"自 {_d(sanction.effective_from)} 起{sanction.get_kind_display()}（{sanction.reason}{document}）"


def station_not_authorised(
    *, authority: StationAuthority, occupation: Occupation, level: str, day: datetime.date, act: str
) -> Violation | None:
    """A station appraises only the occupations and levels it is authorised for, on the
    act's date, inside the authorisation's validity (both ends inclusive) and not from a
    suspension or revocation on (严格机构资质管理, 湘人社办发〔2020〕25号; strict
    management of stations, 人社职司便函〔2020〕44号). ``act`` names what was done on
    ``day`` (发布鉴定考试公告, 受理报名, 举行鉴定考试, 录入成绩). An inactive station
    (``is_active`` off) takes no new work on any day."""
    station = authority.station
    basis = f"（严格机构资质管理，{HUNAN}）"
    if not station.is_active:
        return Violation(Code.STATION_INACTIVE, f"{station}已停用，不能{act}{basis}。")
    sanction = authority.station_sanction_on(day)
    if sanction is not None:
        revoked = sanction.kind == AuthorisationSanction.Kind.REVOCATION
        return Violation(
            Code.STATION_REVOKED if revoked else Code.STATION_SUSPENDED,
            f"{station}的鉴定资质{_sanction_text(sanction)}，{_d(day)} 不能{act}{basis}。",
        )
    level_label = SkillLevel(level).label
    same_occupation = authority.for_occupation(occupation.pk)
    covering = [a for a in same_occupation if level in a.levels]
    valid = [a for a in covering if a.valid_on(day)]
    held = None
    for authorisation in valid:
        held = authority.authorisation_sanction_on(authorisation, day)
        if held is None:
            return None
    if held is not None:
        revoked = held.kind == AuthorisationSanction.Kind.REVOCATION
        return Violation(
            Code.AUTHORISATION_REVOKED if revoked else Code.AUTHORISATION_SUSPENDED,
            f"{station}对“{occupation}”{level_label}的鉴定授权（{held.authorisation and held.authorisation.document}）"
            f"{_sanction_text(held)}，{_d(day)} 不能{act}{basis}。",
        )
    if covering:
        periods = "；".join(f"{a.document}：{a.period_label}" for a in covering)
        return Violation(
            Code.AUTHORISATION_OUT_OF_DATE,
            f"{station}对“{occupation}”{level_label}的鉴定授权不在有效期内（{periods}），{_d(day)} 不能{act}{basis}。",
        )
    if same_occupation:
        levels = levels_label("".join(sorted({lv for a in same_occupation for lv in a.levels}, reverse=True)))
        detail = f"只授权了“{occupation}”的{levels}，没有{level_label}的鉴定授权"
    else:
        detail = f"没有“{occupation}”的鉴定授权"
    return Violation(Code.STATION_NOT_AUTHORISED, f"{station}{detail}，不能{act}{basis}。")


# --- consent ------------------------------------------------------------------------------


def consent_before_exam(*, signed_date: datetime.date | None, exam_date: datetime.date | None) -> Violation | None:
    """The voluntary-consent form (职业技能鉴定自愿书) is signed before the appraisal;
    without it there is no appraisal (闽人社办〔2020〕143号). ``signed_date`` None: no
    form; ``exam_date`` None: no exam yet, so only the form's existence is checked."""
    if signed_date is None:
        return Violation(
            Code.CONSENT_MISSING,
            f"没有签署职业技能鉴定自愿书：未签署自愿书不得参加鉴定（{FUJIAN}）。",
        )
    if exam_date is not None and signed_date > exam_date:
        return Violation(
            Code.CONSENT_LATE,
            f"自愿书签署日期晚于考试日期（{_d(signed_date)} 签署，{_d(exam_date)} 考试）："
            f"没有在考试日期前签署职业技能鉴定自愿书，不能参加鉴定（{FUJIAN}）。",
        )
    return None


def consent_no_scan(*, has_scan: bool) -> Violation | None:
    """The signed form is archived by the guidance centre with the certificate issuance
    materials (闽人社办〔2020〕143号): without a scan there is nothing to archive."""
    if has_scan:
        return None
    return Violation(
        Code.CONSENT_NO_SCAN,
        "自愿书没有扫描件，无法与证书核发资料一并归档：请鉴定站补传自愿书扫描件"
        f"（自愿书由指导中心与证书核发资料一并存档，{FUJIAN}）。",
    )


# --- appraisal application ------------------------------------------------------------------


def application_not_approved(*, approved: bool) -> Violation | None:
    """The station applies to its guidance centre (闽人社办〔2020〕143号); nothing is
    examined or certified before the centre approves."""
    if approved:
        return None
    return Violation(
        Code.APPLICATION_NOT_APPROVED,
        f"鉴定申请尚未获指导中心批准：没有经指导中心批准的鉴定申请，不能安排或举行考试，也不能发证（{FUJIAN}）。",
    )


def application_deadline(deadlines: Deadlines) -> tuple[datetime.date | None, str]:
    """The last day an application may be submitted, and the notice that set it: the
    application deadline, or else the appraisal's completion date."""
    if deadlines.application_deadline is not None:
        return deadlines.application_deadline, _source(deadlines, "application_deadline", FUJIAN)
    return deadlines.appraisal_deadline, _source(deadlines, "appraisal_deadline", NATIONAL_PLAN)


def application_late(
    *, deadlines: Deadlines, occupation: Occupation | str, submitted_date: datetime.date
) -> Violation | None:
    """The appraisal application reaches the guidance centre by the application deadline
    (闽人社办〔2020〕143号: 2020-10-31), checked on the day it was submitted. Where no rule
    sets one, an application after the completion date is refused too (nationally
    人社厅发〔2020〕80号: 上述有关工作请于今年年底前完成): nothing could be appraised under it."""
    deadline, source = application_deadline(deadlines)
    if deadline is None or submitted_date <= deadline:
        return None
    return Violation(
        Code.APPLICATION_LATE,
        f"鉴定申请应在 {_d(deadline)} 前（含当日）提交指导中心（{source}）；"
        f"{occupation}的申请日期 {_d(submitted_date)} 已逾期。",
    )


# --- sessions: when, where, held ----------------------------------------------------------------


def completion_deadline(deadlines: Deadlines, kind: str) -> datetime.date | None:
    """The last day an exam of ``kind`` may be held: the appraisal deadline for a first
    exam; for a retake the retake deadline, or the appraisal deadline when no rule sets a
    retake deadline (the retake is part of the appraisal, which must be completed by then:
    闽人社办〔2020〕143号). The one place that decides it."""
    return _completion(deadlines, kind)[0]


def _completion(deadlines: Deadlines, kind: str) -> tuple[datetime.date | None, str]:
    if kind == RETAKE and deadlines.retake_deadline is not None:
        return deadlines.retake_deadline, _source(deadlines, "retake_deadline", FUJIAN)
    return deadlines.appraisal_deadline, _source(deadlines, "appraisal_deadline", FUJIAN)


def completion_late(*, deadlines: Deadlines, kind: str, day: datetime.date, act: str = "考试") -> Violation | None:
    """The appraisal and the one retake are completed by their deadline (闽人社办〔2020〕143号:
    both 2020-12-31; see ``completion_deadline``). ``day`` is the act's date: the exam's
    (``act`` 考试) or the retake request's (``act`` 申请补考)."""
    deadline, source = _completion(deadlines, kind)
    if deadline is None or day <= deadline:
        return None
    is_retake = kind == RETAKE
    return Violation(
        Code.RETAKE_LATE if is_retake else Code.EXAM_LATE,
        f"{'补考' if is_retake else '鉴定'}须在 {_d(deadline)} 前（含当日）完成（{source}），"
        f"{act}日期 {_d(day)} 已超期。",
    )


def session_before_approval(*, decided_date: datetime.date | None, day: datetime.date) -> Violation | None:
    """An exam is held under an approved application, so not before the approval."""
    if decided_date is None or day >= decided_date:
        return None
    return Violation(Code.SESSION_BEFORE_APPROVAL, f"考试日期 {_d(day)} 早于鉴定申请的批准日期 {_d(decided_date)}。")


def session_offsite_unapproved(*, offsite: bool, approved: bool) -> Violation | None:
    """No off-site or cross-region appraisal without approval (湘人社办发〔2020〕25号;
    人社职司便函〔2020〕44号). ``offsite``: the exam site lies outside the station's region;
    ``approved``: the station's guidance centre approved a request for that site and day."""
    if not offsite or approved:
        return None
    return Violation(
        Code.SESSION_OFFSITE_UNAPPROVED,
        f"考点不在鉴定站所在地区，且没有指导中心批准的异地鉴定申请：未经批准不得开展异地鉴定（{HUNAN}）。",
    )


def session_offsite_over_cap(*, candidates: int, cap: int | None) -> Violation | None:
    """No cross-region mass appraisal (闽人社办〔2020〕143号: 严禁组织跨区域规模化鉴定):
    above ``cap`` candidates an off-site session is refused even with an approval.
    ``cap`` None: the regions involved set no cap."""
    if cap is None or candidates <= cap:
        return None
    return Violation(
        Code.SESSION_OFFSITE_OVER_CAP,
        f"异地（跨区域）鉴定 {candidates} 人，超过规模上限 {cap} 人：严禁组织跨区域规模化鉴定（{FUJIAN}），"
        "即使已批准也不能举行。",
    )


def session_without_paper(*, handed_over: bool) -> Violation | None:
    """An exam uses a paper drawn from the national question bank, issued by the guidance
    centre and handed over to the station (人社职司便函〔2020〕44号)."""
    if handed_over:
        return None
    return Violation(
        Code.SESSION_NO_PAPER,
        f"该场次没有指导中心发放并交接的国家题库试卷：鉴定须使用国家题库抽取试题组卷（{QUALITY_RULES}）。",
    )


def session_not_yet(*, day: datetime.date, today: datetime.date) -> Violation | None:
    """A session is recorded as held on its day or after, never before it."""
    if day <= today:
        return None
    return Violation(
        Code.SESSION_NOT_YET,
        f"考试日期 {_d(day)} 还没到（今天是 {_d(today)}），不能登记为已举行。",
    )


def session_not_held(*, held: bool, kind: str) -> Violation | None:
    """A certificate rests on an exam recorded as held (full trace, 人社职司便函〔2020〕44号)."""
    if held:
        return None
    return Violation(
        Code.SESSION_NOT_HELD,
        f"{'补考' if kind == RETAKE else '鉴定考试'}场次没有登记为已举行（全程留痕，{QUALITY_RULES}）。",
    )


# --- result, publicity, supervision, certificate ---------------------------------------------------


def result_not_passed(*, passed: bool, status_label: str) -> Violation | None:
    """Passed → the guidance centre issues the certificate (闽人社办〔2020〕143号); nothing else is certified."""
    if passed:
        return None
    return Violation(
        Code.RESULT_NOT_PASSED,
        f"报名状态为“{status_label}”：只有鉴定（或补考）成绩复核确认合格的考生才能发证。",
    )


def publicity_over(
    *,
    published_on: datetime.date | None,
    last_day: datetime.date | None,
    issue_date: datetime.date | None,
) -> Violation | None:
    """Passed results are published for a period (公示, a setting) and certified only after
    it. ``issue_date`` None checks only that they were published (preparing a batch)."""
    if published_on is None or last_day is None:
        return Violation(Code.PUBLICITY_NOT_PUBLISHED, "合格成绩尚未公示。")
    if issue_date is not None and issue_date <= last_day:
        return Violation(
            Code.PUBLICITY_NOT_OVER,
            f"成绩公示期至 {_d(last_day)} 止，发证日期 {_d(issue_date)} 须在公示期结束之后。",
        )
    return None


def finding_open(*, count: int) -> Violation | None:
    """An open supervision finding on the exam holds its certificates (every report is
    investigated, 人社职司便函〔2020〕44号). The one violation that holds rather than refuses."""
    if count <= 0:
        return None
    return Violation(
        Code.FINDING_OPEN,
        f"考试场次有未办结的督导问题（{count} 件），该场次证书暂缓核发（{QUALITY_RULES}）。",
    )


def certificate_already_issued(*, has_valid_certificate: bool) -> Violation | None:
    """One valid certificate per case."""
    if not has_valid_certificate:
        return None
    return Violation(Code.CERTIFICATE_ALREADY_ISSUED, "该报名已核发有效证书，不能重复发证。")


def issuance_pending(*, batch_id: int | None) -> Violation | None:
    """A case waits in one issuance batch at a time."""
    if batch_id is None:
        return None
    return Violation(Code.ISSUANCE_PENDING, f"该报名已在待审批的发证批次 #{batch_id} 中。")


def issuance_wrong_centre(*, station: object, centre: object, covers_station: bool) -> Violation | None:
    """Whoever issues is responsible (谁发证谁负责): the station's own guidance centre or one above it issues."""
    if covers_station:
        return None
    return Violation(Code.ISSUANCE_WRONG_CENTRE, f"{station}不属于{centre}，不能由该中心发证。")


# --- the registry and staffing (考评员、督导员管理；国家职业技能标准的考评人员配备) --------------


def staff_unusable(
    *,
    name: str,
    role: str,
    role_label: str,
    wanted_role: str,
    wanted_label: str,
    valid_from: datetime.date,
    valid_to: datetime.date,
    status: str,
    status_label: str,
    status_date: datetime.date | None,
    day: datetime.date,
) -> Violation | None:
    """A registry person may sit on a session on ``day`` only in their own role, inside
    their validity (both days inclusive), and not from the day of a suspension or
    revocation on."""
    if role != wanted_role:
        return Violation(
            Code.STAFF_WRONG_ROLE, f"{name}在考评员、督导员名册中登记为{role_label}，不能担任{wanted_label}。"
        )
    if not valid_from <= day <= valid_to:
        return Violation(
            Code.STAFF_NOT_VALID,
            f"{name}的{role_label}资格有效期为 {_d(valid_from)} 至 {_d(valid_to)}，"
            f"不含考试日期 {_d(day)}（{QUALITY_RULES}：加强考评员、督导员管理）。",
        )
    if status != "active" and status_date is not None and status_date <= day:
        return Violation(
            Code.STAFF_SUSPENDED,
            f"{name}的{role_label}资格自 {_d(status_date)} 起已{status_label}，"
            f"不能担任 {_d(day)} 场次的{wanted_label}。",
        )
    return None


def staff_out_of_scope(
    *, name: str, wanted_label: str, in_region: bool, covers_occupation: bool, covers_level: bool, what: str
) -> Violation | None:
    """Examiners examine only the occupations and levels they are registered for; everyone
    works only in the region they are registered in (or below it)."""
    if not in_region:
        return Violation(
            Code.STAFF_OUT_OF_SCOPE, f"{name}不是考点所在地区登记的{wanted_label}，不能担任{what}的{wanted_label}。"
        )
    if not covers_occupation or not covers_level:
        return Violation(Code.STAFF_OUT_OF_SCOPE, f"{name}登记的考评范围不含{what}，不能担任该场次的考评员。")
    return None


def staff_own_station(*, name: str, station: str) -> Violation:
    """A supervisor never supervises the station they work for."""
    return Violation(Code.STAFF_OWN_STATION, f"{name}是{station}的工作人员，不能担任本站鉴定的督导员。")


def staff_recused(*, name: str, candidate: str, relation: str) -> Violation:
    """Whoever declared a relation to a candidate of a session stays off that session."""
    return Violation(
        Code.STAFF_RECUSED,
        f"{name}已申报与考生{candidate}存在{relation}关系，应当回避，不能在该场次担任考评员、督导员或监考人员。",
    )


@dataclass(frozen=True)
class Staffing:
    """What a session needs: examiners for the practical assessment (and the review panel
    at technician levels) and invigilators in each theory room."""

    examiners: int
    invigilators: tuple[int, ...]


def _odd_at_least(number: int) -> int:
    return number if number % 2 else number + 1


def staffing_required(*, candidates: int, level: str, room_candidates: Sequence[int] = ()) -> Staffing:
    """The standards' template (every number a setting): theory rooms at least
    ``invigilators_min`` invigilators and one per ``per_invigilator`` candidates; practical
    assessments one examiner per ``per_examiner`` candidates, at least ``examiners_min``,
    an odd number; technician levels (一级、二级) a review panel (综合评审) of at least
    ``review_panel_min``, odd. The session's examiners form the panel, so they need the
    larger of the two."""
    n = conf.staffing()
    examiners = _odd_at_least(max(n["examiners_min"], -(-candidates // n["per_examiner"])))
    if level in REVIEW_LEVELS:
        examiners = max(examiners, _odd_at_least(n["review_panel_min"]))
    rooms = tuple(
        max(n["invigilators_min"], -(-seated // n["per_invigilator"])) if seated else 0 for seated in room_candidates
    )
    return Staffing(examiners=examiners, invigilators=rooms)


# Technician levels: 二级/技师 and 一级/高级技师 add a comprehensive review.
REVIEW_LEVELS = ("1", "2")


def staffing_short(
    *,
    candidates: int,
    level: str,
    examiners: int,
    rooms: Sequence[tuple[str, int, int]] = (),
) -> Violation | None:
    """The first shortfall against ``staffing_required``: too few or an even number of
    examiners for ``candidates``, or a room (name, seated, invigilators) with too few
    invigilators."""
    need = staffing_required(candidates=candidates, level=level, room_candidates=[seated for _, seated, _ in rooms])
    if examiners < need.examiners or examiners % 2 == 0:
        panel = "（技师、高级技师等级含综合评审组）" if level in REVIEW_LEVELS else ""
        return Violation(
            Code.SESSION_UNDERSTAFFED,
            f"考评员配备不符合国家职业技能标准：考生 {candidates} 人需要至少 {need.examiners} 名考评员{panel}，"
            f"且为单数；现有 {examiners} 名。",
        )
    for (name, seated, invigilators), needed in zip(rooms, need.invigilators, strict=True):
        if invigilators < needed:
            return Violation(
                Code.SESSION_UNDERSTAFFED,
                f"监考人员不足：{name}有考生 {seated} 人，需要至少 {needed} 名监考人员，现有 {invigilators} 名。",
            )
    return None


# --- late entries (补录) ----------------------------------------------------------------------

# The acts that are entered after the fact, and what they are called (LateEntryApproval.Act's values).
REGISTRATION = "registration"
CONSENT = "consent"
APPLICATION = "application"
SESSION = "session"
RESULT = "result"
ACT_LABELS = {
    REGISTRATION: "报名",
    CONSENT: "自愿书",
    APPLICATION: "鉴定申请",
    SESSION: "考试场次",
    RESULT: "成绩",
}


def entry_deadline(deadlines: Deadlines, act: str, kind: str = EXAM) -> tuple[datetime.date | None, str]:
    """The deadline an act's own date is checked against, and the notice that set it: a
    registration the last registration day; an application the application deadline (or the
    completion date); a consent form, a session and a result the completion date of the
    exam (or retake) they belong to."""
    if act == REGISTRATION:
        return deadlines.last_registration_day, _source(deadlines, "last_registration_day", NATIONAL_PLAN)
    if act == APPLICATION:
        return application_deadline(deadlines)
    return _completion(deadlines, kind)


def entry_closes_at(deadline: datetime.date) -> datetime.datetime:
    """The moment entries dated inside ``deadline`` stop being accepted without approval:
    the end of the deadline day (local time) plus the grace (``JIANDING_LATE_ENTRY_GRACE_HOURS``)."""
    midnight = datetime.datetime.combine(deadline + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(midnight) + conf.late_entry_grace()


def late_entry(
    *,
    act: str,
    act_date: datetime.date,
    deadline: datetime.date | None,
    source: str,
    entered_at: datetime.datetime,
) -> Violation | None:
    """补录: an act whose own date lies inside its deadline but which is entered after the
    deadline has passed (and the grace after it) needs a guidance-centre officer's approval
    with a reason, given before it is entered. An act dated after the deadline is not a late
    entry: its own rule refuses it. The deadline is the one ``entry_deadline`` names."""
    if deadline is None or act_date > deadline:
        return None
    closes = entry_closes_at(deadline)
    if entered_at <= closes:
        return None
    local = timezone.get_current_timezone()
    return Violation(
        Code.LATE_ENTRY,
        f"补录须经批准：{ACT_LABELS[act]}日期 {_d(act_date)} 在截止日 {_d(deadline)}（{source}）之内，"
        f"但录入时间 {entered_at.astimezone(local):%Y-%m-%d %H:%M} 已过截止日及宽限期"
        f"（至 {closes.astimezone(local):%Y-%m-%d %H:%M}）："
        "须先由指导中心审核员批准补录并写明理由（补录批准），录入时选用该批准。",
    )


def late_entry_gap_days(*, deadline: datetime.date, entered_at: datetime.datetime) -> int:
    """How many days after the deadline a late entry was made (the day after it: 1)."""
    return (clock.local_day(entered_at) - deadline).days
