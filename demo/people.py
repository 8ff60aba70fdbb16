"""The demo's organisations and people: guidance centres, stations, one account per role
and the staff every station's cases pass through (clerks, examiners, officers,
supervisors), all with the password ``DEMO_PASSWORD``."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone

from catalog import roles
from catalog.models import GuidanceCentre, Region, Station, User
from catalog.services import save_if_changed
from catalog.trace import acting_as

from .timeline import on

DEMO_PASSWORD = "jianding-demo"
# The day the demo's centres, stations and accounts were entered (before the first act of
# the story, 2020-05-08): their trace and the accounts' date_joined carry it.
ACCOUNTS_OPENED = datetime.date(2020, 5, 6)

CENTRES: list[tuple[str, str, str, str, str | None]] = [
    # code, name, level, region code, parent code
    ("FJ", "福建省职业技能鉴定指导中心", "province", "350000", None),
    ("FJ-XM", "厦门市职业技能鉴定指导中心", "city", "350200", "FJ"),
    ("FJ-FZ", "福州市职业技能鉴定指导中心", "city", "350100", "FJ"),
    ("HN", "湖南省职业技能鉴定指导中心", "province", "430000", None),
    ("HN-CS", "长沙市职业技能鉴定指导中心", "city", "430100", "HN"),
]

STATIONS: list[tuple[str, str, str, str]] = [
    # code, name, region code, centre code
    ("XM001", "厦门市第一职业技能鉴定站", "350200", "FJ-XM"),
    ("XM002", "厦门技师学院职业技能鉴定所", "350200", "FJ-XM"),
    ("XM003", "厦门市餐饮行业职业技能鉴定站", "350200", "FJ-XM"),
    ("FZ001", "福州市职业技能鉴定站", "350100", "FJ-FZ"),
    ("FZ002", "福建省机电行业职业技能鉴定所", "350100", "FJ-FZ"),
    ("CS001", "长沙市职业技能鉴定站", "430100", "HN-CS"),
    ("CS002", "湖南省美容美发职业技能鉴定所", "430100", "HN-CS"),
]

USERS: list[tuple[str, str, str, str | None, str | None]] = [
    # username, full name, role, station code, centre code
    ("admin", "系统管理员", roles.SYSTEM_ADMIN, None, None),
    ("clerk_xm001", "林晓敏", roles.STATION_CLERK, "XM001", None),
    ("clerk_xm002", "陈志强", roles.STATION_CLERK, "XM002", None),
    ("clerk_cs001", "刘芳", roles.STATION_CLERK, "CS001", None),
    ("examiner_xm001", "黄建国", roles.EXAMINER, "XM001", None),
    ("officer_xm", "吴丽华", roles.CENTRE_OFFICER, None, "FJ-XM"),
    ("officer_fj", "郑海涛", roles.CENTRE_OFFICER, None, "FJ"),
    ("supervisor_fj", "王督导", roles.SUPERVISOR, None, "FJ"),
]

# The people the demo cases pass through: a clerk at every station, three more examiners
# per station (an exam needs 3 or more, an odd number), an officer for Fuzhou (issuance
# needs two officers: Fuzhou's prepares, the province's approves), and an officer and a
# supervisor for Hunan, whose applications and sessions would otherwise have nobody to act.
CASE_USERS: list[tuple[str, str, str, str | None, str | None]] = [
    ("clerk_xm003", "苏雅琴", roles.STATION_CLERK, "XM003", None),
    ("clerk_fz001", "郑秀英", roles.STATION_CLERK, "FZ001", None),
    ("clerk_fz002", "林国栋", roles.STATION_CLERK, "FZ002", None),
    ("clerk_cs002", "彭丽娟", roles.STATION_CLERK, "CS002", None),
    ("examiner_xm001_2", "陈美华", roles.EXAMINER, "XM001", None),
    ("examiner_xm001_3", "洪志明", roles.EXAMINER, "XM001", None),
    ("examiner_xm001_4", "庄秀云", roles.EXAMINER, "XM001", None),
    ("examiner_xm002_2", "许建平", roles.EXAMINER, "XM002", None),
    ("examiner_xm002_3", "蔡永福", roles.EXAMINER, "XM002", None),
    ("examiner_xm002_4", "叶振华", roles.EXAMINER, "XM002", None),
    ("examiner_xm003_2", "曾宝珠", roles.EXAMINER, "XM003", None),
    ("examiner_xm003_3", "谢金水", roles.EXAMINER, "XM003", None),
    ("examiner_xm003_4", "吴丽清", roles.EXAMINER, "XM003", None),
    ("examiner_fz001_2", "黄淑贞", roles.EXAMINER, "FZ001", None),
    ("examiner_fz001_3", "郭德发", roles.EXAMINER, "FZ001", None),
    ("examiner_fz001_4", "林碧霞", roles.EXAMINER, "FZ001", None),
    ("examiner_fz002_2", "王振东", roles.EXAMINER, "FZ002", None),
    ("examiner_fz002_3", "张德明", roles.EXAMINER, "FZ002", None),
    ("examiner_fz002_4", "杨世雄", roles.EXAMINER, "FZ002", None),
    ("examiner_cs001_2", "刘建军", roles.EXAMINER, "CS001", None),
    ("examiner_cs001_3", "谭志刚", roles.EXAMINER, "CS001", None),
    ("examiner_cs001_4", "唐秋菊", roles.EXAMINER, "CS001", None),
    ("examiner_cs002_2", "周艳红", roles.EXAMINER, "CS002", None),
    ("examiner_cs002_3", "罗湘云", roles.EXAMINER, "CS002", None),
    ("examiner_cs002_4", "贺春梅", roles.EXAMINER, "CS002", None),
    ("officer_fz", "陈淑华", roles.CENTRE_OFFICER, None, "FJ-FZ"),
    ("officer_cs", "邓卫东", roles.CENTRE_OFFICER, None, "HN-CS"),
    ("supervisor_hn", "易督导", roles.SUPERVISOR, None, "HN"),
]


STATION_CODES = tuple(code for code, *_ in STATIONS)


def demo_people_load() -> None:
    """Enter or bring up to date the centres, stations and accounts (again: no change).
    Call inside a transaction, after ``catalog_load``."""
    with acting_as(None, reason="载入演示数据"), on(ACCOUNTS_OPENED):
        centres: dict[str, GuidanceCentre] = {}
        for code, name, level, region_code, parent_code in CENTRES:
            centres[code] = save_if_changed(
                GuidanceCentre,
                {"code": code},
                {
                    "name": name,
                    "level": level,
                    "region": Region.objects.get(code=region_code),
                    "parent": centres.get(parent_code) if parent_code else None,
                },
            )
        stations: dict[str, Station] = {}
        for code, name, region_code, station_centre in STATIONS:
            stations[code] = save_if_changed(
                Station,
                {"code": code},
                {"name": name, "region": Region.objects.get(code=region_code), "centre": centres[station_centre]},
            )
        hashed = None  # one hash for every new demo account: hashing is slow on purpose
        for username, full_name, role, station_code, centre_code in USERS + CASE_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                hashed = hashed or make_password(DEMO_PASSWORD)
                user = User.objects.create(
                    username=username,
                    date_joined=timezone.make_aware(datetime.datetime.combine(ACCOUNTS_OPENED, datetime.time(9))),
                    password=hashed,
                    last_name=full_name[:1],
                    first_name=full_name[1:],
                    is_staff=True,
                    is_superuser=role == roles.SYSTEM_ADMIN,
                    station=stations.get(station_code) if station_code else None,
                    centre=centres.get(centre_code) if centre_code else None,
                )
            group = Group.objects.get(name=role)
            if list(user.groups.all()) != [group]:
                user.groups.set([group])


@dataclass(frozen=True)
class StationStaff:
    clerk: User
    examiners: list[User]
    officer: User
    supervisor: User | None


def first_with_role(centre: GuidanceCentre, role: str) -> User | None:
    """The first user with the role at the centre or, going up, at one of its parents."""
    node: GuidanceCentre | None = centre
    while node is not None:
        user = User.objects.filter(centre=node, groups__name=role, is_active=True).order_by("username").first()
        if user:
            return user
        node = node.parent
    return None


def station_staff(station: Station) -> StationStaff:
    users = User.objects.filter(station=station, is_active=True).order_by("username")
    clerk = users.filter(groups__name=roles.STATION_CLERK).first()
    examiners = list(users.filter(groups__name=roles.EXAMINER))
    officer = first_with_role(station.centre, roles.CENTRE_OFFICER)
    if clerk is None or officer is None or len(examiners) < 2:
        raise RuntimeError(f"{station.code}缺少考务人员、两名以上考评员或指导中心审核员，无法生成演示案例。")
    return StationStaff(clerk, examiners, officer, first_with_role(station.centre, roles.SUPERVISOR))
