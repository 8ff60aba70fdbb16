"""Reads shared by screens, reports and reminders."""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet

from candidates.models import Candidate
from catalog.models import Occupation, Region, Station
from catalog.selectors import RuleBook, cache_version, replace_cache_version
from kit import clock

from . import rules
from .models import ExamAnnouncement, ExamSession, Registration, SkillLevelReferral


@dataclass(frozen=True)
class TraineeRouting:
    candidate: Candidate
    occupation: Occupation
    region: Region | None
    station_id: int | None
    completion_deadline: datetime.date
    expected_finish_date: datetime.date | None
    # Why the trainee cannot be appraised in time: "finish" (finishes after the last day an
    # appraisal can happen) or "cutoff" (not registered by the registration cut-off).
    reason: str = "finish"
    registration_cutoff: datetime.date | None = None

    @property
    def reason_text(self) -> str:
        if self.reason == "cutoff" and self.registration_cutoff is not None:
            return f"报名已于 {self.registration_cutoff:%Y-%m-%d} 截止，未报名"
        finish = f"{self.expected_finish_date:%Y-%m-%d}" if self.expected_finish_date else "—"
        return f"鉴定须于 {self.completion_deadline:%Y-%m-%d} 前完成，预计 {finish} 毕（结）业"


# A registration that no longer carries the trainee to an appraisal: refused or given up.
NOT_REGISTERED = (Registration.Status.INELIGIBLE, Registration.Status.WITHDRAWN)


def trainees_to_route(
    candidates: QuerySet[Candidate] | None = None, *, today: datetime.date | None = None
) -> list[TraineeRouting]:
    """Students and apprentices under a certificate training plan whose occupation leaves
    the catalog and who cannot be appraised in time, not yet passed and without an open
    referral (a declined one puts them back). They must be helped to a skill level
    certificate. Cannot be appraised in time means either:

    1. they finish after the last day an appraisal can happen (the completion deadline,
       else the exit day), registered or not; or
    2. the registration cut-off has passed (``today`` is after it) and they hold no
       registration for the occupation that is still going (refused or withdrawn ones do
       not count), whenever they finish.

    The occupation is the one of each registration (in its station's region), or the
    training plan's occupation (in the region of the station that entered the person)."""
    from kit import clock

    today = today or clock.today()
    book = RuleBook()
    trainees = (candidates if candidates is not None else Candidate.objects.all()).exclude(
        trainee_kind=Candidate.TraineeKind.NONE
    )
    trainees = trainees.select_related("plan_occupation", "created_by__station__region")
    registrations = Registration.objects.filter(candidate__in=trainees).select_related(
        "announcement__occupation", "station__region"
    )
    by_candidate: dict[int, list[Registration]] = {}
    for registration in registrations:
        by_candidate.setdefault(registration.candidate_id, []).append(registration)
    referred = set(
        SkillLevelReferral.objects.exclude(status=SkillLevelReferral.Status.DECLINED).values_list(
            "candidate_id", "occupation_id"
        )
    )

    found: list[TraineeRouting] = []
    for candidate in trainees:
        # occupation -> (occupation, region, station, passed, registered)
        targets: dict[int, tuple[Occupation, Region | None, int | None, bool, bool]] = {}
        for registration in by_candidate.get(candidate.pk, []):
            occupation_id = registration.announcement.occupation_id
            earlier = targets.get(occupation_id)
            live = registration.status not in NOT_REGISTERED
            passed = registration.status == Registration.Status.PASSED
            if earlier is not None and earlier[4] and not live:
                continue  # a live registration says more than a withdrawn one
            targets[occupation_id] = (
                registration.announcement.occupation,
                registration.station.region,
                registration.station_id,
                passed or bool(earlier and earlier[3]),
                live or bool(earlier and earlier[4]),
            )
        plan_occupation = candidate.plan_occupation
        if plan_occupation is not None and plan_occupation.pk not in targets:
            creator = candidate.created_by
            station = creator.station if creator is not None else None
            targets[plan_occupation.pk] = (
                plan_occupation,
                station.region if station else None,
                station.pk if station else None,
                False,
                False,
            )
        for occupation, region, station_id, passed, registered in targets.values():
            if passed or (candidate.pk, occupation.pk) in referred:
                continue
            deadlines = book.deadlines_for(occupation, region)
            # The last day an appraisal can happen: the completion deadline, else the exit day.
            last_day = deadlines.appraisal_deadline or book.exit_date(occupation)
            if last_day is None:
                continue  # not an exited occupation
            finish = candidate.expected_finish_date
            cutoff = deadlines.last_registration_day
            if finish is not None and finish > last_day:
                found.append(
                    TraineeRouting(candidate, occupation, region, station_id, last_day, finish, "finish", cutoff)
                )
            elif not registered and cutoff is not None and today > cutoff:
                found.append(
                    TraineeRouting(candidate, occupation, region, station_id, last_day, finish, "cutoff", cutoff)
                )
    return found


