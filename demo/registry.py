"""The demo's examiner and supervisor registry (考评员、督导员名册), and the people each
session takes from it.

Every demo examiner and supervisor account has its registry entry (examiners: the
occupations and levels their station announces, registered in its city; supervisors: their
centre's region). A session needs more examiners than a station has accounts (1 per 5
candidates, odd), so each station's city also has examiners without a login, entered as
the sessions need them. On the business date 2020-09-20 the registry also shows an expired
entry, a revoked one and an examiner suspended on 09-18 who is still on a November session,
and a recusal declared on 09-19 (both on the supervisors' dashboard)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db.models import Q

from appraisals import rules, services
from appraisals.models import Appraiser, ExamSession, Registration
from catalog import roles
from catalog.models import Occupation, Station, User
from catalog.trace import acting_as

from .timeline import Cut, on

D = datetime.date
# The centres enter their registries at the start of the year; certificates run three years.
REGISTERED_ON = D(2020, 1, 6)
VALID_FROM, VALID_TO = D(2019, 7, 1), D(2022, 6, 30)

# Examiners without a login, one list per station's city, taken in order as sessions need them.
POOL_NAMES = [
    "林文杰",
    "陈雅婷",
    "黄志伟",
    "王丽娟",
    "吴建华",
    "郑美玲",
    "李国强",
    "张秀兰",
    "刘德华",
    "杨慧敏",
    "蔡明辉",
    "许丽萍",
    "何志强",
    "谢晓燕",
    "罗建新",
    "高玉兰",
    "梁振宇",
    "宋佳丽",
    "唐国庆",
    "韩雪梅",
    "冯志远",
    "邓丽君",
    "曹建军",
    "彭小红",
    "曾志勇",
    "肖淑芬",
    "田野平",
    "董晓梅",
    "袁振华",
    "潘丽霞",
    "于志成",
    "蒋美华",
    "蔡国梁",
    "余秀英",
    "杜建平",
    "叶丽芳",
]


def _occupations_and_levels(station: Station) -> tuple[list[Occupation], str]:
    # The year's plan, as the station's authorisations read it (a module import would circle).
    from .authorisations import planned_levels

    planned = planned_levels()[station.code]
    occupations = list(Occupation.objects.filter(name__in=planned))
    return occupations, "".join(sorted(set().union(*planned.values()), reverse=True))


def _enter(
    *, name: str, number: str, role: str, region, user: User | None = None, station: Station | None = None, **extra
) -> Appraiser:
    entry = Appraiser.objects.filter(certificate_number=number).first()
    if entry is not None:
        return entry
    occupations: list[Occupation] = []
    levels = ""
    if station is not None:
        occupations, levels = _occupations_and_levels(station)
    with on(REGISTERED_ON), acting_as(None, reason="载入演示数据：考评员、督导员名册"):
        entry = Appraiser.objects.create(
            name=name,
            certificate_number=number,
            role=role,
            user=user,
            region=region,
            levels=levels,
            valid_from=extra.pop("valid_from", VALID_FROM),
            valid_to=extra.pop("valid_to", VALID_TO),
            **extra,
        )
        entry.occupations.set(occupations)
    return entry


def _ordinal(username: str) -> int:
    """examiner_xm001 → 1, examiner_xm001_3 → 3 (the demo accounts' numbering)."""
    tail = username.rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else 1


def demo_registry_load() -> None:
    """The registry entries of the demo's examiner and supervisor accounts, and two
    entries no session may take (expired, revoked). Again: no change."""
    for user in User.objects.filter(groups__name=roles.EXAMINER, station__isnull=False).select_related(
        "station__region"
    ):
        station = user.station
        assert station is not None
        _enter(
            name=user.get_full_name() or user.username,
            number=f"KPY-{station.code}-{_ordinal(user.username):02d}",
            role=Appraiser.Role.EXAMINER,
            user=user,
            region=station.region,
            station=station,
        )
    for user in User.objects.filter(groups__name=roles.SUPERVISOR, centre__isnull=False).select_related("centre"):
        centre = user.centre
        assert centre is not None
        _enter(
            name=user.get_full_name() or user.username,
            number=f"DDY-{centre.code}-{_ordinal(user.username):02d}",
            role=Appraiser.Role.SUPERVISOR,
            user=user,
            region=centre.region,
        )
    xm001 = Station.objects.filter(code="XM001").select_related("region").first()
    if xm001 is not None:
        _enter(
            name="方志诚",
            number="KPY-XM-EXPIRED-01",
            role=Appraiser.Role.EXAMINER,
            region=xm001.region,
            station=xm001,
            valid_from=D(2017, 9, 1),
            valid_to=D(2020, 8, 31),
        )
        _enter(
            name="钟永年",
            number="KPY-XM-REVOKED-01",
            role=Appraiser.Role.EXAMINER,
            region=xm001.region,
            station=xm001,
            status=Appraiser.Status.REVOKED,
            status_reason="考评中违反考场纪律，经市指导中心调查属实，撤销考评员资格。",
            status_date=D(2020, 3, 16),
        )


def _busy(person: Appraiser, day: datetime.date, start: datetime.time, end: datetime.time) -> bool:
    on_it = Q(examiners=person) | Q(supervisor=person) | Q(rooms__invigilators=person)
    return ExamSession.objects.filter(on_it, date=day, start_time__lt=end, end_time__gt=start).exists()


def _pool_entry(station: Station, day: datetime.date, start: datetime.time, end: datetime.time, taken: set[int]):
    """The first examiner without a login in the station's city free at that time (a new
    one entered if all are busy)."""
    prefix = f"KPY-{station.code}-P"
    pool = Appraiser.objects.filter(certificate_number__startswith=prefix).order_by("certificate_number")
    for person in pool:
        if person.pk not in taken and person.usable_on(day) and not _busy(person, day, start, end):
            return person
    n = pool.count()
    offset = sum(ord(c) for c in station.code)
    return _enter(
        name=POOL_NAMES[(offset + n) % len(POOL_NAMES)],
        number=f"{prefix}{n + 1:02d}",
        role=Appraiser.Role.EXAMINER,
        region=station.region,
        station=station,
    )


def session_staff(
    *,
    station: Station,
    level: str,
    candidates: int,
    day: datetime.date,
    start: datetime.time,
    end: datetime.time,
    examiners: Sequence[User],
    supervisor: User | None,
    rooms: Sequence[tuple[str, int]],
) -> dict:
    """``session_schedule``'s staff: the given examiner accounts' entries, then examiners
    without a login up to the staffing rule's number, the supervisor's entry, and two of
    the examiners as each room's invigilators (a room of 30 needs two)."""
    entries = [Appraiser.objects.get(user=u, role=Appraiser.Role.EXAMINER) for u in examiners]
    need = rules.staffing_required(
        candidates=candidates, level=level, room_candidates=[min(c, candidates) for _, c in rooms]
    )
    taken = {e.pk for e in entries}
    while len(entries) < need.examiners:
        person = _pool_entry(station, day, start, end, taken)
        entries.append(person)
        taken.add(person.pk)
    staffed_rooms = []
    for n, (name, capacity) in enumerate(rooms):
        count = max(need.invigilators[n], 2)
        picked = [entries[(n * count + k) % len(entries)] for k in range(count)]
        staffed_rooms.append((name, capacity, picked))
    chief = Appraiser.objects.get(user=supervisor, role=Appraiser.Role.SUPERVISOR) if supervisor else None
    return {"examiners": entries, "supervisor": chief, "rooms": staffed_rooms}


IRREGULAR = (("H01", "孔德胜"), ("H02", "龚秀珍"))


def irregular_examiners(station: Station) -> list[Appraiser]:
    """The two examiners of XM003's first-half pastry session whose entries turn out wrong."""
    return [
        _enter(
            name=name,
            number=f"KPY-{station.code}-{suffix}",
            role=Appraiser.Role.EXAMINER,
            region=station.region,
            station=station,
        )
        for suffix, name in IRREGULAR
    ]


def irregular_session_staff(station: Station, examiner: User) -> dict:
    """XM003's pastry session of 2020-07-09: the station's examiner and two examiners whose
    certificates, it turns out later, had run out (``revoke_back_to``); no supervisor."""
    entry = Appraiser.objects.get(user=examiner, role=Appraiser.Role.EXAMINER)
    others = irregular_examiners(station)
    return {"examiners": [entry, *others], "supervisor": None, "rooms": [("第1考场", 30, [entry, others[0]])]}


def revoke_back_to(entries: Sequence[Appraiser], *, recorded: datetime.date, effective: datetime.date, actor: User):
    """A revocation found after the fact, effective from an earlier day."""
    for entry in entries:
        with on(recorded):
            services.appraiser_status_set(
                actor=actor,
                appraiser=entry,
                status=Appraiser.Status.REVOKED,
                reason=f"核查发现其考评员证书已于 {effective - datetime.timedelta(days=1):%Y-%m-%d} 到期，"
                "原登记的有效期有误，撤销登记。",
                day=effective,
            )


SUSPENDED_ON = D(2020, 9, 18)
RECUSAL_ON = D(2020, 9, 19)


def demo_registry_story(cut: Cut) -> None:
    """On the business date: an examiner suspended on 09-18 while still on a session to
    come, and a recusal declared on 09-19 on another. Told only while those sessions are
    still to come (a business date before they are held)."""
    if cut.until is None or not cut.done(RECUSAL_ON):
        return
    upcoming = list(
        ExamSession.objects.filter(held=False, date__gt=cut.until, application__station__code__in=("XM002", "XM003"))
        .select_related("application__station")
        .order_by("date", "start_time", "pk")
    )
    if len(upcoming) < 2 or Appraiser.objects.filter(status_date=SUSPENDED_ON).exists():
        return
    first, second = upcoming[0], upcoming[-1]
    officer = User.objects.filter(username="officer_xm").first()
    clerk = User.objects.filter(station=second.application.station, groups__name=roles.STATION_CLERK).first()
    # Someone none of whose sessions from the suspension on has been held yet.
    person = next(
        (
            p
            for p in first.examiners.order_by("certificate_number")
            if not p.examined_sessions.filter(held=True, date__gte=SUSPENDED_ON).exists()
        ),
        None,
    )
    if officer is None or clerk is None or person is None:
        return
    with on(SUSPENDED_ON):
        services.appraiser_status_set(
            actor=officer,
            appraiser=person,
            status=Appraiser.Status.SUSPENDED,
            reason="被举报在考前培训中透露考核内容，暂停考评资格，待市指导中心调查。",
            day=SUSPENDED_ON,
        )
    declarer = second.examiners.exclude(pk=person.pk).order_by("certificate_number").first()
    registration = Registration.objects.filter(seats__session=second).select_related("candidate").order_by("pk").first()
    if declarer is None or registration is None:
        return
    with on(RECUSAL_ON):
        services.recusal_record(
            actor=clerk,
            session=second,
            appraiser=declarer,
            registration=registration,
            relation="family",
            note="考生系其外甥，本人主动申报回避。",
            recorded_on=RECUSAL_ON,
        )
