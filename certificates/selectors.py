"""Reads shared by services, screens and documents: whether a case may be certified
(every refusal reason), the signs of rushed issuance, what the public lookup shows, and
the data audit of an upload batch."""

from __future__ import annotations

import datetime
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from appraisals.models import (
    AppraisalApplication,
    ConsentForm,
    EligibilityReview,
    ExamResult,
    ExamSession,
    Registration,
    SeatAssignment,
)
from candidates.validators import mask_id_number, validate_id_number
from catalog import selectors as catalog_selectors
from catalog.models import GuidanceCentre, SkillLevel, User
from catalog.selectors import RuleBook, has_full_scope, visible_centres, visible_stations
from kit import clock

from .models import (
    Certificate,
    IssuanceBatch,
    IssuanceItem,
    SupervisionFinding,
    UploadBatch,
    UploadItem,
)

Status = Registration.Status


def _setting(name: str, default):
    return getattr(settings, name, default)


def _day(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# --- who may issue ------------------------------------------------------------------------


def centre_subtree_ids(centre: GuidanceCentre | int) -> set[int]:
    root = centre if isinstance(centre, int) else centre.pk
    return catalog_selectors._descendant_ids(GuidanceCentre, root)


def issuer_refusal(actor: User, centre: GuidanceCentre) -> str | None:
    """The guidance centre issues; the station never does. The actor must be a centre
    user whose centre is ``centre`` or above it (or a system administrator)."""
    if actor.station_id is not None:
        return "鉴定站人员不能办理证书核发（谁发证谁负责：证书由职业技能鉴定指导中心核发）。"
    if has_full_scope(actor):
        return None
    if actor.centre_id is None or centre.pk not in centre_subtree_ids(actor.centre_id):
        return f"只有{centre}及其上级指导中心的审核员才能办理该中心的证书。"
    return None


# --- the case a certificate rests on -------------------------------------------------------


@dataclass
class CaseFile:
    """Everything a certificate rests on, read once."""

    registration: Registration
    review: EligibilityReview | None
    consent: ConsentForm | None
    application: AppraisalApplication | None
    results: list[ExamResult]  # confirmed, by attempt
    passing: ExamResult | None  # the confirmed, passed result the certificate rests on

    @property
    def sessions(self) -> list[ExamSession]:
        return [r.session for r in self.results]


def case_file(registration: Registration) -> CaseFile:
    registration = Registration.objects.select_related(
        "candidate", "station__region", "station__centre", "announcement__occupation", "application"
    ).get(pk=registration.pk)
    review = EligibilityReview.objects.filter(registration=registration).first()
    consent = ConsentForm.objects.filter(registration=registration).first()
    results = list(
        ExamResult.objects.filter(registration=registration, confirmed_at__isnull=False)
        .select_related("session__application__station__region", "session__region", "session__occupation")
        .order_by("attempt")
    )
    passing = next((r for r in reversed(results) if r.passed), None)
    return CaseFile(registration, review, consent, registration.application, results, passing)


def open_findings(sessions: Iterable[ExamSession]) -> QuerySet[SupervisionFinding]:
    return SupervisionFinding.objects.filter(session__in=[s.pk for s in sessions], closed_at__isnull=True)


def issuance_refusals(
    registration: Registration,
    *,
    centre: GuidanceCentre,
    issue_date: datetime.date | None,
    rulebook: RuleBook | None = None,
    pending_item_ok: IssuanceBatch | None = None,
) -> list[str]:
    """Every reason why a certificate cannot be issued for this registration by ``centre``
    (empty: it can). ``issue_date`` None checks everything but the date (preparing a batch).

    Steps: a passed exam or passed retake; accepted in time and inside the catalog;
    reviewed eligible; consent signed before the exam, with a scan for the archive; an
    application approved and submitted in time; every exam held in time, in the region or
    with approval; the publicity period over by the issue date; no open supervision
    finding; not already certified or waiting in another batch; the centre is the
    station's own or above it."""
    book = rulebook or RuleBook()
    case = case_file(registration)
    registration = case.registration
    occupation = registration.announcement.occupation
    deadlines = book.deadlines_for(occupation, registration.station.region)
    reasons: list[str] = []

    if registration.status != Status.PASSED or case.passing is None:
        reasons.append(
            f"报名状态为“{registration.get_status_display()}”：只有鉴定（或补考）成绩复核确认合格的考生才能发证。"
        )
    last = deadlines.last_registration_day
    if last and registration.registration_date > last:
        reasons.append(
            f"报名日期 {registration.registration_date:%Y-%m-%d} 晚于最后受理日 {last:%Y-%m-%d}，不是按时受理的报名。"
        )
    exit_day = book.exit_date(occupation)
    if exit_day and registration.registration_date > exit_day:
        reasons.append(f"报名日期晚于“{occupation}”退出目录之日 {exit_day:%Y-%m-%d}：只能在目录内开展鉴定。")
    if case.review is None or not case.review.passed:
        reasons.append("没有通过资格审查（申报条件）。")
    if case.consent is None:
        reasons.append("没有签署职业技能鉴定自愿书。")
    else:
        first_exam = min((s.date for s in case.sessions), default=None)
        if first_exam and case.consent.signed_date > first_exam:
            reasons.append("自愿书签署日期晚于考试日期：须先签署自愿书后方可参加鉴定。")
        if not case.consent.scan:
            reasons.append("自愿书没有扫描件，无法与证书核发资料一并归档：请鉴定站补传自愿书扫描件。")
    application = case.application
    if application is None or application.status != AppraisalApplication.Status.APPROVED:
        reasons.append("没有经指导中心批准的鉴定申请。")
    elif deadlines.application_deadline and application.submitted_date > deadlines.application_deadline:
        reasons.append(
            f"鉴定申请 {application.submitted_date:%Y-%m-%d} 提交，"
            f"晚于申请截止日 {deadlines.application_deadline:%Y-%m-%d}。"
        )
    for result in case.results:
        session = result.session
        is_retake = session.kind == ExamSession.Kind.RETAKE
        deadline = deadlines.retake_deadline if is_retake else deadlines.appraisal_deadline
        what = "补考" if is_retake else "鉴定考试"
        if deadline and session.date > deadline:
            reasons.append(f"{what} {session.date:%Y-%m-%d} 举行，晚于完成期限 {deadline:%Y-%m-%d}。")
        if not session.held:
            reasons.append(f"{what}场次没有登记为已举行。")
        if session.is_offsite and not session.offsite_approval:
            reasons.append(f"{what}考点不在鉴定站所在地区，且没有异地鉴定批准。")
    passing = case.passing
    if passing is not None:
        if passing.published_on is None or passing.publicity_last_day is None:
            reasons.append("合格成绩尚未公示。")
        elif issue_date is not None and issue_date <= passing.publicity_last_day:
            reasons.append(
                f"成绩公示期至 {passing.publicity_last_day:%Y-%m-%d} 止，"
                f"发证日期 {issue_date:%Y-%m-%d} 须在公示期结束之后。"
            )
    findings = open_findings(case.sessions)
    if findings.exists():
        reasons.append(f"考试场次有未办结的督导问题（{findings.count()} 件），该场次证书暂缓核发。")
    if Certificate.objects.valid().filter(registration=registration).exists():
        reasons.append("该报名已核发有效证书，不能重复发证。")
    pending = IssuanceItem.objects.filter(registration=registration, status=IssuanceItem.Status.PENDING)
    if pending_item_ok is not None:
        pending = pending.exclude(batch=pending_item_ok)
    if pending.exists():
        reasons.append(f"该报名已在待审批的发证批次 #{pending.first().batch_id} 中。")
    if registration.station.centre_id not in centre_subtree_ids(centre):
        reasons.append(f"{registration.station}不属于{centre}，不能由该中心发证。")
    return reasons


def is_finding_only(reasons: list[str]) -> bool:
    return bool(reasons) and all("督导问题" in r for r in reasons)


# --- signs of rushed issuance (严禁突击发证) ------------------------------------------------------


def rush_thresholds() -> dict[str, float]:
    return {
        "window_days": int(_setting("JIANDING_RUSH_CUTOFF_WINDOW_DAYS", 7)),
        "baseline_days": int(_setting("JIANDING_RUSH_BASELINE_DAYS", 60)),
        "factor": float(_setting("JIANDING_RUSH_CUTOFF_FACTOR", 3.0)),
        "min_registrations": int(_setting("JIANDING_RUSH_CUTOFF_MIN_REGISTRATIONS", 10)),
        "burst_days": int(_setting("JIANDING_RUSH_BURST_DAYS", 10)),
        "burst_min": int(_setting("JIANDING_RUSH_BURST_MIN_CERTIFICATES", 20)),
        "per_examiner": int(_setting("JIANDING_RUSH_CANDIDATES_PER_EXAMINER", 5)),
    }


def rush_signals(
    registrations: list[Registration], *, issue_date: datetime.date, rulebook: RuleBook | None = None
) -> list[str]:
    """What makes a batch look rushed; each sign is a sentence in Chinese (empty: none).

    1. Bunching before the cut-off: for each station and cut-off day of the batch, the
       station's registrations in the last ``window_days`` up to the cut-off, against its
       daily rate in the ``baseline_days`` before that window: flagged when at least
       ``min_registrations`` came in and the rate is more than ``factor`` times the usual
       one (or the station had none before).
    2. One burst: at least ``burst_min`` certificates whose results were entered and
       confirmed (``confirmed_at``, the business time of locking the scores; ``entered_at``
       is the wall clock) no more than ``burst_days`` days before the issue date.
    3. Too few examiners: a session (first exam or retake) with more seated candidates per
       examiner than the standard's 1 : ``per_examiner``."""
    t = rush_thresholds()
    book = rulebook or RuleBook()
    signals: list[str] = []
    regs = list(
        Registration.objects.filter(pk__in=[r.pk for r in registrations]).select_related(
            "station__region", "announcement__occupation"
        )
    )

    # 1. bunching before the cut-off
    window = datetime.timedelta(days=t["window_days"])
    groups: dict[tuple[int, datetime.date], list[Registration]] = defaultdict(list)
    for registration in regs:
        cutoff = book.deadlines_for(
            registration.announcement.occupation, registration.station.region
        ).last_registration_day
        if cutoff and cutoff - window < registration.registration_date <= cutoff:
            groups[(registration.station_id, cutoff)].append(registration)
    for (station_id, cutoff), members in sorted(groups.items(), key=lambda item: (item[0][1], item[0][0])):
        station = members[0].station
        start = cutoff - window + datetime.timedelta(days=1)
        at_station = Registration.objects.filter(station_id=station_id)
        in_window = at_station.filter(registration_date__range=(start, cutoff)).count()
        base_start = start - datetime.timedelta(days=t["baseline_days"])
        before = at_station.filter(registration_date__gte=base_start, registration_date__lt=start).count()
        rate = in_window / t["window_days"]
        usual = before / t["baseline_days"]
        if in_window >= t["min_registrations"] and (usual == 0 or rate > t["factor"] * usual):
            times = (
                "此前没有报名"
                if usual == 0
                else f"为此前 {t['baseline_days']} 天日均 {usual:.1f} 人的 {rate / usual:.1f} 倍"
            )
            signals.append(
                f"报名集中在截止日前：{station.name}在 {_day(cutoff)} 截止前 {t['window_days']} 天受理报名 "
                f"{in_window} 人（日均 {rate:.1f} 人），{times}，超过 {t['factor']:g} 倍的提示线。"
            )

    # 2. results entered and certificates issued in one burst
    results = ExamResult.objects.filter(
        registration__in=[r.pk for r in regs], confirmed_at__isnull=False, passed=True
    ).select_related("session")
    since = issue_date - datetime.timedelta(days=t["burst_days"])
    burst = [r for r in results if clock.local_day(r.confirmed_at) >= since]
    if len(burst) >= t["burst_min"]:
        signals.append(
            f"成绩集中录入后立即发证：{len(burst)} 本证书的成绩在发证日 {_day(issue_date)} 前 "
            f"{t['burst_days']} 天内才录入确认（提示线 {t['burst_min']} 本）。"
        )

    # 3. more candidates per examiner than the standard allows
    session_ids = set(
        ExamResult.objects.filter(registration__in=[r.pk for r in regs], confirmed_at__isnull=False).values_list(
            "session_id", flat=True
        )
    )
    for session in ExamSession.objects.filter(pk__in=session_ids).select_related("occupation").order_by("date", "pk"):
        seated = SeatAssignment.objects.filter(session=session).count()
        retakers = session.retakes.count() if session.kind == ExamSession.Kind.RETAKE else 0
        candidates = max(seated, retakers)
        examiners = session.examiners.count()
        if candidates > t["per_examiner"] * examiners:
            signals.append(
                f"考评员配备不足：{session}有考生 {candidates} 人、考评员 {examiners} 人，"
                f"超过标准规定的每名考评员 {t['per_examiner']} 名考生。"
            )
    return signals


# --- validity and the public lookup ---------------------------------------------------------------


@dataclass(frozen=True)
class Validity:
    kind: str  # "valid", "valid_exited", "voided"
    label: str
    note: str = ""


def certificate_validity(certificate: Certificate, on: datetime.date, rulebook: RuleBook | None = None) -> Validity:
    """What a certificate is worth on ``on``. Certificates issued before an occupation's
    exit stay valid (人社厅发〔2020〕80号 四): the lookup and the lists say so."""
    if certificate.status == Certificate.Status.VOIDED:
        return Validity("voided", "已撤销", "该证书已被发证机构撤销，不再有效。")
    if certificate.status == Certificate.Status.REISSUED:
        return Validity("voided", "已作废", "该证书因遗失已补发新证书，原证书作废。")
    exit_day = (rulebook or RuleBook()).exit_date(certificate.occupation_id)
    if exit_day is not None and on > exit_day:
        return Validity(
            "valid_exited",
            "有效（职业已退出目录）",
            f"“{certificate.occupation.name}”已于 {_day(exit_day)} 退出国家职业资格目录；"
            "退出目录前已发放的职业资格证书继续有效，可作为持证者职业能力水平的证明。",
        )
    return Validity("valid", "有效")


@dataclass(frozen=True)
class LookupRow:
    number: str
    holder_name: str
    masked_id_number: str
    occupation: str
    level: str
    issue_date: datetime.date
    centre: str
    validity: Validity


def _lookup_rows(qs: QuerySet[Certificate], on: datetime.date) -> list[LookupRow]:
    book = RuleBook()
    return [
        LookupRow(
            number=c.number,
            holder_name=c.holder_name,
            masked_id_number=mask_id_number(c.holder_id_number),
            occupation=c.occupation.name,
            level=c.get_level_display(),
            issue_date=c.issue_date,
            centre=c.centre.name,
            validity=certificate_validity(c, on, book),
        )
        for c in qs.select_related("occupation", "centre").order_by("-issue_date", "number")
    ]


def lookup_by_number(number: str, name: str, *, on: datetime.date) -> list[LookupRow]:
    if not number or not name:
        return []
    return _lookup_rows(Certificate.objects.filter(number=number, holder_name=name), on)


def lookup_by_id_number(id_number: str, name: str, *, on: datetime.date) -> list[LookupRow]:
    if not id_number or not name:
        return []
    return _lookup_rows(Certificate.objects.filter(holder_id_number=id_number, holder_name=name), on)


def lookup_by_code(number: str, code: str, *, on: datetime.date) -> list[LookupRow]:
    """The QR code's link: the number and the certificate's unguessable verification code."""
    if not number or not code:
        return []
    return _lookup_rows(Certificate.objects.filter(number=number, verification_code=code), on)


# --- scopes ------------------------------------------------------------------------------------


def visible_batches(user: User, qs: QuerySet[IssuanceBatch] | None = None) -> QuerySet[IssuanceBatch]:
    """Centre users see their centres' batches; station users the batches holding their cases."""
    qs = qs if qs is not None else IssuanceBatch.objects.all()
    if catalog_selectors.station_scope(user) is None:
        return qs
    if user.station_id:
        return qs.filter(items__registration__station=user.station_id).distinct()
    return qs.filter(centre__in=visible_centres(user).values("pk"))


def visible_certificates(user: User) -> QuerySet[Certificate]:
    return Certificate.objects.filter(registration__station__in=visible_stations(user).values("pk"))


def awaiting_certificate(qs: QuerySet[Registration] | None = None) -> QuerySet[Registration]:
    """Passed registrations with no valid certificate and in no batch waiting for approval."""
    qs = qs if qs is not None else Registration.objects.all()
    return qs.filter(status=Status.PASSED).exclude(
        Q(certificates__status=Certificate.Status.VALID) | Q(issuance_items__status=IssuanceItem.Status.PENDING)
    )


# --- the data audit before upload (严禁问题数据入网) ---------------------------------------------------


NAME_SHAPE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ebef·]{2,30}")


