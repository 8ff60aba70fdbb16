"""The demo data set: centres, stations and one user per role, on top of the catalog.

Sits in the top app because, as the case apps grow, it fills every one of them."""

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from catalog import roles
from catalog.models import GuidanceCentre, Region, Station, User
from catalog.services import catalog_load
from catalog.trace import acting_as

DEMO_PASSWORD = "jianding-demo"

CENTRES = [
    # code, name, level, region code, parent code
    ("FJ", "福建省职业技能鉴定指导中心", "province", "350000", None),
    ("FJ-XM", "厦门市职业技能鉴定指导中心", "city", "350200", "FJ"),
    ("FJ-FZ", "福州市职业技能鉴定指导中心", "city", "350100", "FJ"),
    ("HN", "湖南省职业技能鉴定指导中心", "province", "430000", None),
    ("HN-CS", "长沙市职业技能鉴定指导中心", "city", "430100", "HN"),
]

STATIONS = [
    # code, name, region code, centre code
    ("XM001", "厦门市第一职业技能鉴定站", "350200", "FJ-XM"),
    ("XM002", "厦门技师学院职业技能鉴定所", "350200", "FJ-XM"),
    ("XM003", "厦门市餐饮行业职业技能鉴定站", "350200", "FJ-XM"),
    ("FZ001", "福州市职业技能鉴定站", "350100", "FJ-FZ"),
    ("FZ002", "福建省机电行业职业技能鉴定所", "350100", "FJ-FZ"),
    ("CS001", "长沙市职业技能鉴定站", "430100", "HN-CS"),
    ("CS002", "湖南省美容美发职业技能鉴定所", "430100", "HN-CS"),
]

USERS = [
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


class Command(BaseCommand):
    help = "载入演示数据（指导中心、鉴定站、各角色演示账号）。可重复执行。"

    @transaction.atomic
    def handle(self, *args, **options):
        catalog_load()
        with acting_as(None, reason="载入演示数据"):
            centres = {}
            for code, name, level, region_code, parent_code in CENTRES:
                centres[code], _ = GuidanceCentre.objects.update_or_create(
                    code=code,
                    defaults={
                        "name": name,
                        "level": level,
                        "region": Region.objects.get(code=region_code),
                        "parent": centres.get(parent_code),
                    },
                )
            stations = {}
            for code, name, region_code, centre_code in STATIONS:
                stations[code], _ = Station.objects.update_or_create(
                    code=code,
                    defaults={
                        "name": name,
                        "region": Region.objects.get(code=region_code),
                        "centre": centres[centre_code],
                    },
                )
            for username, full_name, role, station_code, centre_code in USERS:
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={
                        "last_name": full_name[:1],
                        "first_name": full_name[1:],
                        "is_staff": True,
                        "is_superuser": role == roles.SYSTEM_ADMIN,
                        "station": stations.get(station_code),
                        "centre": centres.get(centre_code),
                    },
                )
                if created:
                    user.set_password(DEMO_PASSWORD)
                    user.save()
                user.groups.set([Group.objects.get(name=role)])
        self.stdout.write(self.style.SUCCESS(f"演示数据已载入：{len(stations)} 个鉴定站，{len(USERS)} 个演示账号。"))
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：" + "、".join(u[0] for u in USERS))
