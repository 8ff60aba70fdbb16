"""Reads shared by services, screens and documents: whether a case may be certified
(every refusal reason), the signs of rushed issuance, what the public lookup shows, and
the data audit of an upload batch."""

from __future__ import annotations

import datetime
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from appraisals import rules
from appraisals.models import (
    AppraisalApplication,
    ConsentForm,
    EligibilityReview,
    ExamResult,
    ExamSession,
    Registration,
    Retake,
    SeatAssignment,
)
from appraisals.rules import Violation
from candidates.validators import mask_id_number, validate_id_number
from catalog import selectors as catalog_selectors
from catalog.models import GuidanceCentre, SkillLevel, Station, User
from catalog.selectors import RuleBook, Viewer, has_full_scope, visible_centres, visible_station_ids
from kit import clock, conf

from .models import (
    Certificate,
    IssuanceBatch,
    IssuanceItem,
    SupervisionFinding,
    UploadBatch,
    UploadItem,
)

Status = Registration.Status


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


# What a case file's rows point to, each with what that row points to in turn. Regions come
# with their parents: the rule book and the off-site check walk up the tree (district, city,
# province); the people who acted are named in the archive.
REGISTRATION_LINKS = {
    "station": ("region__parent__parent", "centre"),
    "announcement": ("occupation",),
    "application": ("decided_by",),
    "registered_by": (),
}
REVIEW_LINKS: dict[str, tuple[str, ...]] = {"matched_route": (), "reviewer": ()}
CONSENT_LINKS: dict[str, tuple[str, ...]] = {"received_by": ()}
RESULT_LINKS = {
    "session": (
        "application__station__region",
        "region__parent__parent",
        "occupation",
        "offsite_request__station",
        "offsite_request__region",
    ),
    "entered_by": (),
    "confirmed_by": (),
}


def _linked(qs: QuerySet, links: Mapping[str, tuple[str, ...]], *, share: bool) -> QuerySet:
    """``qs`` reading the rows in ``links`` with it: joined (no query more, one object a
    row), or shared (one query a relation, one object for every case pointing to it)."""
    if share:
        return qs.prefetch_related(
            *(
                Prefetch(name, qs.model._meta.get_field(name).related_model._base_manager.select_related(*inner))
                for name, inner in links.items()
            )
        )
    joined = [[f"{name}__{path}" for path in inner] or [name] for name, inner in links.items()]
    return qs.select_related(*itertools.chain.from_iterable(joined))


def case_files(registrations: Iterable[Registration | int], *, share: bool = False) -> dict[int, CaseFile]:
    """The case files of many registrations (by registration id), whatever their number, in
    four queries (the registrations, eligibility reviews, consent forms and confirmed
    results), everything they point to joined in; with ``share``, in at most fourteen:
    stations, announcements, applications, sessions and the people who acted are read once
    and shared by every case pointing to them, built once for hundreds of cases instead of
    once a case (issuance reads chunks of hundreds)."""
    ids = [r if isinstance(r, int) else r.pk for r in registrations]
    found = _linked(
        Registration.objects.filter(pk__in=ids).select_related("candidate"), REGISTRATION_LINKS, share=share
    )
    reviews = _linked(EligibilityReview.objects.filter(registration__in=ids), REVIEW_LINKS, share=share)
    by_review = {r.registration_id: r for r in reviews}
    consents = _linked(ConsentForm.objects.filter(registration__in=ids), CONSENT_LINKS, share=share)
    by_consent = {c.registration_id: c for c in consents}
    results: dict[int, list[ExamResult]] = defaultdict(list)
    confirmed = ExamResult.objects.filter(registration__in=ids, confirmed_at__isnull=False).order_by("attempt", "pk")
    for result in _linked(confirmed, RESULT_LINKS, share=share):
        results[result.registration_id].append(result)
    files = {}
    for registration in found:
        mine = results[registration.pk]
        passing = next((r for r in reversed(mine) if r.passed), None)
        files[registration.pk] = CaseFile(
            registration,
            by_review.get(registration.pk),
            by_consent.get(registration.pk),
            registration.application,
            mine,
            passing,
        )
    return files


