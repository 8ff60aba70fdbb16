"""督导看板: per station registrations per day with the cut-off marked, pass rates, consent
coverage, pending applications and certificates issued per day, as charts. It reads through
the selectors, scoped to the user's stations."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib import admin
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count, F, QuerySet
from django.db.models.functions import TruncDate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from appraisals import rules
from appraisals import selectors as appraisal_selectors
from appraisals.models import Appraiser, ExamAnnouncement, ExamResult, ExamSession, Registration
from catalog.models import Occupation, Region, SkillLevel, Station
from catalog.selectors import RuleBook, StationAuthority, visible_stations
from certificates.models import Certificate
from kit import clock

from .charts import daily_bars, ratio_bar
from .filters import DashboardFilter


def cutoff_markers(stations, occupation: Occupation | None) -> list[tuple[datetime.date, str]]:
    """The last registration days that apply to the shown stations (and occupation)."""
    book = RuleBook()
    pairs = (
        stations.filter(announcements__isnull=False).values_list("region_id", "announcements__occupation_id").distinct()
    )
    if occupation is not None:
        pairs = pairs.filter(announcements__occupation=occupation)
    regions = {r.pk: r for r in Region.objects.select_related("parent")}
    days = {
        book.deadlines_for(occupation_id, regions[region_id]).last_registration_day
        for region_id, occupation_id in pairs
    }
    return [(day, f"报名截止 {day:%m-%d}") for day in sorted(d for d in days if d)]


@dataclass(frozen=True)
class Breach:
    """Acts of one kind, by one station, for one occupation and level, on one day, that the
    authorisation rule refuses today: they got in before the rule or a sanction was recorded."""

    station: Station
    act: str
    day: datetime.date
    occupation: Occupation
    level: str
    count: int
    message: str

    @property
    def level_label(self) -> str:
        return SkillLevel(self.level).label


BREACHES_SHOWN = 50


def authorisation_breaches(stations: QuerySet[Station], occupation: Occupation | None = None) -> list[Breach]:
    """Announcements, registrations, sessions and results of the shown stations dated
    outside a valid authorisation, or on or after a suspension or revocation, each checked
    by ``rules.station_not_authorised`` on its own date. The acts are grouped by station,
    occupation, level and day (one query per kind), so the check runs once per group."""
    authorities = StationAuthority.for_stations(stations.select_related("region"))
    occupations = {o.pk: o for o in Occupation.objects.all()}
    ids = list(authorities)

    def narrowed(qs: QuerySet, path: str) -> QuerySet:
        return qs.filter(**{path: occupation}) if occupation is not None else qs

    groups: list[tuple[str, Iterable[dict]]] = [
        (
            "发布鉴定考试公告",
            narrowed(ExamAnnouncement.objects.filter(station__in=ids), "occupation")
            .values(s=F("station_id"), o=F("occupation_id"), lv=F("level"), d=F("publish_date"))
            .annotate(n=Count("*")),
        ),
        (
            "受理报名",
            narrowed(Registration.objects.filter(station__in=ids), "announcement__occupation")
            .values(
                s=F("station_id"),
                o=F("announcement__occupation_id"),
                lv=F("announcement__level"),
                d=F("registration_date"),
            )
            .annotate(n=Count("*")),
        ),
        (
            "举行鉴定考试",
            narrowed(ExamSession.objects.filter(application__station__in=ids), "occupation")
            .values(s=F("application__station_id"), o=F("occupation_id"), lv=F("level"), d=F("date"))
            .annotate(n=Count("*")),
        ),
        (
            "录入成绩",
            narrowed(ExamResult.objects.filter(registration__station__in=ids), "session__occupation")
            .values(
                s=F("registration__station_id"),
                o=F("session__occupation_id"),
                lv=F("session__level"),
                d=TruncDate("entered_at"),
            )
            .annotate(n=Count("*")),
        ),
    ]
    found = []
    for act, rows in groups:
        for row in rows:
            authority, what = authorities[row["s"]], occupations[row["o"]]
            violation = rules.level_not_in_standard(occupation=what, level=row["lv"]) or rules.station_not_authorised(
                authority=authority, occupation=what, level=row["lv"], day=row["d"], act=act
            )
            if violation:
                found.append(Breach(authority.station, act, row["d"], what, row["lv"], row["n"], violation.message))
    found.sort(key=lambda b: (b.day, b.station.code), reverse=True)
    return found


def supervision_links(request: HttpRequest) -> list[tuple[str, str]]:
    """This page answers /admin/supervision/, the admin's own page of the app: so it links
    to the app's lists the user may open."""
    links = []
    if request.user.has_perm("supervision.view_reviewitem"):
        links.append((reverse("supervision_review_queue"), "督导复核事项"))
    for model, title in (("sessionsupervisionrecord", "现场督导与远程监控记录"), ("complaint", "举报")):
        if request.user.has_perm(f"supervision.view_{model}"):
            links.append((reverse(f"admin:supervision_{model}_changelist"), title))
    return links


