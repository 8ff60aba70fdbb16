"""演示案例: a year of candidates, announcements and registrations, made through the
services only, so the demo obeys every rule the back office enforces and every row leaves
its trace (全程留痕).

The whole year is planned, each act with its own date; then the story is told up to the
business date (``demo.timeline``): an act dated after it has not happened, and its case
stays in the state it has reached (``scripts/demo.sh``: 2020-09-20). Each act runs with the
clock on its own day. With the clock past 2020 (no business date) the whole year is told.
The plan, by the Fujian calendar::

    Aug–Sep   announcements; registrations (Fujian: last day 09-30); eligibility review;
              consent forms (自愿书, about half with the station's scan)
    early Sep the year's first exams (XM002 and FZ002, 电工): applied 09-01, approved 09-04,
              held 09-08..09-11; scores confirmed by 09-14 and published for publicity,
              a few still unconfirmed on 09-20; failed candidates ask for a retake
              (retakes in late October) or give up (in October)
    mid Sep   one returned application in Xiamen and one in Fuzhou (~09-09); the first
              batch's applications (09-14..09-18, approved three days later, the exams
              scheduled for November)
    Oct       refunds, mostly after the cut-off; the second and third batches' applications
              (~10-19, ~10-27; Fujian's last day 10-31)
    Nov       first-batch exams; scores entered by one examiner, confirmed by another;
              results published for publicity (公示) at most sessions
    Dec       retakes (one only, the failed parts only, by 12-31); second-batch exams with
              scores pending; third-batch exams scheduled for the last days of the year

Changsha also announces batch-2 occupations (电工, 评茶员), whose registrations run until
2020-12-31 in Hunan. A few students and new apprentices finish their training plans only
in 2021: they are the ones to be routed to skill level recognition (职业技能等级认定).

Deterministic (``random.Random(2020)``, and the business date) and idempotent: when the
demo announcements are already there, nothing is generated again (and nothing someone
changed since is undone).

None of these cases holds a certificate. Certificates, archive records, complaints and the
supervisors' queue come from appraisals held earlier in 2020 (``demo.certificates``, with
the supervisors' acts in ``demo.supervision``); the centres, stations and people are
``demo.people``."""

from __future__ import annotations

import datetime
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from django.core.files.base import ContentFile
from django.utils import timezone
from stdnum.cn import ric

from appraisals import services
from appraisals.models import (
    AppraisalApplication,
    ExamAnnouncement,
    ExamResult,
    ExamSession,
    Refund,
    Registration,
    Retake,
)
from candidates.models import Candidate
from candidates.services import candidate_upsert
from catalog.models import Occupation, SkillLevel, Station, User
from catalog.selectors import RuleBook
from certificates import documents

from . import examday
from .people import STATION_CODES, station_staff
from .registry import session_staff
from .timeline import WHOLE_STORY, Cut, on

SEED = 2020
D = datetime.date
ONE_DAY = datetime.timedelta(days=1)
YEAR_END = D(2020, 12, 31)
FUJIAN_CUTOFF = D(2020, 9, 30)


# --- what the demo is made of ---------------------------------------------------------------

# Address codes (GB/T 2260) of the candidates' ID numbers, by the station's city.
ADDRESS_CODES = {
    "XM": ("350203", "350206", "350211"),  # 思明区、湖里区、集美区
    "FZ": ("350102", "350104"),  # 鼓楼区、仓山区
    "CS": ("430102", "430104", "430105"),  # 芙蓉区、岳麓区、开福区
}

EXAM_PLACES = {
    "XM001": "厦门市思明区湖滨南路考点",
    "XM002": "厦门技师学院集美校区实训楼",
    "XM003": "厦门市湖里区餐饮行业实训基地",
    "FZ001": "福州市鼓楼区五四路考点",
    "FZ002": "福州市仓山区机电实训基地",
    "CS001": "长沙市芙蓉区考点",
    "CS002": "长沙市开福区美容美发实训基地",
}


@dataclass(frozen=True)
class AnnouncementPlan:
    station: str
    occupation: str
    level: str
    publish_date: datetime.date


# Fujian: occupations of the 42-occupation annex, published in August–September 2020.
# Changsha: batch-1 occupations (last day 09-30) and batch-2 ones (电工, 评茶员: 12-31).
ANNOUNCEMENTS = [
    AnnouncementPlan("XM001", "美发师", "5", D(2020, 8, 18)),
    AnnouncementPlan("XM001", "美发师", "4", D(2020, 8, 18)),
    AnnouncementPlan("XM001", "美容师", "4", D(2020, 8, 20)),
    AnnouncementPlan("XM001", "育婴员", "5", D(2020, 8, 25)),
    AnnouncementPlan("XM001", "企业人力资源管理师", "3", D(2020, 9, 1)),
    AnnouncementPlan("XM002", "电工", "5", D(2020, 8, 17)),
    AnnouncementPlan("XM002", "电工", "4", D(2020, 8, 17)),
    AnnouncementPlan("XM002", "电工", "3", D(2020, 8, 24)),
    AnnouncementPlan("XM002", "汽车维修工", "4", D(2020, 8, 26)),
    AnnouncementPlan("XM003", "中式烹调师", "5", D(2020, 8, 19)),
    AnnouncementPlan("XM003", "中式烹调师", "4", D(2020, 8, 19)),
    AnnouncementPlan("XM003", "中式面点师", "5", D(2020, 8, 27)),
    AnnouncementPlan("XM003", "茶艺师", "5", D(2020, 9, 2)),
    AnnouncementPlan("XM003", "茶艺师", "4", D(2020, 9, 2)),
    AnnouncementPlan("FZ001", "保育员", "5", D(2020, 8, 14)),
    AnnouncementPlan("FZ001", "育婴员", "4", D(2020, 8, 14)),
    AnnouncementPlan("FZ001", "美发师", "4", D(2020, 8, 21)),
    AnnouncementPlan("FZ001", "企业人力资源管理师", "3", D(2020, 9, 4)),
    AnnouncementPlan("FZ002", "电工", "5", D(2020, 8, 13)),
    AnnouncementPlan("FZ002", "电工", "4", D(2020, 8, 13)),
    AnnouncementPlan("FZ002", "汽车维修工", "5", D(2020, 8, 28)),
    AnnouncementPlan("FZ002", "汽车维修工", "3", D(2020, 8, 28)),
    AnnouncementPlan("CS001", "育婴员", "5", D(2020, 9, 3)),
    AnnouncementPlan("CS001", "中式烹调师", "4", D(2020, 9, 7)),
    AnnouncementPlan("CS001", "电工", "5", D(2020, 9, 8)),
    AnnouncementPlan("CS001", "电工", "4", D(2020, 9, 8)),
    AnnouncementPlan("CS001", "评茶员", "4", D(2020, 9, 24)),
    AnnouncementPlan("CS002", "美容师", "5", D(2020, 9, 4)),
    AnnouncementPlan("CS002", "美容师", "4", D(2020, 9, 4)),
    AnnouncementPlan("CS002", "美发师", "5", D(2020, 9, 10)),
    AnnouncementPlan("CS002", "美发师", "4", D(2020, 9, 10)),
]