def case_file(registration: Registration) -> CaseFile:
    return case_files([registration])[registration.pk]


def open_findings(sessions: Iterable[ExamSession]) -> QuerySet[SupervisionFinding]:
    return SupervisionFinding.objects.filter(session__in=[s.pk for s in sessions], closed_at__isnull=True)


def date_rule_violations(case: CaseFile, *, rulebook: RuleBook) -> list[Violation]:
    """The date and place rules of the notices over one case file, shared by the issuance
    refusals and the upload audit: registered in time and inside the catalog; the
    application submitted in time; every exam (first or retake) completed in time and on
    site or with an off-site approval. Each is checked on the act's own date."""
    registration = case.registration
    occupation = registration.announcement.occupation
    region = registration.station.region
    deadlines = rulebook.deadlines_for(occupation, region)
    found: list[Violation | None] = [
        *rules.registration_window(
            rulebook=rulebook, occupation=occupation, region=region, day=registration.registration_date
        )
    ]
    if case.application is not None:
        found.append(
            rules.application_late(
                deadlines=deadlines, occupation=occupation, submitted_date=case.application.submitted_date
            )
        )
    for session in case.sessions:
        found.append(rules.completion_late(deadlines=deadlines, kind=session.kind, day=session.date))
        found.append(rules.session_offsite_unapproved(offsite=session.is_offsite, approved=session.offsite_approved))
    return [v for v in found if v is not None]


def issuance_refusals(
    registration: Registration,
    *,
    centre: GuidanceCentre,
    issue_date: datetime.date | None,
    rulebook: RuleBook | None = None,
    pending_item_ok: IssuanceBatch | None = None,
) -> list[Violation]:
    """Every reason why a certificate cannot be issued for this registration by ``centre``
    (empty: it can), each a ``Violation`` (``str()`` is its Chinese message; decide by
    ``code``). ``issue_date`` None checks everything but the date (preparing a batch).

    Steps: a passed exam or passed retake; accepted in time and inside the catalog;
    reviewed eligible; consent signed before the exam, with a scan for the archive; an
    application approved and submitted in time; every exam held in time, in the region or
    with approval; the publicity period over by the issue date; no open supervision
    finding; not already certified or waiting in another batch; the centre is the
    station's own or above it."""
    return issuance_refusals_many(
        [registration], centre=centre, issue_date=issue_date, rulebook=rulebook, pending_item_ok=pending_item_ok
    )[registration.pk]


def issuance_refusals_many(
    registrations: Iterable[Registration | int],
    *,
    centre: GuidanceCentre | None,
    issue_date: datetime.date | None,
    rulebook: RuleBook | None = None,
    pending_item_ok: IssuanceBatch | None = None,
) -> dict[int, list[Violation]]:
    """``issuance_refusals`` for many registrations at once (by registration id), in a
    fixed number of queries whatever their number: the case files, then
    ``issuance_refusals_of``. ``centre`` None: each case is checked for its station's own
    centre (what a system administrator's batch would be issued by)."""
    return issuance_refusals_of(
        case_files(registrations),
        centre=centre,
        issue_date=issue_date,
        rulebook=rulebook,
        pending_item_ok=pending_item_ok,
    )