def staff_compliance(stations, today: datetime.date) -> tuple[list[dict], list[dict]]:
    """考评员、督导员管理 on the sessions still to come (not held, on or after today):
    registry people not usable on the session's day or suspended/revoked since, and
    sessions short of the staffing rule (counted on their seats) or with a person who
    declared a relation to one of its candidates."""
    sessions = (
        ExamSession.objects.filter(application__station__in=stations, held=False, date__gte=today)
        .select_related("occupation", "application__station", "supervisor")
        .prefetch_related("examiners", "rooms__invigilators", "rooms__seats", "recusals__appraiser")
        .order_by("date", "start_time", "pk")
    )
    people, short = [], []
    for session in sessions:
        rooms = list(session.rooms.all())
        on_it: dict[int, tuple[Appraiser, str]] = {}
        for person in session.examiners.all():
            on_it[person.pk] = (person, "考评员")
        for room in rooms:
            for person in room.invigilators.all():
                on_it.setdefault(person.pk, (person, "监考人员"))
        if session.supervisor is not None:
            on_it[session.supervisor.pk] = (session.supervisor, "督导员")
        for person, as_what in on_it.values():
            if person.usable_on(session.date) and person.status == Appraiser.Status.ACTIVE:
                continue
            if person.status != Appraiser.Status.ACTIVE:
                why = f"{person.status_date:%Y-%m-%d} 起{person.get_status_display()}：{person.status_reason}"
            else:
                why = f"有效期 {person.valid_from:%Y-%m-%d} 至 {person.valid_to:%Y-%m-%d}"
            people.append({"person": person, "as": as_what, "why": why, "session": session})
        seated = [(room.name, len(room.seats.all()), len(room.invigilators.all())) for room in rooms]
        candidates = sum(n for _, n, _ in seated)
        problem = None
        if candidates:
            found = rules.staffing_short(
                candidates=candidates,
                level=session.level,
                examiners=len(session.examiners.all()),
                rooms=[r for r in seated if r[1]],
            )
            problem = found.message if found else None
        recused = [r for r in session.recusals.all() if r.appraiser_id in on_it]
        if recused and problem is None:
            problem = f"{recused[0].appraiser.name}已申报回避，仍在该场次。"
        if problem:
            short.append({"session": session, "station": session.application.station.name, "problem": problem})
    return people, short


@login_required(login_url="admin:login")
@permission_required("appraisals.view_registration", raise_exception=True)
def dashboard(request: HttpRequest) -> HttpResponse:
    filterset = DashboardFilter(request.GET or None, stations=visible_stations(request.user))
    registrations = filterset.qs
    stations, occupation = filterset.shown_stations(), filterset.choice("occupation")
    per_day = appraisal_selectors.registrations_per_day(registrations)
    figures = appraisal_selectors.station_figures(registrations)
    certificates = Certificate.objects.filter(registration__station__in=stations)
    if occupation is not None:
        certificates = certificates.filter(registration__announcement__occupation=occupation)
    issued = [
        (row["issue_date"], row["n"])
        for row in certificates.values("issue_date").annotate(n=Count("*")).order_by("issue_date")
    ]
    breaches = authorisation_breaches(stations, occupation)
    staff_people, staff_short = staff_compliance(stations, clock.today())
    station_names = dict(Station.objects.filter(pk__in=figures).values_list("pk", "name"))
    rows = [
        {
            "station": station_names[station_id],
            "figures": f,
            "pass_rate": ratio_bar(f.pass_rate),
            "consent": ratio_bar(f.consent_coverage, colour="#1565c0"),
        }
        for station_id, f in sorted(figures.items(), key=lambda item: -item[1].registrations)
    ]
    context = {
        **admin.site.each_context(request),
        "title": "督导看板",
        "form": filterset.form,
        "links": supervision_links(request),
        "registrations_chart": daily_bars(per_day, markers=cutoff_markers(stations, occupation), label="每日报名人数"),
        "certificates_chart": daily_bars(issued, colour="#2e7d32", label="每日发证数"),
        "rows": rows,
        "breaches": breaches[:BREACHES_SHOWN],
        "breaches_total": len(breaches),
        "total": sum(n for _, n in per_day),
        "staff_people": staff_people,
        "staff_short": staff_short,
        "referrals": appraisal_selectors.referral_counts(
            stations, occupation_id=occupation.pk if occupation is not None else None
        ),
    }
    return render(request, "supervision/dashboard.html", context)