FEES = {"5": Decimal("180.00"), "4": Decimal("260.00"), "3": Decimal("350.00")}
LEVEL_WEIGHT = {"5": 3, "4": 2, "3": 1}
FEMALE_SHARE = {
    "美发师": 0.6,
    "美容师": 0.9,
    "育婴员": 0.95,
    "保育员": 0.95,
    "茶艺师": 0.8,
    "评茶员": 0.5,
    "中式烹调师": 0.25,
    "中式面点师": 0.5,
    "电工": 0.05,
    "汽车维修工": 0.05,
    "企业人力资源管理师": 0.7,
}

# The state each case is driven to.
REGISTERED = "registered"
INELIGIBLE = "ineligible"
ELIGIBLE = "eligible"
CONSENTED = "consented"
WD_REGISTERED = "withdrawn_registered"
WD_ELIGIBLE = "withdrawn_eligible"
WD_CONSENTED = "withdrawn_consented"
WD_APPLIED = "withdrawn_applied"
APPLIED = "applied"
EXAMINED = "examined"
PASSED = "passed"
FAILED = "failed"
IN_RETAKE = "in_retake"
RETAKE_PASSED = "retake_passed"
RETAKE_CLOSED = "retake_closed"
GAVE_UP = "gave_up"
# The year's first exams, in early September (XM002 and FZ002, 电工): on 2020-09-20 the
# results of most are published (publicity running), a few are not yet confirmed, and
# of those who failed some have asked for a retake and some have not decided.
SEPT_PASSED = "sept_passed"
SEPT_PENDING = "sept_pending"
SEPT_RETAKE = "sept_retake"
SEPT_FAILED = "sept_failed"

TARGET_COUNTS = [
    (REGISTERED, 14),
    (INELIGIBLE, 12),
    (ELIGIBLE, 14),
    (CONSENTED, 16),
    (WD_REGISTERED, 8),
    (WD_ELIGIBLE, 4),
    (WD_CONSENTED, 5),
    (WD_APPLIED, 6),
    (APPLIED, 24),
    (EXAMINED, 26),
    (PASSED, 100),
    (FAILED, 16),
    (IN_RETAKE, 8),
    (RETAKE_PASSED, 7),
    (RETAKE_CLOSED, 5),
    (GAVE_UP, 4),
    (SEPT_PASSED, 12),
    (SEPT_PENDING, 5),
    (SEPT_RETAKE, 3),
    (SEPT_FAILED, 3),
]
FIRST_BATCH = {WD_APPLIED, PASSED, FAILED, IN_RETAKE, RETAKE_PASSED, RETAKE_CLOSED, GAVE_UP}
FIRST_FAIL = {FAILED, IN_RETAKE, RETAKE_PASSED, RETAKE_CLOSED, GAVE_UP}
NOT_REVIEWED = {REGISTERED, WD_REGISTERED}
SEPTEMBER = {SEPT_PASSED, SEPT_PENDING, SEPT_RETAKE, SEPT_FAILED}
SEPTEMBER_STATIONS = ("XM002", "FZ002")
CONSENTING = FIRST_BATCH | SEPTEMBER | {CONSENTED, WD_CONSENTED, EXAMINED, APPLIED}
# The application batches: the September exams', the returned one, then the first,
# second and third batches of the year.
SEPT_BATCH = -1

# Per station: a returned application (Xiamen, Fuzhou) and one application the centre
# has not decided yet.
RETURNED_APPLICATION_AT = {"XM001", "FZ001"}
UNDECIDED_APPLICATION_AT = {"FZ002"}

# Students under certificate training plans (school, major, occupation) and enterprise
# new apprentices (enterprise, occupation), by station.
SCHOOLS = [
    ("XM001", "厦门工商旅游学校", "美发与形象设计", "美发师"),
    ("XM002", "厦门技师学院", "电气自动化设备安装与维修", "电工"),
    ("XM002", "厦门技师学院", "汽车维修", "汽车维修工"),
    ("XM003", "厦门工商旅游学校", "中餐烹饪", "中式烹调师"),
    ("FZ001", "福建经济学校", "幼儿保育", "育婴员"),
    ("FZ002", "福州机电工程职业技术学校", "电气运行与控制", "电工"),
    ("CS001", "长沙财经学校", "中餐烹饪与营养膳食", "中式烹调师"),
    ("CS001", "长沙市电子工业学校", "电气运行与控制", "电工"),
    ("CS002", "长沙市第一职业中专学校", "美发与形象设计", "美发师"),
]
STUDENT_TARGETS_2020 = [PASSED, PASSED, EXAMINED, APPLIED, PASSED, FAILED, PASSED, CONSENTED, PASSED, RETAKE_PASSED]
ENTERPRISES = [
    ("XM003", "厦门鹭悦餐饮管理有限公司", "中式烹调师"),
    ("XM002", "厦门同安电力安装工程有限公司", "电工"),
    ("FZ002", "福州闽江汽车维修服务有限公司", "汽车维修工"),
    ("XM001", "厦门丝语美发连锁有限公司", "美发师"),
    ("CS002", "长沙星沙美业连锁有限公司", "美发师"),
    ("CS001", "长沙湘江电力安装工程有限公司", "电工"),
    ("FZ001", "福州榕城家政服务有限公司", "保育员"),
    ("XM003", "厦门鹭悦餐饮管理有限公司", "中式烹调师"),
    ("FZ002", "福州闽江汽车维修服务有限公司", "汽车维修工"),
    ("CS002", "长沙星沙美业连锁有限公司", "美发师"),
]
APPRENTICE_TARGETS_2020 = [PASSED, PASSED, EXAMINED, APPLIED, FAILED]