def issuance_refusals_of(
    cases: Mapping[int, CaseFile],
    *,
    centre: GuidanceCentre | None,
    issue_date: datetime.date | None,
    rulebook: RuleBook | None = None,
    pending_item_ok: IssuanceBatch | None = None,
) -> dict[int, list[Violation]]:
    """``issuance_refusals_many`` over case files already read (issuance reads them once
    and issues from them): pending batch items, open findings, valid certificates and each
    issuing centre's subtree, one query each, then the rules in memory."""
    book = rulebook or RuleBook()
    ids = list(cases)
    pending_items = IssuanceItem.objects.filter(registration__in=ids, status=IssuanceItem.Status.PENDING)
    if pending_item_ok is not None:
        pending_items = pending_items.exclude(batch=pending_item_ok)
    pending: dict[int, int] = {}
    for registration_id, batch_id in pending_items.order_by("-batch", "-pk").values_list("registration_id", "batch_id"):
        pending[registration_id] = batch_id  # the last written wins: the first in the batch order
    session_ids = {s.pk for case in cases.values() for s in case.sessions}
    findings = Counter(
        SupervisionFinding.objects.filter(session__in=session_ids, closed_at__isnull=True).values_list(
            "session_id", flat=True
        )
    )
    certified = set(Certificate.objects.valid().filter(registration__in=ids).values_list("registration_id", flat=True))
    subtrees: dict[int, set[int]] = {}
    found: dict[int, list[Violation]] = {}
    for pk, case in cases.items():
        issuer = centre or case.registration.station.centre
        if issuer.pk not in subtrees:
            subtrees[issuer.pk] = centre_subtree_ids(issuer)
        found[pk] = _refusals(
            case,
            centre=issuer,
            covers_station=case.registration.station.centre_id in subtrees[issuer.pk],
            issue_date=issue_date,
            rulebook=book,
            pending_batch_id=pending.get(pk),
            open_findings=sum(findings[s] for s in {s.pk for s in case.sessions}),
            certified=pk in certified,
        )
    return found


def _refusals(
    case: CaseFile,
    *,
    centre: GuidanceCentre,
    covers_station: bool,
    issue_date: datetime.date | None,
    rulebook: RuleBook,
    pending_batch_id: int | None,
    open_findings: int,
    certified: bool,
) -> list[Violation]:
    """The issuance rules over one case file and the facts read for it (no query)."""
    registration = case.registration
    consent = case.consent
    first_exam = min((s.date for s in case.sessions), default=None)
    application = case.application
    found: list[Violation | None] = [
        rules.result_not_passed(
            passed=registration.status == Status.PASSED and case.passing is not None,
            status_label=registration.get_status_display(),
        ),
        rules.eligibility_not_passed(passed=case.review.passed if case.review else None),
        rules.consent_before_exam(signed_date=consent.signed_date if consent else None, exam_date=first_exam),
        rules.consent_no_scan(has_scan=bool(consent.scan)) if consent else None,
        rules.application_not_approved(
            approved=application is not None and application.status == AppraisalApplication.Status.APPROVED
        ),
        *date_rule_violations(case, rulebook=rulebook),
        *(rules.session_not_held(held=s.held, kind=s.kind) for s in case.sessions),
    ]
    if case.passing is not None:
        found.append(
            rules.publicity_over(
                published_on=case.passing.published_on,
                last_day=case.passing.publicity_last_day,
                issue_date=issue_date,
            )
        )
    found += [
        rules.finding_open(count=open_findings),
        rules.certificate_already_issued(has_valid_certificate=certified),
        rules.issuance_pending(batch_id=pending_batch_id),
        rules.issuance_wrong_centre(station=registration.station, centre=centre, covers_station=covers_station),
    ]
    return [v for v in found if v is not None]


def is_finding_only(reasons: Iterable[Violation]) -> bool:
    """Only open supervision findings stand in the way: the certificate is held, not refused."""
    codes = {v.code for v in reasons}
    return codes == {rules.Code.FINDING_OPEN}


# --- signs of rushed issuance (严禁突击发证) ------------------------------------------------------