@dataclass
class AuditReport:
    problems: dict[int, list[str]] = field(default_factory=dict)  # item pk -> problems

    @property
    def clean(self) -> bool:
        return not any(self.problems.values())

    @property
    def bad_items(self) -> int:
        return sum(1 for p in self.problems.values() if p)


def _dates_in_order(case: CaseFile, certificate: Certificate) -> list[str]:
    """报名 ≤ 资格审查 ≤ 自愿书 ≤ 鉴定申请 ≤ 考试 ≤ 公示 ≤ 公示期满 < 发证."""
    registration = case.registration
    exam = case.passing.session.date if case.passing else None
    steps = [
        ("报名日期", registration.registration_date),
        ("资格审查日期", case.review.review_date if case.review else None),
        ("自愿书签署日期", case.consent.signed_date if case.consent else None),
        ("鉴定申请日期", case.application.submitted_date if case.application else None),
        ("考试日期", exam),
        ("成绩公示日期", case.passing.published_on if case.passing else None),
        ("公示期最后一天", case.passing.publicity_last_day if case.passing else None),
    ]
    problems = [f"缺少{name}。" for name, day in steps if day is None]
    present = [(name, day) for name, day in steps if day is not None]
    for (name_a, a), (name_b, b) in itertools.pairwise(present):
        if a > b:
            problems.append(f"日期顺序错误：{name_a} {a:%Y-%m-%d} 晚于{name_b} {b:%Y-%m-%d}。")
    if present and certificate.issue_date <= present[-1][1]:
        problems.append(f"日期顺序错误：发证日期 {certificate.issue_date:%Y-%m-%d} 不在{present[-1][0]}之后。")
    return problems


