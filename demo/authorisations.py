"""The demo's station authorisations (鉴定站授权): every demo station is authorised for the
occupations and levels its story appraises, on an approving document of its city's
human-resources bureau; and one more station, 厦门市鹭岛职业培训学校鉴定站, is suspended.

Its story: it published a hairdresser announcement on 2020-09-03; on 2020-09-04 the
Xiamen centre, after a spot check, suspended it from 2020-09-01. The announcement got in
before the suspension was recorded, so the supervisors' dashboard lists it as an act
outside the station's authorisation. The document numbers are the demo's own, marked 演示."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from appraisals import services as appraisal_services
from catalog import services
from catalog.models import ALL_LEVELS, GuidanceCentre, Occupation, Region, Station, StationAuthorisation, User
from catalog.services import save_if_changed
from catalog.trace import acting_as

from .cases import ANNOUNCEMENTS
from .certificates import ALL_EARLY_EXAMS
from .examday import OFFSITE_EXAM
from .people import ACCOUNTS_OPENED
from .timeline import on

D = datetime.date

VALID_FROM = D(2019, 1, 1)
# No end date (长期有效): nothing in the demo is dated after the business date but what it plans.
VALID_TO = None
# The approving document of each city's stations, and the officer who entered it.
DOCUMENTS = {
    "FJ-XM": ("厦人社鉴〔2018〕27号（演示）", "officer_xm", D(2018, 12, 20)),
    "FJ-FZ": ("榕人社鉴〔2018〕33号（演示）", "officer_fz", D(2018, 12, 18)),
    "HN-CS": ("长人社鉴〔2018〕19号（演示）", "officer_cs", D(2018, 12, 25)),
}

SUSPENDED_STATION = ("XM004", "厦门市鹭岛职业培训学校鉴定站", "350200", "FJ-XM")
SUSPENDED_OCCUPATIONS = ("美发师", "美容师")
LEGACY_ANNOUNCEMENT = ("美发师", "4", D(2020, 9, 3))
SUSPENSION_DECIDED = D(2020, 9, 4)
SUSPENSION_FROM = D(2020, 9, 1)
SUSPENSION_REASON = "2020年8月督导抽查：考评员配备不足，考试过程未全程留痕，暂停鉴定资质待整改"
SUSPENSION_DOCUMENT = "厦人社鉴〔2020〕41号（演示）"


def planned_levels() -> dict[str, dict[str, set[str]]]:
    """Per station code, per occupation, the levels the demo story appraises there."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for plan in [*ANNOUNCEMENTS, *(exam.announcement for exam in ALL_EARLY_EXAMS)]:
        found[plan.station][plan.occupation].add(plan.level)
    station, occupation, level = OFFSITE_EXAM
    found[station][occupation].add(level)
    return found


def _levels_up_to(occupation: Occupation, levels: set[str]) -> str:
    # A station authorised for a level is authorised for the levels below it as well.
    highest = min(levels)
    return "".join(level for level in ALL_LEVELS if level >= highest and level in occupation.levels)


def demo_authorisations_load() -> None:
    """Authorise the demo stations and suspend the one suspended station (again: no
    change). Call inside a transaction, after ``demo_people_load``."""
    users = {u.username: u for u in User.objects.filter(username__in=[d[1] for d in DOCUMENTS.values()])}
    for code, occupations in planned_levels().items():
        station = Station.objects.select_related("centre").get(code=code)
        document, officer, granted_on = DOCUMENTS[station.centre.code]
        _authorise(station, occupations, document, users[officer], granted_on)
    _suspended_station(users["officer_xm"])


def _authorise(
    station: Station, occupations: dict[str, set[str]], document: str, officer: User, granted_on: datetime.date
) -> None:
    if StationAuthorisation.objects.filter(station=station).exists():
        return
    with on(ACCOUNTS_OPENED):
        for name, levels in sorted(occupations.items()):
            occupation = Occupation.objects.get(name=name)
            services.authorisation_save(
                actor=officer,
                authorisation=StationAuthorisation(
                    station=station,
                    occupation=occupation,
                    levels=_levels_up_to(occupation, levels),
                    valid_from=VALID_FROM,
                    valid_to=VALID_TO,
                    document=document,
                    granted_on=granted_on,
                ),
            )


def _suspended_station(officer: User) -> None:
    code, name, region_code, centre_code = SUSPENDED_STATION
    with acting_as(None, reason="载入演示数据"), on(ACCOUNTS_OPENED):
        station = save_if_changed(
            Station,
            {"code": code},
            {
                "name": name,
                "region": Region.objects.get(code=region_code),
                "centre": GuidanceCentre.objects.get(code=centre_code),
            },
        )
    if StationAuthorisation.objects.filter(station=station).exists():
        return
    document, _, granted_on = DOCUMENTS[centre_code]
    _authorise(station, {o: {"4"} for o in SUSPENDED_OCCUPATIONS}, document, officer, granted_on)
    occupation_name, level, published = LEGACY_ANNOUNCEMENT
    with on(published):
        appraisal_services.announcement_publish(
            actor=None,
            station=station,
            occupation=Occupation.objects.get(name=occupation_name),
            level=level,
            publish_date=published,
            fee=Decimal("260.00"),
        )
    with on(SUSPENSION_DECIDED):
        services.sanction_record(
            actor=officer,
            station=station,
            kind="suspend",
            effective_from=SUSPENSION_FROM,
            reason=SUSPENSION_REASON,
            document=SUSPENSION_DOCUMENT,
        )