@dataclass(frozen=True)
class Bunching:
    """Registrations at one station in the ``window_days`` up to one cut-off day, against
    the station's daily rate in the ``baseline_days`` before that window."""

    station_id: int
    cutoff: datetime.date
    in_window: int  # registrations in the window, the cut-off day included
    daily_rate: float  # in the window, per day
    usual_daily_rate: float  # in the baseline before it, per day
    flagged: bool  # at least ``min_registrations`` and more than ``factor`` times the usual (or none before)

    def evidence(self) -> dict:
        """What the review queue keeps (rates rounded for reading)."""
        return {
            "station_id": self.station_id,
            "cutoff": self.cutoff,
            "in_window": self.in_window,
            "daily_rate": round(self.daily_rate, 2),
            "usual_daily_rate": round(self.usual_daily_rate, 2),
        }


def registration_bunching(cutoffs: Mapping[int, Iterable[datetime.date]]) -> list[Bunching]:
    """The one home of the rushed-registration formula (严禁突击鉴定), for each station
    and each of its cut-off days in ``cutoffs`` (station id -> days), ordered by cut-off
    and station. Steps: one grouped query counts the stations' registrations per day over
    every window and baseline; each window's count and the baseline before it give the
    two daily rates; a pair is flagged when at least ``min_registrations`` came in and the
    rate is more than ``factor`` times the usual one (or the station had none before).
    Every registration of the station counts, whatever its occupation."""
    t = conf.rush_thresholds()
    pairs = sorted({(day, station_id) for station_id, days in cutoffs.items() for day in days})
    if not pairs:
        return []
    window = datetime.timedelta(days=t["window_days"])
    baseline = datetime.timedelta(days=t["baseline_days"])
    one = datetime.timedelta(days=1)
    earliest = pairs[0][0] - window + one - baseline
    rows = (
        Registration.objects.filter(
            station_id__in={station_id for _, station_id in pairs},
            registration_date__range=(earliest, pairs[-1][0]),
        )
        .values("station_id", "registration_date")
        .annotate(n=Count("*"))
        .order_by()
    )
    daily: dict[int, dict[datetime.date, int]] = defaultdict(dict)
    for row in rows:
        daily[row["station_id"]][row["registration_date"]] = row["n"]
    found = []
    for cutoff, station_id in pairs:
        start = cutoff - window + one
        counts = daily[station_id]
        in_window = sum(n for day, n in counts.items() if start <= day <= cutoff)
        before = sum(n for day, n in counts.items() if start - baseline <= day < start)
        rate, usual = in_window / t["window_days"], before / t["baseline_days"]
        flagged = in_window >= t["min_registrations"] and (usual == 0 or rate > t["factor"] * usual)
        found.append(Bunching(station_id, cutoff, in_window, rate, usual, flagged))
    return found


def station_cutoffs(stations: QuerySet[Station], rulebook: RuleBook | None = None) -> dict[int, set[datetime.date]]:
    """The registration cut-off days met by the registrations at ``stations`` (two queries
    and the rule book)."""
    book = rulebook or RuleBook()
    regions = {
        s.pk: s.region for s in Station.objects.filter(pk__in=stations.values("pk")).select_related("region__parent")
    }
    pairs = Registration.objects.filter(station__in=stations).values_list("station_id", "announcement__occupation_id")
    found: dict[int, set[datetime.date]] = defaultdict(set)
    for station_id, occupation_id in pairs.distinct().order_by():
        cutoff = book.deadlines_for(occupation_id, regions[station_id]).last_registration_day
        if cutoff:
            found[station_id].add(cutoff)
    return found