# --- supervision: dashboard figures and anomaly detectors ------------------------------------


@dataclass(frozen=True)
class StationFigures:
    station_id: int
    registrations: int
    examined: int
    passed: int
    consent_needed: int
    consented: int
    awaiting_application: int
    applications_pending: int

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.examined if self.examined else None

    @property
    def consent_coverage(self) -> float | None:
        return self.consented / self.consent_needed if self.consent_needed else None


def registration_filter(
    stations: QuerySet,
    *,
    occupation_id: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[Registration]:
    """Registrations of these stations, optionally one occupation and a date range."""
    qs = Registration.objects.filter(station__in=stations)
    if occupation_id:
        qs = qs.filter(announcement__occupation_id=occupation_id)
    if date_from:
        qs = qs.filter(registration_date__gte=date_from)
    if date_to:
        qs = qs.filter(registration_date__lte=date_to)
    return qs


def registrations_per_day(registrations: QuerySet[Registration]) -> list[tuple[datetime.date, int]]:
    from django.db.models import Count

    rows = registrations.values("registration_date").annotate(n=Count("*")).order_by("registration_date")
    return [(row["registration_date"], row["n"]) for row in rows]


def station_figures(registrations: QuerySet[Registration]) -> dict[int, StationFigures]:
    """Per station, in one grouped query: volume, first-attempt pass rate, consent coverage
    and the work waiting for an application."""
    from django.db.models import Count, Q

    S = Registration.Status
    after_review = [S.ELIGIBLE, S.CONSENTED, S.APPLIED, S.EXAMINED, S.PASSED, S.FAILED, S.RETAKE, S.CLOSED]
    consented = [S.CONSENTED, S.APPLIED, S.EXAMINED, S.PASSED, S.FAILED, S.RETAKE, S.CLOSED]

    # distinct: the joins to results (up to two per registration) would count rows twice.
    def count(**condition: object) -> Count:
        return Count("pk", distinct=True, filter=Q(**condition) if condition else None)

    rows = registrations.values("station_id").annotate(
        total=count(),
        examined=count(results__attempt=1, results__confirmed_at__isnull=False),
        passed=count(results__attempt=1, results__passed=True),
        consent_needed=count(status__in=after_review),
        consented=count(status__in=consented),
        awaiting_application=count(status=S.CONSENTED),
        applications_pending=Count("application", filter=Q(application__status="submitted"), distinct=True),
    )
    return {
        row["station_id"]: StationFigures(
            station_id=row["station_id"],
            registrations=row["total"],
            examined=row["examined"],
            passed=row["passed"],
            consent_needed=row["consent_needed"],
            consented=row["consented"],
            awaiting_application=row["awaiting_application"],
            applications_pending=row["applications_pending"],
        )
        for row in rows.order_by()
    }


def identical_score_patterns(stations: QuerySet, *, min_repeats: int = 5) -> list[dict]:
    """Sessions where many candidates got exactly the same pair of scores."""
    from django.db.models import Count

    from .models import ExamResult

    return list(
        ExamResult.objects.filter(station__in=stations, attempt=1)
        .values("session_id", "theory_score", "practical_score")
        .annotate(n=Count("*"))
        .filter(n__gte=min_repeats)
        .order_by("-n")
    )


def candidates_at_several_stations(stations: QuerySet) -> list[dict]:
    """People registered for the same occupation at more than one station."""
    from django.db.models import Count

    return list(
        Registration.objects.filter(station__in=stations)
        .exclude(status=Registration.Status.WITHDRAWN)
        .values("candidate_id", "announcement__occupation_id")
        .annotate(stations=Count("station", distinct=True))
        .filter(stations__gt=1)
        .order_by("candidate_id")
    )


def offsite_sessions_without_approval(stations: QuerySet) -> list:
    """Sessions outside the station's region without an approved off-site request for
    that site and day (migrated data: the services refuse to create them)."""
    from .models import ExamSession

    sessions = ExamSession.objects.filter(application__station__in=stations).select_related(
        "application__station", "region__parent", "offsite_request"
    )
    return [s for s in sessions if s.is_offsite and not s.offsite_approved]


# --- work queues: the home's counts and the lists' 待办 filter read the same selector ---------


def registrations_awaiting_review(qs: QuerySet[Registration]) -> QuerySet[Registration]:
    """待资格审查: registered, not yet reviewed."""
    return qs.filter(status=Registration.Status.REGISTERED)


def registrations_without_consent(qs: QuerySet[Registration]) -> QuerySet[Registration]:
    """缺自愿书: eligible, the signed consent form not yet received."""
    return qs.filter(status=Registration.Status.ELIGIBLE)


# A case ends without a certificate when it is closed (failed after the retake, or the
# retake given up) or withdrawn (``Registration.ENDED``); with one when a certificate is
# issued (``certificates.selectors.cases_ended`` adds that, the one definition of the end).


def registrations_ended_without_certificate(qs: QuerySet[Registration]) -> QuerySet[Registration]:
    """已结案 (no certificate): closed or withdrawn."""
    return qs.filter(status__in=Registration.ENDED)


def registrations_without_consent_scan(qs: QuerySet[Registration]) -> QuerySet[Registration]:
    """缺扫描件: a paper consent form recorded without its scan, on a case still going
    (the archive and the certificate need the scan)."""
    return qs.filter(consent_form__scan="").exclude(status__in=Registration.ENDED)


def registrations_awaiting_application(qs: QuerySet[Registration]) -> QuerySet[Registration]:
    """待申请鉴定: consent signed, not yet in an application to the guidance centre."""
    return qs.filter(status=Registration.Status.CONSENTED)


def registrations_awaiting_scores(qs: QuerySet[Registration]) -> QuerySet[Registration]:
    """待录入成绩: sat the exam (or a retake that has been held) and no score entered for
    that attempt."""
    from django.db.models import Exists, OuterRef, Q

    from .models import ExamResult

    def has_result(attempt: int) -> Exists:
        return Exists(ExamResult.objects.filter(registration=OuterRef("pk"), attempt=attempt))

    S = Registration.Status
    first = Q(status=S.EXAMINED) & ~Q(has_result(ExamResult.Attempt.FIRST))
    retake = Q(status=S.RETAKE, retake__session__held=True) & ~Q(has_result(ExamResult.Attempt.RETAKE))
    return qs.filter(first | retake)


def results_awaiting_confirmation(qs: QuerySet) -> QuerySet:
    """待复核成绩: entered, not yet confirmed by a second person."""
    return qs.filter(confirmed_at__isnull=True)


def retakes_awaiting_session(qs: QuerySet) -> QuerySet:
    """补考待安排: a retake requested and not yet placed in a retake session."""
    return qs.filter(session__isnull=True, registration__status=Registration.Status.RETAKE)


def applications_awaiting_decision(qs: QuerySet) -> QuerySet:
    """待审批的鉴定申请."""
    from .models import AppraisalApplication

    return qs.filter(status=AppraisalApplication.Status.SUBMITTED)


def registrations_ended_on(registrations: QuerySet[Registration]) -> dict[int, datetime.date]:
    """The day each of ``registrations`` that ended without a certificate (``Registration.ENDED``)
    entered that state, read from its trace (the first record in the state it is in: the
    ended states are final), as a business date."""
    ended = registrations.filter(status__in=Registration.ENDED)
    first: dict[int, datetime.date] = {}
    rows = Registration.history.filter(id__in=ended.values("pk")).values_list("id", "status", "history_date")
    current = dict(ended.values_list("pk", "status"))
    for pk, status, moment in rows.order_by("history_date"):
        if status == current.get(pk) and pk not in first:
            first[pk] = clock.local_day(moment)
    return first


@dataclass(frozen=True)
class PublicAnnouncement:
    """One open announcement as the public page shows it: nothing about any person."""

    title: str
    occupation: str
    level: str
    publish_date: datetime.date
    fee: Decimal
    last_registration_day: datetime.date | None
    completion_deadline: datetime.date | None
    exam_dates: list[datetime.date]
    taking_registrations: bool


def open_announcements(station: Station, today: datetime.date) -> list[PublicAnnouncement]:
    """The station's announcements still open on ``today``: taking registrations (the cut-off
    that applies in the station's region not passed) or with an exam still to come. Each
    with its cut-off, its completion deadline and the dates of its coming exams (three
    queries, whatever the number of announcements)."""
    book = RuleBook()
    announcements = list(
        ExamAnnouncement.objects.filter(station=station, publish_date__lte=today)
        .select_related("occupation")
        .order_by("-publish_date", "pk")
    )
    # An application may carry several announcements' registrations: a session counts for
    # an announcement of its own occupation and level.
    own = {a.pk: (a.occupation_id, a.level) for a in announcements}
    exam_dates: dict[int, set[datetime.date]] = defaultdict(set)
    for announcement_id, occupation_id, level, day in (
        ExamSession.objects.filter(date__gte=today, application__registrations__announcement__in=list(own))
        .values_list("application__registrations__announcement", "occupation_id", "level", "date")
        .distinct()
    ):
        if own[announcement_id] == (occupation_id, level):
            exam_dates[announcement_id].add(day)
    shown = []
    for announcement in announcements:
        deadlines = book.deadlines_for(announcement.occupation_id, station.region)
        cutoff = deadlines.last_registration_day
        taking = cutoff is None or today <= cutoff
        if not taking and not exam_dates[announcement.pk]:
            continue
        shown.append(
            PublicAnnouncement(
                title=announcement.title,
                occupation=announcement.occupation.name,
                level=announcement.get_level_display(),
                publish_date=announcement.publish_date,
                fee=announcement.fee,
                last_registration_day=cutoff,
                completion_deadline=rules.completion_deadline(deadlines, rules.EXAM),
                exam_dates=sorted(exam_dates[announcement.pk]),
                taking_registrations=taking,
            )
        )
    return shown


# --- students and apprentices: the supervisors' counts ---------------------------------------


@dataclass(frozen=True)
class ReferralCounts:
    to_route: int
    referred: int
    accepted: int
    certified: int
    declined: int

    @property
    def total(self) -> int:
        return self.referred + self.accepted + self.certified + self.declined


def referral_counts(stations: QuerySet, *, occupation_id: int | None = None) -> ReferralCounts:
    """Trainees of these stations (registered there, or entered by its staff) waiting on
    the routing list, and their referrals by outcome."""
    from django.db.models import Count, Q

    # Trainees first (a few among many candidates), then the stations through a subquery:
    # an OR across a join would make the database try it on every candidate.
    registered_here = Registration.objects.filter(station__in=stations).values("candidate_id")
    trainees = Candidate.objects.exclude(trainee_kind=Candidate.TraineeKind.NONE).filter(
        Q(pk__in=registered_here) | Q(created_by__station__in=stations)
    )
    routing = [
        item for item in trainees_to_route(trainees) if occupation_id is None or item.occupation.pk == occupation_id
    ]
    referrals = SkillLevelReferral.objects.filter(candidate__in=trainees.values("pk"))
    if occupation_id:
        referrals = referrals.filter(occupation_id=occupation_id)
    S = SkillLevelReferral.Status
    counts = referrals.aggregate(**{status.value: Count("pk", filter=Q(status=status)) for status in S})
    return ReferralCounts(
        to_route=len(routing),
        referred=counts[S.REFERRED.value],
        accepted=counts[S.ACCEPTED.value],
        certified=counts[S.CERTIFIED.value],
        declined=counts[S.DECLINED.value],
    )


# --- the occupations announced, for the lists' 职业（工种） filter -----------------------------------

# Replaced once an announcement or an occupation is saved or deleted (signals in
# AppraisalsConfig.ready); what is kept under an old version is never read again.
ANNOUNCED_OCCUPATIONS_VERSION_KEY = "appraisals.announced_occupations.version"
# A change that sends no signal (a queryset's update(), SQL) is seen after at most this.
ANNOUNCED_OCCUPATIONS_MAX_AGE = 60


def announced_occupation_choices(stations: list[int] | None, ordering: Sequence[str]) -> list[tuple[int, str]]:
    """(id, name) of the occupations announced at ``stations`` (None: at every station), in
    ``ordering``: the registration and certificate lists' occupation filter. Read from the
    announcements, not from the rows listed (a million), and kept in the cache for every
    process under the version above and the scope: it was a tenth of a list page's time."""
    scope = "all" if stations is None else hashlib.blake2b(repr(sorted(stations)).encode(), digest_size=12).hexdigest()
    version = cache_version(ANNOUNCED_OCCUPATIONS_VERSION_KEY)
    key = f"appraisals.announced_occupations:{version}:{scope}:{','.join(ordering)}"
    choices = cache.get(key)
    if choices is None:
        announced = ExamAnnouncement.objects.all()
        if stations is not None:
            announced = announced.filter(station_id__anyof=stations)
        occupations = Occupation.objects.filter(pk__in=announced.values("occupation"))
        if ordering:  # else the model's own
            occupations = occupations.order_by(*ordering)
        choices = list(occupations.values_list("pk", "name"))
        cache.set(key, choices, ANNOUNCED_OCCUPATIONS_MAX_AGE)
    return choices


def announced_occupations_changed(**kwargs: Any) -> None:
    """An announcement or an occupation saved or deleted: the filters read them again."""
    replace_cache_version(ANNOUNCED_OCCUPATIONS_VERSION_KEY)
