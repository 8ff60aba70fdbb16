"""What candidates are told, found from the state of their cases (see ``candidates.notices``).

Each finder returns the notices due on ``today``; the sweep (``certificates.notices.sweep``)
sends them, each once. A moment is told up to ``JIANDING_CANDIDATE_NOTICE_LOOKBACK_DAYS``
after it happened, so a sweep that missed days catches up and the first run after an
upgrade does not text people about moments long past. Queries grow with the moments in
the window, not with every case."""

from __future__ import annotations

import datetime

from candidates.notices import Event, Notice, notice_text
from catalog.selectors import RuleBook
from kit import conf

from . import rules
from .models import ExamAnnouncement, ExamResult, Registration, SeatAssignment

Status = Registration.Status
# Registered before the cut-off and not examined yet: they may go on, or give up with a refund.
STILL_TO_DECIDE = [Status.REGISTERED, Status.ELIGIBLE, Status.CONSENTED, Status.APPLIED]


def _d(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _since(today: datetime.date) -> datetime.date:
    return today - datetime.timedelta(days=conf.candidate_notice_lookback_days())


def after_cutoff(today: datetime.date, book: RuleBook | None = None) -> list[Notice]:
    """Everyone registered and not yet examined, once the registration cut-off of their
    announcement has passed (人社厅发〔2020〕80号: those registered may still be appraised
    by the completion date, or give up and have their fee refunded)."""
    book = book or RuleBook()
    since = _since(today)
    due: dict[int, tuple[datetime.date, datetime.date | None]] = {}
    for announcement in ExamAnnouncement.objects.select_related("station__region"):
        deadlines = book.deadlines_for(announcement.occupation_id, announcement.station.region)
        cutoff = deadlines.last_registration_day
        if cutoff is not None and since <= cutoff < today:
            due[announcement.pk] = (cutoff, rules.completion_deadline(deadlines, rules.EXAM))
    if not due:
        return []
    registrations = Registration.objects.filter(announcement_id__in=due, status__in=STILL_TO_DECIDE).select_related(
        "candidate", "announcement__occupation", "station"
    )
    notices = []
    for registration in registrations:
        cutoff, deadline = due[registration.announcement_id]
        text = notice_text(
            Event.AFTER_CUTOFF,
            registration.candidate.name,
            occupation=registration.announcement.occupation.name,
            cutoff=_d(cutoff),
            station=registration.station.name,
            deadline=_d(deadline) if deadline else "规定期限",
        )
        notices.append(Notice(registration.candidate_id, Event.AFTER_CUTOFF, f"registration:{registration.pk}", text))
    return notices


def tickets_ready(today: datetime.date) -> list[Notice]:
    """Every seat of a session still to come: its admission ticket can be printed."""
    seats = SeatAssignment.objects.filter(session__date__gte=today, session__held=False).select_related(
        "registration__candidate", "session__occupation"
    )
    notices = []
    for seat in seats:
        session = seat.session
        text = notice_text(
            Event.TICKET_READY,
            seat.registration.candidate.name,
            occupation=session.occupation.name,
            ticket=seat.ticket_number,
            exam_day=f"{_d(session.date)} {session.start_time:%H:%M}",
            place=session.place,
        )
        notices.append(Notice(seat.registration.candidate_id, Event.TICKET_READY, f"seat:{seat.pk}", text))
    return notices


def results_published(today: datetime.date) -> list[Notice]:
    """Every result published (公示) in the window, passed or not."""
    results = ExamResult.objects.filter(published_on__gte=_since(today), published_on__lte=today).select_related(
        "registration__candidate", "session__occupation"
    )
    notices = []
    for result in results:
        outcome = "合格" if result.passed else "不合格"
        text = notice_text(
            Event.RESULTS_PUBLISHED,
            result.registration.candidate.name,
            occupation=result.session.occupation.name,
            outcome=outcome,
            last_day=_d(result.publicity_last_day) if result.publicity_last_day else _d(today),
        )
        notices.append(Notice(result.registration.candidate_id, Event.RESULTS_PUBLISHED, f"result:{result.pk}", text))
    return notices


def retakes_offered(today: datetime.date, book: RuleBook | None = None) -> list[Notice]:
    """Everyone whose first result, published in the window, failed and who has not asked
    for the one retake yet, while the retake can still be held (its deadline not passed)."""
    book = book or RuleBook()
    results = ExamResult.objects.filter(
        attempt=ExamResult.Attempt.FIRST,
        passed=False,
        published_on__gte=_since(today),
        published_on__lte=today,
        registration__status=Status.FAILED,
        registration__retake__isnull=True,
    ).select_related("registration__candidate", "registration__station__region", "session__occupation")
    notices = []
    for result in results:
        registration = result.registration
        deadlines = book.deadlines_for(result.session.occupation_id, registration.station.region)
        deadline = rules.completion_deadline(deadlines, rules.RETAKE)
        if deadline is not None and deadline < today:
            continue
        text = notice_text(
            Event.RETAKE_OFFERED,
            registration.candidate.name,
            occupation=result.session.occupation.name,
            deadline=_d(deadline) if deadline else "规定期限",
            station=registration.station.name,
        )
        notices.append(Notice(registration.candidate_id, Event.RETAKE_OFFERED, f"registration:{registration.pk}", text))
    return notices


def due_notices(today: datetime.date) -> list[Notice]:
    """Every appraisal moment due on ``today`` (one shared RuleBook)."""
    book = RuleBook()
    return [*after_cutoff(today, book), *tickets_ready(today), *results_published(today), *retakes_offered(today, book)]