def rush_signals(
    registrations: list[Registration], *, issue_date: datetime.date, rulebook: RuleBook | None = None
) -> list[str]:
    """What makes a batch look rushed; each sign is a sentence in Chinese (empty: none).

    1. Bunching before the cut-off (``registration_bunching``): for each station and
       cut-off day a registration of the batch falls just before.
    2. One burst: at least ``burst_min`` certificates whose results were entered and
       confirmed (``confirmed_at``, the business time of locking the scores; ``entered_at``
       is the wall clock) no more than ``burst_days`` days before the issue date.
    3. Too few examiners: a session (first exam or retake) whose examiners fall short of
       ``appraisals.rules.staffing_short`` for its seated candidates (the rule sessions are
       scheduled under; only sessions from before it can show this)."""
    t = conf.rush_thresholds()
    book = rulebook or RuleBook()
    signals: list[str] = []
    regs = list(
        Registration.objects.filter(pk__in=[r.pk for r in registrations]).select_related(
            "station__region", "announcement__occupation"
        )
    )

    # 1. bunching before the cut-off
    window = datetime.timedelta(days=t["window_days"])
    cutoffs: dict[int, set[datetime.date]] = defaultdict(set)
    stations = {}
    for registration in regs:
        cutoff = book.deadlines_for(
            registration.announcement.occupation, registration.station.region
        ).last_registration_day
        if cutoff and cutoff - window < registration.registration_date <= cutoff:
            cutoffs[registration.station_id].add(cutoff)
            stations[registration.station_id] = registration.station
    for found in registration_bunching(cutoffs):
        if not found.flagged:
            continue
        rate, usual = found.daily_rate, found.usual_daily_rate
        if usual == 0:
            times = "此前没有报名"
        else:
            times = f"为此前 {t['baseline_days']} 天日均 {usual:.1f} 人的 {rate / usual:.1f} 倍"
        signals.append(
            f"报名集中在截止日前：{stations[found.station_id].name}在 {_day(found.cutoff)} 截止前 "
            f"{t['window_days']} 天受理报名 {found.in_window} 人（日均 {rate:.1f} 人），{times}，"
            f"超过 {t['factor']:g} 倍的提示线。"
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
    else:
        signals.extend(_burst_across_batches(regs, burst, issue_date=issue_date, since=since, t=t))

    # 3. fewer examiners than the staffing rule the sessions are scheduled under
    session_ids = set(
        ExamResult.objects.filter(registration__in=[r.pk for r in regs], confirmed_at__isnull=False).values_list(
            "session_id", flat=True
        )
    )
    sessions = list(
        ExamSession.objects.filter(pk__in=session_ids)
        .select_related("occupation")
        .prefetch_related("examiners")
        .order_by("date", "pk")
    )
    # Seats and retakers counted for every session at once (one grouped query each).
    seated = dict(
        SeatAssignment.objects.filter(session__in=session_ids)
        .values_list("session_id")
        .annotate(n=Count("*"))
        .order_by()
    )
    retake_sessions = [s.pk for s in sessions if s.kind == ExamSession.Kind.RETAKE]
    retakers = (
        dict(
            Retake.objects.filter(session__in=retake_sessions)
            .values_list("session_id")
            .annotate(n=Count("*"))
            .order_by()
        )
        if retake_sessions
        else {}
    )
    for session in sessions:
        candidates = max(seated.get(session.pk, 0), retakers.get(session.pk, 0))
        # Counted as the registry stands now: an entry revoked back to before the exam day
        # (a certificate found to have run out) does not count.
        people = list(session.examiners.all())
        examiners = sum(1 for person in people if person.usable_on(session.date))
        short = rules.staffing_short(candidates=candidates, level=session.level, examiners=examiners)
        if short:
            invalid = len(people) - examiners
            more = f"（另有 {invalid} 人考试当日不在有效资格内）" if invalid else ""
            signals.append(
                f"考评员配备不足：{session}有考生 {candidates} 人、考评员 {examiners} 人{more}。{short.message}"
            )
    return signals


def _burst_across_batches(
    regs: list[Registration],
    burst: list[ExamResult],
    *,
    issue_date: datetime.date,
    since: datetime.date,
    t: Mapping,
) -> list[str]:
    """The one burst counted in a rolling window across batches, so that splitting a burst
    into batches below ``burst_min`` does not hide it: per station, and per guidance centre
    (the station's), this batch's burst results plus the certificates already issued in
    the window (issue date from ``since`` to ``issue_date``) whose results were confirmed in
    it too (reissues not counted: they rest on an old result)."""
    station_of = {r.pk: r.station_id for r in regs}
    centre_of_station = {r.station_id: r.station.centre_id for r in regs}
    names = {r.station_id: r.station.name for r in regs}
    here_station: Counter[int] = Counter(station_of[r.registration_id] for r in burst)
    here_centre: Counter[int] = Counter(centre_of_station[s] for s in here_station.elements())
    if not here_station:
        return []
    issued = Certificate.objects.filter(
        issue_date__gte=since,
        issue_date__lte=issue_date,
        reissue_of__isnull=True,
        registration__station__centre_id__in=set(here_centre),
        result__confirmed_at__isnull=False,
    ).exclude(registration_id__in=list(station_of))
    earlier_station: Counter[int] = Counter()
    earlier_centre: Counter[int] = Counter()
    for station_id, centre_id, confirmed_at in issued.values_list(
        "registration__station_id", "registration__station__centre_id", "result__confirmed_at"
    ):
        if clock.local_day(confirmed_at) >= since:
            earlier_station[station_id] += 1
            earlier_centre[centre_id] += 1
    window = f"{_day(since)} 至 {_day(issue_date)}"
    signals: list[str] = []
    flagged_centres: set[int] = set()
    for station_id, count in sorted(here_station.items()):
        total = count + earlier_station[station_id]
        if earlier_station[station_id] and total >= t["burst_min"]:
            flagged_centres.add(centre_of_station[station_id])
            signals.append(
                f"成绩集中录入后分批发证：{names[station_id]}在 {window} 的 {t['burst_days']} 天内，"
                f"已发 {earlier_station[station_id]} 本、本批次 {count} 本证书的成绩在这期间才录入确认，"
                f"合计 {total} 本（提示线 {t['burst_min']} 本，跨批次累计）。"
            )
    centres = {c.pk: c for c in GuidanceCentre.objects.filter(pk__in=set(here_centre) - flagged_centres)}
    for centre_id, centre in sorted(centres.items()):
        total = here_centre[centre_id] + earlier_centre[centre_id]
        if earlier_centre[centre_id] and total >= t["burst_min"]:
            signals.append(
                f"成绩集中录入后分批发证：{centre}所辖鉴定站在 {window} 的 {t['burst_days']} 天内，"
                f"已发 {earlier_centre[centre_id]} 本、本批次 {here_centre[centre_id]} 本证书的成绩在这期间才录入确认，"
                f"合计 {total} 本（提示线 {t['burst_min']} 本，跨批次累计）。"
            )
    return signals


# --- validity and the public lookup ---------------------------------------------------------------


@dataclass(frozen=True)
class Validity:
    kind: str  # "valid", "valid_exited", "voided"
    label: str
    note: str = ""


def certificate_validity(
    certificate: Certificate,
    on: datetime.date,
    rulebook: RuleBook | None = None,
    *,
    exit_dates: Mapping[int, datetime.date | None] | None = None,
) -> Validity:
    """What a certificate is worth on ``on``. Certificates issued before an occupation's
    exit stay valid (人社厅发〔2020〕80号 四): the lookup and the lists say so. A list passes
    the exit dates kept between requests (``catalog.selectors.exit_dates``)."""
    if exit_dates is not None:
        exit_date = exit_dates.get(certificate.occupation_id)
    else:
        exit_date = (rulebook or RuleBook()).exit_date(certificate.occupation_id)
    return _withdrawn(certificate.status) or _in_force(certificate.occupation.name, on, exit_date)


def _withdrawn(status: str) -> Validity | None:
    if status == Certificate.Status.VOIDED:
        return Validity("voided", "已撤销", "该证书已被发证机构撤销，不再有效。")
    if status == Certificate.Status.REISSUED:
        return Validity("voided", "已作废", "该证书因遗失已补发新证书，原证书作废。")
    return None


def _in_force(occupation: str, on: datetime.date, exit_day: datetime.date | None) -> Validity:
    """A certificate in force, on ``on``, given its occupation's exit day (None: it stays)."""
    if exit_day is not None and on > exit_day:
        return Validity(
            "valid_exited",
            "有效（职业已退出目录）",
            f"“{occupation}”已于 {_day(exit_day)} 退出国家职业资格目录；"
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


_LOOKUP_FIELDS = (
    "number",
    "holder_name",
    "holder_id_number",
    "level",
    "issue_date",
    "status",
    "occupation_id",
    "centre_id",
)
_LEVEL_LABELS: dict[str, str] = dict(SkillLevel.choices)


class _LookupQuery:
    """One of the lookup's three queries: compiled by the ORM once per process (the columns
    of ``Certificate.objects.filter(...).values(_LOOKUP_FIELDS)``), then sent with each
    lookup's values. The lookup is public and busy: building and compiling the queryset
    was a fifth of its time."""

    def __init__(self, *fields: str) -> None:
        self.fields = fields
        self._compiled: dict[str, tuple[str, tuple[int, ...]]] = {}  # by database vendor

    def compiled(self) -> tuple[str, tuple[int, ...]]:
        """The SQL, and which of the values each of its parameters is."""
        vendor = connection.vendor
        if vendor not in self._compiled:
            markers = [f"lookup-value-{i}" for i in range(len(self.fields))]
            qs = Certificate.objects.filter(**dict(zip(self.fields, markers, strict=True)))
            sql, params = qs.values(*_LOOKUP_FIELDS).order_by().query.sql_with_params()
            if sorted(params) != markers:  # each value must be one parameter, as given
                raise AssertionError(f"the lookup query's parameters are {params!r}")
            self._compiled[vendor] = sql, tuple(markers.index(p) for p in params)
        return self._compiled[vendor]

    def rows(self, *values: str) -> list[dict[str, Any]]:
        sql, order = self.compiled()
        with connection.cursor() as cursor:
            cursor.execute(sql, [values[i] for i in order])
            found = [dict(zip(_LOOKUP_FIELDS, row, strict=True)) for row in cursor.fetchall()]
        for c in found:
            if isinstance(c["issue_date"], str):  # SQLite returns dates as text
                c["issue_date"] = datetime.date.fromisoformat(c["issue_date"])
        return found


_BY_NUMBER = _LookupQuery("number", "holder_name")
_BY_ID_NUMBER = _LookupQuery("holder_id_number", "holder_name")
_BY_CODE = _LookupQuery("number", "verification_code")


def _lookup_rows(found: list[dict[str, Any]], on: datetime.date) -> list[LookupRow]:
    """The certificates found (one query), with their occupation's and centre's names and
    exit dates kept between requests (``catalog.selectors.lookup_reference``). The lookup
    is public and busy: a rule book per request cost two more queries; building model
    objects, an ORDER BY, joins and the columns nobody shows most of the rest."""
    # Newest first, then by number, sorted here: a lookup finds one certificate or a
    # holder's few.
    found.sort(key=lambda c: c["number"])
    found.sort(key=lambda c: c["issue_date"], reverse=True)
    if not found:
        return []
    reference = catalog_selectors.lookup_reference()
    if any(
        c["occupation_id"] not in reference.occupation_names or c["centre_id"] not in reference.centre_names
        for c in found
    ):
        reference = catalog_selectors.lookup_reference(refresh=True)
    rows = []
    for c in found:
        occupation = reference.occupation_names[c["occupation_id"]]
        exit_day = reference.exit_dates.get(c["occupation_id"])
        rows.append(
            LookupRow(
                number=c["number"],
                holder_name=c["holder_name"],
                masked_id_number=mask_id_number(c["holder_id_number"]),
                occupation=occupation,
                level=_LEVEL_LABELS.get(c["level"], c["level"]),
                issue_date=c["issue_date"],
                centre=reference.centre_names[c["centre_id"]],
                validity=_withdrawn(c["status"]) or _in_force(occupation, on, exit_day),
            )
        )
    return rows


def lookup_by_number(number: str, name: str, *, on: datetime.date) -> list[LookupRow]:
    if not number or not name:
        return []
    return _lookup_rows(_BY_NUMBER.rows(number, name), on)


def lookup_by_id_number(id_number: str, name: str, *, on: datetime.date) -> list[LookupRow]:
    if not id_number or not name:
        return []
    return _lookup_rows(_BY_ID_NUMBER.rows(id_number, name), on)


def lookup_by_code(number: str, code: str, *, on: datetime.date) -> list[LookupRow]:
    """The QR code's link: the number and the certificate's unguessable verification code."""
    if not number or not code:
        return []
    return _lookup_rows(_BY_CODE.rows(number, code), on)


# --- scopes ------------------------------------------------------------------------------------


def visible_batches(user: Viewer, qs: QuerySet[IssuanceBatch] | None = None) -> QuerySet[IssuanceBatch]:
    """Centre users see their centres' batches; station users the batches holding their cases."""
    qs = qs if qs is not None else IssuanceBatch.objects.all()
    if catalog_selectors.station_scope(user) is None:
        return qs
    if user.is_authenticated and user.station_id:
        return qs.filter(items__registration__station=user.station_id).distinct()
    return qs.filter(centre__in=visible_centres(user).values("pk"))


def visible_certificates(user: Viewer) -> QuerySet[Certificate]:
    stations = visible_station_ids(user)
    qs = Certificate.objects.all()
    return qs if stations is None else qs.filter(station__anyof=stations)


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
    problems += _dates_in_order(case, certificate)
    # The same rules, in the same words, as the issuance refusals.
    problems += [str(v) for v in date_rule_violations(case, rulebook=rulebook)]
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


# --- work queues: the home's counts and the lists' 待办 filter read the same selector ---------


def batches_awaiting_approval(qs: QuerySet[IssuanceBatch]) -> QuerySet[IssuanceBatch]:
    """待审批的发证批次 (a second officer approves)."""
    return qs.filter(status=IssuanceBatch.Status.PREPARED)


def batches_held_for_review(qs: QuerySet[IssuanceBatch]) -> QuerySet[IssuanceBatch]:
    """暂缓核发的发证批次, waiting for a supervisor's review."""
    return qs.filter(status=IssuanceBatch.Status.HELD)


def upload_batches_in_audit(qs: QuerySet[UploadBatch]) -> QuerySet[UploadBatch]:
    """上报批次 still being audited (not yet confirmed)."""
    return qs.filter(status=UploadBatch.Status.DRAFT)


# --- every consent form archived when its case ends (闽人社办〔2020〕143号) -------------------------


def cases_ended(qs: QuerySet[Registration] | None = None) -> QuerySet[Registration]:
    """The end of a case: a certificate issued (any, revoked too: the case ended with it),
    or ended without one (``appraisals.selectors.registrations_ended_without_certificate``:
    failed after the retake, retake given up, withdrawn)."""

    qs = qs if qs is not None else Registration.objects.all()
    issued = Certificate.objects.filter(registration=OuterRef("pk"))
    return qs.filter(Q(status__in=Registration.ENDED) | Q(Exists(issued)))


def consents_of_ended_cases(qs: QuerySet[ConsentForm] | None = None) -> QuerySet[ConsentForm]:
    """Signed consent forms whose case has ended (archived or not)."""
    qs = qs if qs is not None else ConsentForm.objects.all()
    return qs.filter(registration__in=cases_ended().values("pk"))


def consents_to_archive(qs: QuerySet[ConsentForm] | None = None) -> QuerySet[ConsentForm]:
    """待归档: the case has ended, the form is not archived yet (with or without its scan)."""
    return consents_of_ended_cases(qs).filter(archived_at__isnull=True)


def consents_blocked_without_scan(qs: QuerySet[ConsentForm] | None = None) -> QuerySet[ConsentForm]:
    """缺扫描件无法归档: due for the archive, but the station never attached the scan."""
    return consents_to_archive(qs).filter(scan="")