SURNAMES = {
    "FJ": "陈林黄郑王李张吴刘蔡杨许洪曾苏周谢叶庄江邱何卓游翁施柯连卢",
    "HN": "刘李王张陈唐彭周罗杨谭邓胡曾黄易廖肖文贺向龙蒋雷谢袁颜汤",
}
COMPOUND_SURNAMES = {"FJ": ["欧阳", "司马"], "HN": ["欧阳", "上官"]}
GIVEN_MALE = "伟强军磊涛斌勇杰峰辉鹏超明华建国志文海龙俊浩宇晨阳凯毅鑫旭德成荣福金永"
GIVEN_FEMALE = "丽芳娟敏静燕霞玲婷慧红梅艳琳雪莉萍颖倩佳欣怡琴秀兰晓月瑶蓉菲婉"
GIVEN_ANY = "子思雨一嘉文明清远春秋安宁晓泽"
PHONE_PREFIXES = ("133", "135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "177", "180", "186")

REFUND_REASONS_AFTER_CUTOFF = (
    "报名截止后决定放弃鉴定，申请退费",
    "本职业退出国家职业资格目录后，改为参加用人单位职业技能等级认定",
    "报名截止后选择不再参加鉴定（工作繁忙，无法参加考试）",
)
REFUND_REASONS_BEFORE = ("工作调动，无法按期参加鉴定", "个人原因放弃报名")

# Exam slots (morning, afternoon); a person is in at most one session per slot.
SLOTS = ((datetime.time(9, 0), datetime.time(11, 0)), (datetime.time(14, 30), datetime.time(16, 30)))


# --- the plan of one case ---------------------------------------------------------------------


@dataclass
class CasePlan:
    target: str
    announcement: AnnouncementPlan | None  # None: a trainee who does not register (yet)
    station: str
    eligible: bool = True
    occupation_hint: str = ""
    trainee: dict = field(default_factory=dict)
    candidate: Candidate | None = None
    registration: Registration | None = None
    retake: Retake | None = None
    registration_date: datetime.date | None = None
    review_date: datetime.date | None = None
    consent_date: datetime.date | None = None
    scan: bool = False  # the consent form is recorded with the station's scan
    confirmed_on: datetime.date | None = None


T = TypeVar("T")


def made(value: T | None, what: str) -> T:
    """What an earlier step of the case made, for a later step (None here: the demo's
    steps run out of order, a bug of the demo)."""
    if value is None:
        raise RuntimeError(f"演示案例缺少{what}：生成步骤的顺序有误。")
    return value


@dataclass(frozen=True)
class DemoResult:
    created: bool
    candidates: int = 0
    announcements: int = 0
    registrations: int = 0


def chinese_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """A local time on a day of the story."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def announcement_title(station: Station, plan: AnnouncementPlan) -> str:
    return f"{station.name}2020年{plan.occupation}（{SkillLevel(plan.level).label}）职业技能鉴定考试公告"


def demo_cases_load(seed: int = SEED, cut: Cut = WHOLE_STORY) -> DemoResult:
    """Generate the demo cases as they stand on ``cut`` (the business date), unless they
    are there already. Call inside a transaction."""
    stations = {s.code: s for s in Station.objects.filter(code__in=STATION_CODES).select_related("region", "centre")}
    missing = set(STATION_CODES) - set(stations)
    if missing:
        raise RuntimeError(f"缺少演示鉴定站：{'、'.join(sorted(missing))}")
    titles = [announcement_title(stations[p.station], p) for p in ANNOUNCEMENTS]
    if ExamAnnouncement.objects.filter(station__in=stations.values(), title__in=titles).exists():
        return DemoResult(created=False)
    return DemoBuilder(random.Random(seed), stations, cut).run()


class Calendar:
    """Who is busy when: examiners and supervisors are never in two sessions at once."""

    def __init__(self) -> None:
        self.busy: set[tuple[int, datetime.date, int]] = set()

    def book(
        self,
        rng: random.Random,
        examiners: list[User],
        supervisor: User | None,
        first: datetime.date,
        last: datetime.date,
    ) -> tuple[datetime.date, int, User | None]:
        days = [first + n * ONE_DAY for n in range((last - first).days + 1)]
        start = rng.randrange(len(days))
        for day in days[start:] + days[:start]:
            for slot in range(len(SLOTS)):
                if any((u.pk, day, slot) in self.busy for u in examiners):
                    continue
                if supervisor and (supervisor.pk, day, slot) in self.busy:
                    supervisor = None  # the supervisor is elsewhere: this session goes without
                for person in [*examiners, *([supervisor] if supervisor else [])]:
                    self.busy.add((person.pk, day, slot))
                return day, slot, supervisor
        raise RuntimeError(f"{first:%Y-%m-%d}至{last:%Y-%m-%d}之间考评员没有空闲场次。")


# --- the builder --------------------------------------------------------------------------------


class DemoBuilder:
    """Makes the year's cases, each through the services, as the person whose act it is."""

    def __init__(self, rng: random.Random, stations: dict[str, Station], cut: Cut = WHOLE_STORY) -> None:
        self.rng = rng
        self.stations = stations
        self.cut = cut
        self.staff = {code: station_staff(station) for code, station in stations.items()}
        self.calendar = Calendar()
        self.rulebook = RuleBook()
        self.occupations = {
            o.name: o for o in Occupation.objects.filter(name__in={p.occupation for p in ANNOUNCEMENTS})
        }
        self.announcements: dict[AnnouncementPlan, ExamAnnouncement] = {}
        self.cases: list[CasePlan] = []
        self.ids: set[str] = set(Candidate.objects.values_list("id_number", flat=True))
        self.phones: set[str] = set()
        self.names: set[str] = set()
        self.session_examiners: dict[int, list[User]] = {}
        self.papers = 0

    # dates ------------------------------------------------------------------------------------

    def day_between(self, first: datetime.date, last: datetime.date) -> datetime.date:
        if last < first:
            return first
        return first + self.rng.randint(0, (last - first).days) * ONE_DAY

    def last_registration_day(self, plan: AnnouncementPlan) -> datetime.date:
        occupation = self.occupations[plan.occupation]
        deadlines = self.rulebook.deadlines_for(occupation, self.stations[plan.station].region)
        return min(deadlines.last_registration_day or YEAR_END, YEAR_END)

    def application_day(self, station: str, batch: int) -> datetime.date:
        """Submission day of the station's applications (Fujian: by 10-31): the September
        exams' (09-01), the returned one (~09-09), the first batch's (09-14..09-18), the
        second's (~10-19) and the third's (~10-27)."""
        offset = STATION_CODES.index(station) % 3
        if batch == 1:
            return D(2020, 9, 14) + 2 * offset * ONE_DAY
        return {SEPT_BATCH: D(2020, 8, 31), 0: D(2020, 9, 9), 2: D(2020, 10, 19), 3: D(2020, 10, 27)}[
            batch
        ] + offset * ONE_DAY

    def registration_window(self, target: str, plan: AnnouncementPlan) -> tuple[datetime.date, datetime.date]:
        first = plan.publish_date + ONE_DAY
        if target in SEPTEMBER:
            if plan.station not in SEPTEMBER_STATIONS:
                return first, first - ONE_DAY  # only XM002 and FZ002 examine in September
            last = self.application_day(plan.station, SEPT_BATCH) - 8 * ONE_DAY
        elif target in FIRST_BATCH:
            last = self.application_day(plan.station, 1) - 8 * ONE_DAY
        elif target == EXAMINED:
            last = self.application_day(plan.station, 2) - 8 * ONE_DAY
        elif target == APPLIED:
            last = self.application_day(plan.station, 3) - 8 * ONE_DAY
        elif target == CONSENTED and plan.station in RETURNED_APPLICATION_AT:
            last = self.application_day(plan.station, 0) - 8 * ONE_DAY
        elif target == REGISTERED:
            first, last = max(first, D(2020, 9, 8)), D(2020, 12, 20)
        else:
            last = D(2020, 11, 30)
        return first, min(last, self.last_registration_day(plan))

    def batch_of(self, target: str) -> int | None:
        if target in SEPTEMBER:
            return SEPT_BATCH
        if target in FIRST_BATCH:
            return 1
        return {EXAMINED: 2, APPLIED: 3}.get(target)

    # planning ---------------------------------------------------------------------------------

    def plan_cases(self) -> None:
        rng = self.rng
        for target, count in TARGET_COUNTS:
            for n in range(count):
                choices = [p for p in ANNOUNCEMENTS if self._fits(target, p)]
                if target == CONSENTED and n < 6:  # the returned applications need someone in them
                    choices = [p for p in choices if p.station == sorted(RETURNED_APPLICATION_AT)[n % 2]]
                plan = rng.choices(choices, weights=[LEVEL_WEIGHT[p.level] for p in choices])[0]
                self.cases.append(CasePlan(target, plan, plan.station, eligible=target != INELIGIBLE))
        self._plan_students()
        self._plan_apprentices()
        rng.shuffle(self.cases)
        for case in self.cases:
            if case.announcement is not None:
                self._plan_dates(case, case.announcement)
        # One passed September case came with its paper form only: the issuance work list
        # shows why it waits, and the clerk attaches the scan later.
        unscanned = next((c for c in self.cases if c.target == SEPT_PASSED and c.station == "XM002"), None)
        if unscanned is not None:
            unscanned.scan = False

    def _fits(self, target: str, plan: AnnouncementPlan) -> bool:
        first, last = self.registration_window(target, plan)
        return first <= last

    def _find(self, station: str, occupation: str, level: str) -> AnnouncementPlan:
        return next(p for p in ANNOUNCEMENTS if (p.station, p.occupation, p.level) == (station, occupation, level))

    def _plan_students(self) -> None:
        """20 students: ten graduate in 2020 (diploma route to level 4); ten only in 2021,
        three of whom registered for level 5 anyway and were found ineligible."""
        rng = self.rng
        for n in range(20):
            station, school, major, occupation = SCHOOLS[n % len(SCHOOLS)]
            if n < 10:
                finish = D(2020, 7, 1) if n % 3 else D(2020, 12, 20)
                target, level, diploma = (
                    STUDENT_TARGETS_2020[n],
                    "4",
                    rng.choice(["technical_school", "secondary_vocational"]),
                )
                if "技师学院" in school:
                    diploma = "technical_school"
            else:
                finish = D(2021, 7, 1) if n % 2 else D(2021, 6, 30)
                target, level, diploma = (INELIGIBLE if n in (10, 14, 17) else ""), "5", "none"
            grade = finish.year - 3
            trainee = {
                "trainee_kind": Candidate.TraineeKind.SCHOOL_STUDENT,
                "school_or_enterprise": school,
                "training_plan": f"{grade}级{major}专业（{occupation}职业资格证书培养计划）",
                "expected_finish_date": finish,
                "diploma": diploma,
                "birth_year": finish.year - rng.randint(18, 20),
            }
            plan = self._find(station, occupation, level) if target else None
            self.cases.append(
                CasePlan(
                    target,
                    plan,
                    station,
                    eligible=target != INELIGIBLE,
                    occupation_hint=occupation,
                    trainee=trainee,
                )
            )

    def _plan_apprentices(self) -> None:
        """10 new apprentices: five finished in 2020 (apprenticeship route to level 5),
        five finish in 2021, two of whom registered and were found ineligible."""
        rng = self.rng
        for n, (station, enterprise, occupation) in enumerate(ENTERPRISES):
            if n < 5:
                start, finish = D(2018, 9, 1), rng.choice([D(2020, 6, 30), D(2020, 8, 31)])
                target = APPRENTICE_TARGETS_2020[n]
            else:
                start, finish = D(2019, 7, 1), rng.choice([D(2021, 3, 31), D(2021, 6, 30)])
                target = INELIGIBLE if n in (5, 6) else ""
            period = f"{start.year}年{start.month}月至{finish.year}年{finish.month}月"
            trainee = {
                "trainee_kind": Candidate.TraineeKind.NEW_APPRENTICE,
                "school_or_enterprise": enterprise,
                "training_plan": f"企业新型学徒制培训（{occupation}五级，{period}）",
                "expected_finish_date": finish,
                "diploma": "none",
                "birth_year": rng.randint(1995, 2002),
            }
            plan = self._find(station, occupation, "5") if target else None
            self.cases.append(
                CasePlan(
                    target, plan, station, eligible=target != INELIGIBLE, occupation_hint=occupation, trainee=trainee
                )
            )

    def _plan_dates(self, case: CasePlan, plan: AnnouncementPlan) -> None:
        rng = self.rng
        first, last = self.registration_window(case.target, plan)
        finish = case.trainee.get("expected_finish_date")
        apprentice = case.trainee.get("trainee_kind") == Candidate.TraineeKind.NEW_APPRENTICE
        if apprentice and finish is not None and finish < last:
            first = max(first, finish + ONE_DAY)  # apprentices register once their apprenticeship is over
        registration_date = case.registration_date = self.day_between(first, last)
        if case.target in NOT_REVIEWED:
            return
        batch = self.batch_of(case.target)
        if batch is None and case.target == CONSENTED and plan.station in RETURNED_APPLICATION_AT:
            batch = 0
        apply_day = self.application_day(plan.station, batch) if batch is not None else D(2020, 12, 28)
        # Students and apprentices are reviewed after they finish (graduating students count as finished).
        review_date = min(registration_date + rng.randint(1, 5) * ONE_DAY, apply_day - 3 * ONE_DAY)
        review_date = case.review_date = max(review_date, registration_date)
        if case.target in CONSENTING:
            consent = review_date + rng.randint(0, 8) * ONE_DAY
            case.consent_date = max(min(consent, apply_day - ONE_DAY), review_date)
            case.scan = case.target in SEPTEMBER or rng.random() < 0.5

    # candidates -------------------------------------------------------------------------------

    def _name(self, province: str, female: bool) -> str:
        rng = self.rng
        for _ in range(20):
            if rng.random() < 0.01:
                surname = rng.choice(COMPOUND_SURNAMES[province])
            else:
                # The first surnames of each list are the most common there.
                pool = SURNAMES[province]
                surname = pool[min(int(rng.expovariate(1 / 8)), len(pool) - 1)]
            chars = GIVEN_FEMALE if female else GIVEN_MALE
            one_character = rng.random() < 0.3
            given = rng.choice(chars) if one_character else rng.choice(chars + GIVEN_ANY) + rng.choice(chars)
            name = surname + given
            if name not in self.names and len(set(given)) == len(given):
                break
        self.names.add(name)
        return name

    def _id_number(self, station: str, birth_date: datetime.date, female: bool) -> str:
        while True:
            address = self.rng.choice(ADDRESS_CODES[station[:2]])
            sequence = self.rng.randrange(0, 500) * 2 + (0 if female else 1)  # 17th digit: odd for men
            body = f"{address}{birth_date:%Y%m%d}{sequence:03d}"
            id_number = body + ric.calc_check_digit(body + "0")
            if id_number not in self.ids:
                self.ids.add(id_number)
                return id_number

    def _phone(self) -> str:
        while True:
            phone = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def _qualifications(self, level: str, eligible: bool) -> dict:
        """Years in the trade, prior certificate and diploma that meet (or miss) the
        application conditions of the level (the national defaults)."""
        rng = self.rng
        route = rng.randrange(3)
        prior, diploma = "", "none"
        if level == "5":
            years = rng.randint(1, 12) if eligible else 0
        elif level == "4":
            if eligible:
                years, prior, diploma = [
                    (rng.randint(4, 12), "5", "none"),
                    (rng.randint(6, 20), "", "none"),
                    (rng.randint(0, 5), "", rng.choice(["technical_school", "secondary_vocational"])),
                ][route]
            else:
                years, prior = [(rng.randint(2, 5), ""), (rng.randint(1, 3), "5"), (rng.randint(3, 5), "")][route]
        else:
            if eligible:
                years, prior, diploma = [
                    (rng.randint(5, 18), "4", "none"),
                    (rng.randint(1, 4), "4", rng.choice(["senior_technical_school", "higher_vocational"])),
                    (rng.randint(2, 4), "4", "college_in_trade"),
                ][route]
            else:
                years, prior = [(rng.randint(2, 4), "4"), (rng.randint(8, 15), ""), (rng.randint(3, 5), "5")][route]
        return {"years_in_trade": years, "prior_certificate_level": prior, "diploma": diploma}

    def _education(self, diploma: str) -> str:
        if diploma in ("college_in_trade", "higher_vocational", "senior_technical_school"):
            return self.rng.choice(["college", "college", "bachelor"])
        if diploma in ("technical_school", "secondary_vocational"):
            return "senior"
        return self.rng.choices(["junior", "senior", "college", "bachelor"], weights=[35, 40, 17, 8])[0]

    def create_candidates(self) -> None:
        rng = self.rng
        for case in self.cases:
            station = case.station
            province = "HN" if station.startswith("CS") else "FJ"
            occupation = case.announcement.occupation if case.announcement else case.occupation_hint
            female = rng.random() < FEMALE_SHARE.get(occupation, 0.5)
            trainee = dict(case.trainee)
            if trainee:
                birth_year = trainee.pop("birth_year")
                fields = {"years_in_trade": 0, "prior_certificate_level": "", **trainee}
                fields["education"] = "senior" if trainee["diploma"] != "none" else "junior"
            else:
                level = made(case.announcement, "鉴定考试公告").level
                eligible = case.eligible if case.target not in NOT_REVIEWED else rng.random() < 0.85
                fields = self._qualifications(level, eligible)
                fields["education"] = self._education(fields["diploma"])
                birth_year = rng.randint(1965, min(2003, 2020 - 17 - fields["years_in_trade"]))
            birth_date = D(birth_year, 1, 1) + rng.randint(0, 364) * ONE_DAY
            if fields["prior_certificate_level"]:
                cert_year = max(2020 - rng.randint(2, max(2, min(fields["years_in_trade"], 12))), birth_year + 18)
                cert_year = min(cert_year, 2019)
                fields["prior_certificate_date"] = D(cert_year, rng.randint(1, 12), rng.randint(1, 28))
                prov = "43" if province == "HN" else "35"
                fields["prior_certificate_number"] = f"{cert_year % 100:02d}{prov}{rng.randrange(10**12):012d}"
            id_number, name, phone = (
                self._id_number(station, birth_date, female),
                self._name(province, female),
                self._phone(),
            )
            day = case.registration_date
            if day is not None and not self.cut.done(day):
                continue  # registers after the business date: not in the system yet
            with on(day or self.cut.today):
                case.candidate = candidate_upsert(
                    actor=self.staff[station].clerk, id_number=id_number, name=name, phone=phone, **fields
                )

    # announcements ----------------------------------------------------------------------------

    def publish_announcements(self) -> None:
        for plan in ANNOUNCEMENTS:
            if not self.cut.done(plan.publish_date):
                continue
            station = self.stations[plan.station]
            with on(plan.publish_date):
                self.announcements[plan] = services.announcement_publish(
                    actor=self.staff[plan.station].clerk,
                    station=station,
                    occupation=self.occupations[plan.occupation],
                    level=plan.level,
                    publish_date=plan.publish_date,
                    title=announcement_title(station, plan),
                    fee=FEES[plan.level],
                )

    # the case, step by step -------------------------------------------------------------------
    # Each act happens on its day, if that day has come by the business date (``self.cut``);
    # a case whose next act has not come stays in the state it has reached.

    def withdraw(self, case: CasePlan, refund_date: datetime.date) -> None:
        """The candidate gives up before the exam and the fee is refunded on ``refund_date``."""
        if not self.cut.done(refund_date):
            return
        rng = self.rng
        registration = made(case.registration, "报名")
        cutoff = self.last_registration_day(made(case.announcement, "鉴定考试公告"))
        after = refund_date > cutoff
        reason = rng.choice(REFUND_REASONS_AFTER_CUTOFF if after else REFUND_REASONS_BEFORE)
        fee = registration.fee
        amount = fee
        if rng.random() < 0.15:
            amount, reason = fee - Decimal("30.00"), reason + "（扣除已领取的培训教材费30元）"
        with on(refund_date):
            services.registration_withdraw(
                actor=self.staff[case.station].clerk,
                registration=registration,
                refund=services.RefundTerms(
                    amount=amount,
                    refund_date=refund_date,
                    method=rng.choice(Refund.Method.values),
                    reason_kind=Refund.Reason.AFTER_CUTOFF if after else Refund.Reason.PERSONAL,
                    reason=reason,
                ),
            )

    def findings(self, case: CasePlan) -> str:
        """The reviewer's note for a trainee who has not finished yet: route them to recognition."""
        finish = case.trainee.get("expected_finish_date")
        if case.target != INELIGIBLE or finish is None:
            return ""
        if case.trainee["trainee_kind"] == Candidate.TraineeKind.NEW_APPRENTICE:
            what = f"学徒期未满（预计{chinese_date(finish)}结业）"
        else:
            what = f"在校生，预计{chinese_date(finish)}毕业，尚无本职业工作年限"
        return f"{what}，不符合该等级任何一项申报条件；结业后鉴定已截止，转由职业技能等级认定。"

    def early_steps(self, case: CasePlan) -> None:
        """Registration, review, consent (with its scan or not), and a refund for those who
        give up before applying: those who only registered give up before the cut-off,
        most of the others after it."""
        rng = self.rng
        clerk = self.staff[case.station].clerk
        plan = made(case.announcement, "鉴定考试公告")
        registration_date = made(case.registration_date, "报名日期")
        if not self.cut.done(registration_date):
            return
        with on(registration_date):
            case.registration = services.registration_accept(
                actor=clerk,
                candidate=made(case.candidate, "考生"),
                announcement=self.announcements[plan],
                registration_date=registration_date,
            )
        last = registration_date
        if case.review_date:
            if not self.cut.done(case.review_date):
                return
            with on(case.review_date):
                services.eligibility_review(
                    actor=clerk,
                    registration=case.registration,
                    review_date=case.review_date,
                    findings=self.findings(case),
                )
            last = case.review_date
        if case.consent_date:
            if not self.cut.done(case.consent_date):
                return
            with on(case.consent_date):
                services.consent_record(
                    actor=clerk,
                    registration=case.registration,
                    signed_date=case.consent_date,
                    scan=consent_scan(case.registration) if case.scan else None,
                )
            last = case.consent_date
        if case.target not in (WD_REGISTERED, WD_ELIGIBLE, WD_CONSENTED):
            return
        cutoff = self.last_registration_day(plan)
        if case.target == WD_REGISTERED:
            refund_date = self.day_between(last + 3 * ONE_DAY, min(last + 15 * ONE_DAY, cutoff))
        elif rng.random() < 0.8 and cutoff < D(2020, 10, 20):  # most give up after the cut-off
            refund_date = self.day_between(max(last, cutoff) + ONE_DAY, D(2020, 10, 30))
        else:
            refund_date = self.day_between(last + ONE_DAY, last + 20 * ONE_DAY)
        self.withdraw(case, refund_date)

    def apply(
        self, station: str, cases: list[CasePlan], batch: int, decide: bool | None
    ) -> AppraisalApplication | None:
        """The station applies on the batch's day and the centre decides three or four days
        later (``decide`` None: not yet). None: the day of the application has not come."""
        staff = self.staff[station]
        submitted = self.application_day(station, batch)
        if not self.cut.done(submitted):
            return None
        with on(submitted):
            application = services.application_submit(
                actor=staff.clerk,
                station=self.stations[station],
                registrations=[made(c.registration, "报名") for c in cases],
                submitted_date=submitted,
            )
        decided = submitted + (3 if batch < 3 else 4) * ONE_DAY
        if decide is None or not self.cut.done(decided):
            return application
        with on(decided):
            return services.application_decide(
                actor=staff.officer,
                application=application,
                approve=decide,
                decided_date=decided,
                note="" if decide else "部分考生的职业技能鉴定自愿书扫描件缺失，请补齐后重新申请。",
            )

    def schedule(
        self,
        application: AppraisalApplication,
        plan: AnnouncementPlan,
        size: int,
        first: datetime.date,
        last: datetime.date,
    ) -> ExamSession | None:
        """The exam session, scheduled and seated the day after the approval, for a day
        between ``first`` and ``last``; None: that day has not come."""
        scheduled_on = made(application.decided_date, "审批日期") + ONE_DAY
        if not self.cut.done(scheduled_on):
            return None
        rng = self.rng
        staff = self.staff[plan.station]
        examiners = sorted(rng.sample(staff.examiners, min(3, len(staff.examiners))), key=lambda u: u.username)
        day, slot, supervisor = self.calendar.book(rng, examiners, staff.supervisor, first, last)
        self.papers += 1
        occupation = self.occupations[plan.occupation]
        with on(scheduled_on):
            session = services.session_schedule(
                actor=staff.clerk,
                application=application,
                occupation=occupation,
                level=plan.level,
                date=day,
                start_time=SLOTS[slot][0],
                end_time=SLOTS[slot][1],
                place=EXAM_PLACES[plan.station],
                region=self.stations[plan.station].region,
                **session_staff(
                    station=self.stations[plan.station],
                    level=plan.level,
                    candidates=size,
                    day=day,
                    start=SLOTS[slot][0],
                    end=SLOTS[slot][1],
                    examiners=examiners,
                    supervisor=supervisor,
                    rooms=[(f"第{n}考场", 30) for n in range(1, math.ceil(size / 30) + 1)],
                ),
            )
            examday.paper_for(session, staff, f"GJTK-2020-{plan.level}{self.papers:04d}")
            self.session_examiners[session.pk] = examiners
            services.seats_assign(actor=staff.clerk, session=session)
        return session

    def hold(self, station: str, session: ExamSession) -> bool:
        """The session takes place on its day (False: not yet)."""
        if not self.cut.done(session.date):
            return False
        with on(session.date):
            services.session_hold(actor=self.staff[station].clerk, session=session)
        return True

    def score(self, passing: bool) -> Decimal:
        low, high = (600, 965) if passing else (300, 595)
        return Decimal(self.rng.randrange(low, high, 5)) / 10

    def confirm_day(self, session: ExamSession) -> datetime.date:
        return session.date + self.rng.randint(2, 5) * ONE_DAY

    def enter(
        self,
        session: ExamSession,
        case: CasePlan,
        theory: Decimal | None,
        practical: Decimal | None,
        confirm_on: datetime.date | None,
    ) -> ExamResult | None:
        """Scores entered the day after the exam by one examiner and confirmed on
        ``confirm_on`` by another (None: not confirmed in the story)."""
        entered_on = session.date + ONE_DAY
        if not self.cut.done(entered_on):
            return None
        enterer = self.session_examiners[session.pk][0]
        with on(entered_on):
            result = services.result_enter(
                actor=enterer,
                registration=made(case.registration, "报名"),
                theory_score=theory,
                practical_score=practical,
            )
        if confirm_on is not None:
            self.confirm(session, case, result, confirm_on)
        return result

    def confirm(self, session: ExamSession, case: CasePlan, result: ExamResult, day: datetime.date) -> None:
        if not self.cut.done(day):
            return
        checker = self.session_examiners[session.pk][1]
        with on(day):
            services.result_confirm(actor=checker, result=result, now=at(day, 15, 30))
        case.confirmed_on = day

    def publish(self, session: ExamSession, cases: list[CasePlan]) -> None:
        """Publish the results of ``cases`` the day after the last is confirmed, once all are."""
        confirmed = [c.confirmed_on for c in cases if c.confirmed_on]
        if not cases or len(confirmed) < len(cases):
            return
        day = max(confirmed) + ONE_DAY
        if not self.cut.done(day):
            return
        with on(day):
            services.results_publish(actor=self.staff[cases[0].station].clerk, session=session, published_on=day)

    def close(self, case: CasePlan, day: datetime.date) -> None:
        """A failed candidate gives up the retake: the case ends."""
        if not self.cut.done(day):
            return
        with on(day):
            services.registration_close(
                actor=self.staff[case.station].clerk,
                registration=made(case.registration, "报名"),
                reason="考生放弃补考",
            )

    def by_announcement(self, cases: list[CasePlan]) -> list[tuple[AnnouncementPlan, list[CasePlan]]]:
        groups: dict[AnnouncementPlan, list[CasePlan]] = defaultdict(list)
        for case in cases:
            groups[made(case.announcement, "鉴定考试公告")].append(case)
        return [(plan, groups[plan]) for plan in ANNOUNCEMENTS if plan in groups]

    def failing_scores(self, case: CasePlan) -> tuple[Decimal, Decimal]:
        failed = self.rng.choice(["theory", "practical", "both", "both"])
        return self.score(failed == "practical"), self.score(failed == "theory")

    def september_batch(self, station: str, cases: list[CasePlan]) -> None:
        """The year's first exams: applied 09-01, approved 09-04, held 09-08..09-11. Scores
        confirmed within days and published, a few only after 09-21; failed candidates
        ask for a retake (held in late October) or give it up in October."""
        rng = self.rng
        if not cases:
            return
        application = self.apply(station, cases, SEPT_BATCH, decide=True)
        if not approved(application):
            return
        application = made(application, "鉴定申请")
        for plan, group in self.by_announcement(cases):
            session = self.schedule(application, plan, len(group), D(2020, 9, 8), D(2020, 9, 11))
            if session is None or not self.hold(station, session):
                continue
            waiting: list[tuple[CasePlan, ExamResult]] = []
            for case in group:
                if case.target in (SEPT_RETAKE, SEPT_FAILED):
                    theory, practical = self.failing_scores(case)
                else:
                    theory, practical = self.score(True), self.score(True)
                if case.target == SEPT_PENDING:  # the second examiner confirms only after 09-21
                    result = self.enter(session, case, theory, practical, confirm_on=None)
                    if result:
                        waiting.append((case, result))
                else:
                    self.enter(session, case, theory, practical, confirm_on=session.date + rng.randint(2, 3) * ONE_DAY)
            self.publish(session, [c for c in group if c.target != SEPT_PENDING])
            for case, result in waiting:
                self.confirm(session, case, result, D(2020, 9, 22) + rng.randint(0, 3) * ONE_DAY)
            self.publish(session, [c for c, _ in waiting])
        for case in cases:
            if case.target == SEPT_FAILED and case.confirmed_on:
                self.close(case, D(2020, 10, 9) + rng.randint(0, 5) * ONE_DAY)
        retakers = [c for c in cases if c.target == SEPT_RETAKE and c.confirmed_on]
        self.retake_round(
            station,
            application,
            retakers,
            lambda c: made(c.confirmed_on, "成绩复核日期") + rng.randint(2, 4) * ONE_DAY,
            scheduled_on=D(2020, 9, 28),
            first=D(2020, 10, 19),
            last=D(2020, 10, 23),
            publish=True,
        )

    def retake_round(
        self,
        station: str,
        application: AppraisalApplication,
        retakers: list[CasePlan],
        request_day: Callable[[CasePlan], datetime.date],
        *,
        scheduled_on: datetime.date | None,
        first: datetime.date | None,
        last: datetime.date,
        publish: bool,
    ) -> None:
        """One retake each, the failed parts only: asked for on its day; a retake session
        per announcement scheduled (``scheduled_on`` or four days after the last request,
        for a day from ``first`` or a week after it), held, scored and confirmed; those
        planned to fail it are closed by the confirmation."""
        rng = self.rng
        clerk = self.staff[station].clerk
        requested: dict[int, datetime.date] = {}
        for case in retakers:
            day = requested[id(case)] = request_day(case)
            if self.cut.done(day):
                with on(day):
                    case.retake = services.retake_request(
                        actor=clerk, registration=made(case.registration, "报名"), requested_date=day
                    )
        for plan, group in self.by_announcement(retakers):
            last_request = max(requested[id(c)] for c in group)
            session = self._retake_session(
                application,
                group,
                plan,
                scheduled_on or last_request + ONE_DAY,
                first or last_request + 4 * ONE_DAY,
                last,
            )
            if session is None or not self.hold(station, session):
                continue
            for case in group:
                retake = made(case.retake, "补考申请")
                parts = ["theory", "practical"] if retake.parts == "both" else [retake.parts]
                failing = {rng.choice(parts)} if case.target == RETAKE_CLOSED else set()
                scores = {part: self.score(part not in failing) for part in parts}
                self.enter(
                    session, case, scores.get("theory"), scores.get("practical"), confirm_on=self.confirm_day(session)
                )
            if publish:
                self.publish(session, group)

    def first_batch(self, station: str, cases: list[CasePlan]) -> AppraisalApplication | None:
        """Applied 09-14..09-18, exams in November, scores confirmed, most published; some
        give up before."""
        rng = self.rng
        if not cases:
            return None
        application = self.apply(station, cases, 1, decide=True)
        if not approved(application):
            return None
        application = made(application, "鉴定申请")
        decided = made(application.decided_date, "审批日期")
        for plan, group in self.by_announcement(cases):
            staying = [c for c in group if c.target != WD_APPLIED]
            leaving = [c for c in group if c.target == WD_APPLIED]
            if not staying:
                for case in leaving:
                    self.withdraw(case, self.day_between(decided + ONE_DAY, D(2020, 10, 31)))
                continue
            session = self.schedule(application, plan, len(group), D(2020, 11, 2), D(2020, 11, 28))
            for case in leaving:  # after seating: the seat is given up too
                self.withdraw(case, self.day_between(decided + ONE_DAY, D(2020, 10, 31)))
            if session is None or not self.hold(station, session):
                continue
            for case in staying:
                if case.target in FIRST_FAIL:
                    theory, practical = self.failing_scores(case)
                else:
                    theory, practical = self.score(True), self.score(True)
                self.enter(session, case, theory, practical, confirm_on=self.confirm_day(session))
            if rng.random() < 0.7:
                self.publish(session, staying)
        return application

    def retakes(self, station: str, application: AppraisalApplication, cases: list[CasePlan]) -> None:
        """One retake, the failed parts only, by 12-31; or the candidate gives it up."""
        rng = self.rng
        for case in cases:
            if case.target == GAVE_UP and case.confirmed_on:
                self.close(case, case.confirmed_on + rng.randint(3, 10) * ONE_DAY)
        retakers = [c for c in cases if c.target in (IN_RETAKE, RETAKE_PASSED, RETAKE_CLOSED) and c.confirmed_on]

        def request_day(case: CasePlan) -> datetime.date:
            return min(made(case.confirmed_on, "成绩复核日期") + rng.randint(2, 7) * ONE_DAY, D(2020, 12, 10))

        held = [c for c in retakers if c.target != IN_RETAKE]
        self.retake_round(
            station, application, held, request_day, scheduled_on=None, first=None, last=D(2020, 12, 24), publish=False
        )
        # Half of those still in retake already have a seat in a retake session at the end of December.
        waiting = [c for c in retakers if c.target == IN_RETAKE]
        requested: dict[int, datetime.date] = {}
        for case in waiting:
            day = requested[id(case)] = request_day(case)
            if self.cut.done(day):
                with on(day):
                    case.retake = services.retake_request(
                        actor=self.staff[station].clerk,
                        registration=made(case.registration, "报名"),
                        requested_date=day,
                    )
        for plan, group in self.by_announcement(waiting):
            seated = [c for c in group if rng.random() < 0.5]
            if seated:
                scheduled_on = max(requested[id(c)] for c in seated) + ONE_DAY
                self._retake_session(application, seated, plan, scheduled_on, D(2020, 12, 28), YEAR_END)

    def _retake_session(
        self,
        application: AppraisalApplication,
        group: list[CasePlan],
        plan: AnnouncementPlan,
        scheduled_on: datetime.date,
        first: datetime.date,
        last: datetime.date,
    ) -> ExamSession | None:
        """A retake session for ``group``, scheduled and seated on ``scheduled_on`` (None:
        not yet; by then every one of them has asked for the retake)."""
        if not self.cut.done(scheduled_on):
            return None
        staff = self.staff[plan.station]
        rng = self.rng
        examiners = sorted(rng.sample(staff.examiners, min(3, len(staff.examiners))), key=lambda u: u.username)
        day, slot, supervisor = self.calendar.book(rng, examiners, staff.supervisor, first, last)
        self.papers += 1
        occupation = self.occupations[plan.occupation]
        with on(scheduled_on):
            session = services.session_schedule(
                actor=staff.clerk,
                application=application,
                occupation=occupation,
                level=plan.level,
                date=day,
                start_time=SLOTS[slot][0],
                end_time=SLOTS[slot][1],
                place=EXAM_PLACES[plan.station],
                region=self.stations[plan.station].region,
                **session_staff(
                    station=self.stations[plan.station],
                    level=plan.level,
                    candidates=len(group),
                    day=day,
                    start=SLOTS[slot][0],
                    end=SLOTS[slot][1],
                    examiners=examiners,
                    supervisor=supervisor,
                    rooms=[("补考考场", 30)],
                ),
                kind=ExamSession.Kind.RETAKE,
            )
            examday.paper_for(session, staff, f"GJTK-2020-{plan.level}{self.papers:04d}")
            self.session_examiners[session.pk] = examiners
            for case in group:
                services.retake_assign_session(actor=staff.clerk, retake=made(case.retake, "补考申请"), session=session)
            services.seats_assign(actor=staff.clerk, session=session)
        return session

    def second_batch(self, station: str, cases: list[CasePlan]) -> None:
        """Applied ~10-19, exams in December, scores pending (some entered, not yet confirmed)."""
        if not cases:
            return
        application = self.apply(station, cases, 2, decide=True)
        if not approved(application):
            return
        application = made(application, "鉴定申请")
        for plan, group in self.by_announcement(cases):
            session = self.schedule(application, plan, len(group), D(2020, 12, 5), D(2020, 12, 20))
            if session is None or not self.hold(station, session):
                continue
            for case in group:
                if self.rng.random() < 0.4:
                    self.enter(session, case, self.score(True), self.score(self.rng.random() < 0.8), confirm_on=None)

    def third_batch(self, station: str, cases: list[CasePlan]) -> None:
        """Applied ~10-27: exams scheduled for the last days of the year, or not yet approved."""
        if not cases:
            return
        undecided = station in UNDECIDED_APPLICATION_AT
        application = self.apply(station, cases, 3, decide=None if undecided else True)
        if not approved(application):
            return
        application = made(application, "鉴定申请")
        for plan, group in self.by_announcement(cases):
            self.schedule(application, plan, len(group), D(2020, 12, 26), YEAR_END)

    def run_station(self, station: str) -> None:
        cases = sorted(
            (c for c in self.cases if c.station == station and c.registration_date and c.candidate),
            key=lambda c: (c.registration_date, made(c.candidate, "考生").id_number),
        )
        for case in cases:
            self.early_steps(case)
        self.september_batch(station, [c for c in cases if c.target in SEPTEMBER])
        returned = [c for c in cases if c.target == CONSENTED and station in RETURNED_APPLICATION_AT]
        if returned:
            self.apply(station, returned, 0, decide=False)
        first = [c for c in cases if c.target in FIRST_BATCH]
        application = self.first_batch(station, first)
        if application:
            self.retakes(station, application, [c for c in first if c.target in FIRST_FAIL])
        self.second_batch(station, [c for c in cases if c.target == EXAMINED])
        self.third_batch(station, [c for c in cases if c.target == APPLIED])

    def run(self) -> DemoResult:
        self.plan_cases()
        self.create_candidates()
        self.publish_announcements()
        for station in STATION_CODES:
            self.run_station(station)
        return DemoResult(
            created=True,
            candidates=sum(1 for c in self.cases if c.candidate),
            announcements=len(self.announcements),
            registrations=sum(1 for c in self.cases if c.registration),
        )


def approved(application: AppraisalApplication | None) -> bool:
    return application is not None and application.status == AppraisalApplication.Status.APPROVED


def consent_scan(registration: Registration) -> ContentFile:
    """The station's scan of the signed 职业技能鉴定自愿书: in the demo, the form the back
    office prints for the registration (certificates.documents), filled in."""
    return ContentFile(documents.consent_form_pdf(registration), name="自愿书.pdf")