def audit_certificate(certificate: Certificate, *, batch: UploadBatch, rulebook: RuleBook) -> list[str]:
    """Every problem of one record, each a sentence in Chinese."""
    problems: list[str] = []
    if certificate.status != Certificate.Status.VALID:
        problems.append(f"证书状态为“{certificate.get_status_display()}”，只能上报有效证书。")
    if certificate.centre_id != batch.centre_id:
        problems.append(f"该证书由{certificate.centre}核发，不能由{batch.centre}上报。")
    try:
        validate_id_number(certificate.holder_id_number, today=certificate.issue_date)
    except ValidationError as error:
        problems.append("公民身份号码：" + "；".join(error.messages) + "。")
    candidate = certificate.candidate
    if certificate.holder_id_number != candidate.id_number:
        problems.append("证书上的公民身份号码与考生信息不一致。")
    if not NAME_SHAPE.fullmatch(certificate.holder_name or ""):
        problems.append("姓名应为2–30个汉字（少数民族姓名可含间隔号“·”），不得含空格、字母或数字。")
    elif certificate.holder_name != candidate.name:
        problems.append("证书上的姓名与考生信息不一致。")
    if certificate.level not in SkillLevel.values:
        problems.append("等级不在五级至一级之内。")
    case = case_file(certificate.registration)
    registration = case.registration
    announcement = registration.announcement
    if certificate.occupation_id != announcement.occupation_id or certificate.level != announcement.level:
        problems.append("证书的职业（工种）或等级与报名的鉴定公告不一致。")
    if not catalog_selectors.occupation_in_catalog_on(certificate.occupation_id, registration.registration_date):
        problems.append(f"报名时“{certificate.occupation.name}”已不在国家职业资格目录内。")
    problems += _dates_in_order(case, certificate)
    deadlines = rulebook.deadlines_for(announcement.occupation, registration.station.region)
    if deadlines.last_registration_day and registration.registration_date > deadlines.last_registration_day:
        problems.append(f"报名日期晚于最后受理日 {deadlines.last_registration_day:%Y-%m-%d}。")
    if (
        case.application
        and deadlines.application_deadline
        and case.application.submitted_date > deadlines.application_deadline
    ):
        problems.append(f"鉴定申请晚于截止日 {deadlines.application_deadline:%Y-%m-%d}。")
    for result in case.results:
        is_retake = result.session.kind == ExamSession.Kind.RETAKE
        deadline = deadlines.retake_deadline if is_retake else deadlines.appraisal_deadline
        if deadline and result.session.date > deadline:
            problems.append(f"{'补考' if is_retake else '鉴定'}日期晚于完成期限 {deadline:%Y-%m-%d}。")
    elsewhere = UploadItem.objects.filter(certificate=certificate).exclude(batch=batch).select_related("batch__centre")
    for item in elsewhere:
        problems.append(f"重复上报：该证书已在{item.batch}中。")
    twins = (
        Certificate.objects.valid()
        .filter(
            holder_id_number=certificate.holder_id_number, occupation=certificate.occupation, level=certificate.level
        )
        .exclude(pk=certificate.pk)
        .select_related("centre")
    )
    for twin in twins:
        problems.append(f"重复证书：与{twin.centre}的证书 {twin.number} 为同一人同一职业同一等级。")
    return problems


def audit_batch(batch: UploadBatch) -> AuditReport:
    book = RuleBook()
    report = AuditReport()
    items = batch.items.select_related("certificate__candidate", "certificate__occupation", "certificate__centre")
    for item in items:
        report.problems[item.pk] = audit_certificate(item.certificate, batch=batch, rulebook=book)
    return report


@dataclass(frozen=True)
class AuditCount:
    occupation: str
    level: str
    count: int


def batch_counts(batch: UploadBatch) -> list[AuditCount]:
    """Counts by occupation and level, from the confirmed snapshots when there are any."""
    counts: Counter[tuple[str, str]] = Counter()
    for item in batch.items.select_related("certificate__occupation"):
        if item.snapshot:
            counts[(item.snapshot["occupation"], item.snapshot["level"])] += 1
        else:
            counts[(item.certificate.occupation.name, item.certificate.get_level_display())] += 1
    levels = {label: index for index, label in enumerate(SkillLevel.labels)}
    rows = sorted(counts.items(), key=lambda kv: (kv[0][0], levels.get(kv[0][1], 9)))
    return [AuditCount(occupation, level, count) for (occupation, level), count in rows]
