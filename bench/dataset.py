"""The bench databases: one realistic 2020 season, built once with COPY and reused.

    .venv/bin/python bench/dataset.py --size 1000000          # jianding_bench (built once)
    .venv/bin/python bench/dataset.py --size 10000            # jianding_bench_10k
    .venv/bin/python bench/dataset.py --size 1000 --rebuild   # any size; --check re-runs the self-check

``ensure(size, name)`` returns the database URL, building it first if it is missing,
incomplete or of an older ``DATASET_VERSION`` (a marker table, ``bench_dataset``, holds the
size, the version, the build time and the ``facts`` the benchmarks need: which users to act
as, which people to search for). The build runs in its own process, under a PostgreSQL
advisory lock, so two benchmarks asking for the same database at once build it once.

What one season holds, for ``size`` registrations (``size`` ≥ 10,000: 2,000 stations):

- the catalog (``catalog_load``); a guidance centre per province (``B350000`` Fujian,
  ``B430000`` Hunan) and per city (``B350100`` …), stations spread over the cities by
  population, their sizes log-normal (a few big stations, many small ones);
- staff with e-mail addresses: a clerk and two examiners per station, three officers and
  two supervisors per province centre, two officers and a supervisor per city centre;
- each station authorised for 4–9 of the Fujian annex's 42 occupations, an announcement
  per occupation and level (五级 most, 四级, some 三级) published May–July;
- candidates with common surnames (weighted, more 陈林黄 in Fujian, 刘李 in Hunan), one or
  two given characters (about 18% two-character names), valid resident ID numbers (county
  codes of the catalog's regions from GB/T 2260, birth dates 1960–2004, the sequence's
  parity by sex, the GB 11643 check digit ``candidates.validators`` checks with), mobile
  numbers, education and years in the trade that meet the level's application conditions;
  about 5% register twice (another occupation, the same station);
- registrations dated 2020-05-11 … 2020-09-30, thicker towards the cut-off, entered the same
  day; statuses as they stand at the end of 2020 (registered 10%, eligible 10%, ineligible
  2%, consented 12%, applied 15%, examined 8%, passed 20%, failed 6%, retake 2%, closed 3%,
  withdrawn with refund 12%), each with the records its status implies: eligibility
  reviews, consent forms (with a scan path), appraisal applications (approved or
  submitted), exam and retake sessions (October–December), confirmed and published results,
  retakes, refunds;
- about 12% certificates (issued by the station's city centre in approved issuance batches
  after the results' publicity, numbered like ``certificates.services.certificate_number``),
  with issuance items and the number counters; their consent forms archived;
- the history (simple_history "+" rows, ID numbers masked and their keyed digest, as
  ``kit.privacy.history_value`` writes them) of candidates, registrations and certificates.

Big tables go in with ``COPY`` (secondary indexes dropped during the load and built after,
foreign keys checked afterwards by one anti-join each), then ``VACUUM ANALYZE``. A self-check
runs ``full_clean()`` on a sample of every loaded model and counts dangling foreign keys.
"""

from __future__ import annotations

import argparse
import bisect
import datetime
import hashlib
import itertools
import json
import os
import random
import subprocess
import sys
import time
import zlib
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, database_url, ensure_database

DATASET_VERSION = 2
D = datetime.date
CST = datetime.timezone(datetime.timedelta(hours=8))  # Asia/Shanghai has had no DST since 1991
BUSINESS_DATE = D(2020, 12, 31)  # the season as it stands at the end of 2020
SEASON_START = D(2020, 5, 11)
SEASON_END = D(2020, 9, 30)
MARKER = "bench_dataset"
NAMES = {1_000_000: "jianding_bench", 10_000: "jianding_bench_10k"}
PASSWORD = "jianding-bench"
EMAIL_DOMAIN = "bench.example.com"


def name_for(size: int) -> str:
    """The database that holds a dataset of ``size`` registrations."""
    return NAMES.get(size, f"jianding_bench_{size}")


# --- the marker ---------------------------------------------------------------------------------


def _connect(url: str, **kwargs: Any):
    import psycopg

    return psycopg.connect(url.replace("postgres://", "postgresql://", 1), **kwargs)


def marker(url: str) -> dict | None:
    """The dataset's marker row (size, version, facts, build seconds), or None if the
    database does not exist or holds no complete dataset."""
    import psycopg

    try:
        with _connect(url) as conn:
            if not conn.execute("SELECT to_regclass(%s)", [MARKER]).fetchone()[0]:
                return None
            row = conn.execute(f"SELECT size, version, facts, seconds, built_at FROM {MARKER}").fetchone()
    except psycopg.OperationalError:
        return None
    if row is None:
        return None
    size, version, facts, seconds, built_at = row
    return {"size": size, "version": version, "facts": facts, "seconds": seconds, "built_at": built_at}


def facts(url: str) -> dict:
    """What the benchmarks need to know of a built dataset (users by role, people to search)."""
    found = marker(url)
    if found is None:
        raise RuntimeError(f"{url} holds no bench dataset: call dataset.ensure() first")
    return found["facts"]


def ensure(size: int, name: str | None = None, *, quiet: bool = False) -> str:
    """The URL of a database holding a complete dataset of ``size`` registrations, built
    (in a separate process, once) if needed. Safe to call from a process whose Django is
    set up on another database: nothing is imported here but psycopg."""
    name = name or name_for(size)
    url = database_url(name)
    found = marker(url)
    if found and found["size"] == size and found["version"] == DATASET_VERSION:
        if _unapplied_migrations(url):
            _migrate(url, name, quiet=quiet)
        return url
    command = [sys.executable, str(Path(__file__).resolve()), "--size", str(size), "--name", name]
    if not quiet:
        print(f"building the bench dataset {name} ({size:,} registrations) …", file=sys.stderr, flush=True)
    subprocess.run(command, check=True, cwd=ROOT, stdout=sys.stderr if not quiet else subprocess.DEVNULL)
    return url


def _unapplied_migrations(url: str) -> list[str]:
    """The project's migrations (files under ``<app>/migrations``) the dataset has not applied:
    a dataset built before a new index is brought up to date, not measured without it."""
    on_disk = {(path.parent.parent.name, path.stem) for path in ROOT.glob("*/migrations/[0-9]*.py")}
    with _connect(url) as conn:
        applied = set(conn.execute("SELECT app, name FROM django_migrations").fetchall())
    return sorted(f"{app}.{migration}" for app, migration in on_disk - applied)


def _migrate(url: str, name: str, *, quiet: bool) -> None:
    """``manage.py migrate`` on the dataset, once (under the builder's lock), then ANALYZE."""
    with _connect(database_url("postgres"), autocommit=True) as lock:
        lock.execute("SELECT pg_advisory_lock(%s)", [_lock_key(name)])
        missing = _unapplied_migrations(url)
        if not missing:
            return
        if not quiet:
            print(f"migrating the bench dataset {name}: {', '.join(missing)}", file=sys.stderr, flush=True)
        environment = {**os.environ, "DATABASE_URL": url}
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "migrate", "--no-input", "-v", "0"],
            check=True,
            cwd=ROOT,
            env=environment,
            stdout=sys.stderr if not quiet else subprocess.DEVNULL,
        )
        with _connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE")


def scratch_copy(size: int, copy_name: str, *, wait: float = 600.0) -> str:
    """A fresh copy of the dataset (``CREATE DATABASE … TEMPLATE``), for benchmarks that
    change data (issuing certificates, sweeping reminders): the shared dataset stays as
    built. The old copy, if any, is dropped first. PostgreSQL copies a template only while
    nobody is connected to it: this waits (up to ``wait`` seconds) for other benchmarks to
    let go rather than cutting them off."""
    import psycopg

    source = name_for(size)
    ensure(size, source)
    admin = database_url("postgres")
    deadline = time.monotonic() + wait
    with _connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{copy_name}" WITH (FORCE)')
        while True:
            try:
                conn.execute(f'CREATE DATABASE "{copy_name}" TEMPLATE "{source}"')
                break
            except psycopg.errors.ObjectInUse:
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)
    return database_url(copy_name)


def _lock_key(name: str) -> int:
    return zlib.crc32(f"jianding-bench:{name}".encode()) & 0x7FFFFFFF


# --- realistic people ---------------------------------------------------------------------------

# The most common surnames (per cent of the population, 2020 census, rounded).
SURNAMES = (
    "王7.1 李7.0 张6.8 刘5.4 陈4.6 杨3.1 黄2.6 赵2.3 吴2.0 周1.9 徐1.5 孙1.5 马1.3 朱1.3 胡1.2 郭1.2 何1.2 "
    "林1.1 罗1.0 高1.0 郑0.9 梁0.9 谢0.8 宋0.7 唐0.7 许0.7 韩0.7 冯0.6 邓0.6 曹0.6 彭0.6 曾0.6 肖0.5 田0.5 "
    "董0.5 袁0.5 潘0.4 于0.4 蒋0.4 蔡0.4 余0.4 杜0.4 叶0.4 程0.4 苏0.3 魏0.3 吕0.3 丁0.3 任0.3 沈0.3 姚0.3 "
    "卢0.3 姜0.3 崔0.3 钟0.3 谭0.3 陆0.3 汪0.3 范0.3 金0.3 石0.3 廖0.3 贾0.3 夏0.3 韦0.2 付0.2 方0.2 白0.2 "
    "邹0.2 孟0.2 熊0.2 秦0.2 邱0.2 江0.2 尹0.2 薛0.2 闫0.2 段0.2 雷0.2 侯0.2 龙0.2 史0.2 陶0.2 黎0.2 贺0.2 "
    "顾0.2 毛0.2 郝0.2 龚0.2 邵0.2 万0.2 钱0.2 严0.2 覃0.2 武0.2 戴0.2 莫0.2 孔0.2 向0.2 汤0.2 庄0.1 洪0.1 "
    "詹0.1 柯0.1 游0.1 赖0.1 卓0.1 欧阳0.05 司马0.01"
)
# Regional surnames: more 陈林黄郑 in Fujian, more 刘李彭谭 in Hunan.
REGIONAL = {"35": {"陈": 2.5, "林": 3.0, "黄": 2.0, "郑": 2.0, "吴": 1.5, "庄": 3.0, "洪": 3.0, "柯": 3.0},
            "43": {"刘": 1.5, "李": 1.3, "彭": 2.0, "谭": 3.0, "贺": 2.0, "龙": 2.0, "向": 2.0}}  # fmt: skip
MALE_GIVEN = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆旭宁龙林阳建国志文海东峰亮成新兵金春永德荣祥伦"
FEMALE_GIVEN = "芳娜敏静丽艳娟霞秀英玲桂兰萍红燕琳婷雪慧颖倩洁晶丹蓉梅莉琴云凤佳欣怡悦晓雅琪梦"
TWO_CHARACTER_SHARE = 0.18
MOBILE_PREFIXES = [*range(130, 140), *range(150, 154), *range(155, 160), *range(180, 190), 166, 173, 176, 177, 199]

# Stations' trades, for their names.
TRADES = [
    "第一职业技能鉴定站", "第二职业技能鉴定站", "技师学院职业技能鉴定所", "高级技工学校职业技能鉴定所",
    "餐饮行业职业技能鉴定站", "建筑行业职业技能鉴定站", "机电行业职业技能鉴定所", "美容美发职业技能鉴定所",
    "家政服务职业技能鉴定站", "职业中专学校职业技能鉴定所", "人力资源市场职业技能鉴定站", "交通运输职业技能鉴定站",
    "电力行业职业技能鉴定站", "化工行业职业技能鉴定站", "轻工行业职业技能鉴定站", "商业职业技能鉴定站",
]  # fmt: skip
# Rough population weights of the cities (millions), for stations and candidates.
CITY_WEIGHTS = {
    "350100": 8.3, "350200": 5.2, "350300": 3.2, "350400": 2.5, "350500": 8.8, "350600": 5.1, "350700": 2.7,
    "350800": 2.7, "350900": 3.1, "430100": 10.0, "430200": 3.9, "430300": 2.7, "430400": 6.6, "430500": 6.6,
    "430600": 5.1, "430700": 5.3, "430800": 1.5, "430900": 3.9, "431000": 4.7, "431100": 5.3, "431200": 4.6,
    "431300": 3.8, "433100": 2.5,
}  # fmt: skip

# Status at the end of 2020: (status, per cent).
STATUSES = [
    ("registered", 10), ("eligible", 10), ("ineligible", 2), ("consented", 12), ("applied", 15), ("examined", 8),
    ("passed", 20), ("failed", 6), ("retake", 2), ("closed", 3), ("withdrawn", 12),
]  # fmt: skip
CERTIFIED_SHARE = 0.12  # of all registrations
LEVEL_WEIGHTS = {"5": 60, "4": 30, "3": 10}
EDUCATION = [("junior", 30), ("senior", 35), ("college", 20), ("bachelor", 12), ("postgraduate", 1), ("", 2)]


def _weighted(pairs: list[tuple[Any, float]]) -> tuple[list[Any], list[float]]:
    values = [v for v, _ in pairs]
    cumulative = list(itertools.accumulate(w for _, w in pairs))
    return values, cumulative


def _pick(rng: random.Random, table: tuple[list[Any], list[float]]) -> Any:
    values, cumulative = table
    return values[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def _surname_tables() -> dict[str, tuple[list[str], list[float]]]:
    base = []
    for item in SURNAMES.split():
        name = item.rstrip("0123456789.")
        base.append((name, float(item[len(name) :])))
    return {province: _weighted([(s, w * boost.get(s, 1.0)) for s, w in base]) for province, boost in REGIONAL.items()}


class PersonMaker:
    """Names, resident ID numbers and mobile numbers, realistic and valid."""

    def __init__(self, rng: random.Random) -> None:
        from candidates.validators import region_code_known

        self.rng = rng
        self.surnames = _surname_tables()
        self.used_ids: set[str] = set()
        self.counties = _county_codes(region_code_known)

    def name(self, province: str, sex: str) -> str:
        rng = self.rng
        pool = MALE_GIVEN if sex == "M" else FEMALE_GIVEN
        surname = _pick(rng, self.surnames.get(province, self.surnames["35"]))
        if rng.random() < TWO_CHARACTER_SHARE:
            return surname + rng.choice(pool)
        return surname + rng.choice(pool) + rng.choice(pool)

    def county(self, city: str, province: str) -> str:
        """Mostly a county of the station's city, some of another city of the province,
        some of another province (people work away from home)."""
        rng = self.rng
        draw = rng.random()
        if draw < 0.78 and self.counties.get(city[:4]):
            return rng.choice(self.counties[city[:4]])
        if draw < 0.92:
            return rng.choice(self.counties[province[:2]])
        return rng.choice(self.counties[rng.choice(["36", "44", "45", "42", "51", "52", "41", "34"])])

    def id_number(self, county: str, birth: datetime.date, sex: str) -> str:
        from candidates.validators import ric  # the check digit the validator checks with

        while True:
            sequence = self.rng.randrange(0, 999)
            if (sequence % 2 == 1) != (sex == "M"):
                sequence += 1
            body = f"{county}{birth:%Y%m%d}{sequence:03d}"
            number = body + ric.calc_check_digit(body + "0")
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def phone(self) -> str:
        return f"{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"


def _county_codes(known) -> dict[str, list[str]]:
    """County-level codes (GB/T 2260, python-stdnum's table) by city prefix (4 digits) and
    by province prefix (2 digits): only codes that exist for people born 1960–2004."""
    import stdnum

    path = Path(stdnum.__file__).parent / "cn" / "loc.dat"
    found: dict[str, list[str]] = defaultdict(list)
    province = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        if not line.startswith(" "):
            province = line.split()[0]
            continue
        code = province + line.split()[0]
        name = line.split('county="', 1)[1].rstrip('"')
        if code.endswith("00") or "市辖区" in name or name.endswith("]县") or name == "县":
            continue
        if known(code, 1960) and known(code, 2004):
            found[code[:4]].append(code)
            found[code[:2]].append(code)
    return dict(found)


# --- COPY ---------------------------------------------------------------------------------------

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES) if ("\\" in value or "\t" in value or "\n" in value) else value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str).translate(_ESCAPES)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    return str(value)


class Table:
    """One model's table for COPY: its columns in order, their defaults, and (optionally)
    its simple_history table written alongside with the values the history model writes."""

    def __init__(self, model: Any, *, with_history: bool = False) -> None:
        from kit import privacy

        self.model = model
        fields = model._meta.concrete_fields
        self.attnames = [f.attname for f in fields]
        self.columns = [f.column for f in fields]
        self.defaults = {f.attname: f.get_default() for f in fields if not f.primary_key}
        self.db_table = model._meta.db_table
        self.rows = 0
        self.history = None
        if with_history:
            history_model = model.history.model
            tracked = [history_model._meta.get_field(a) for a in self.attnames]
            derived = [f for f in history_model._meta.concrete_fields if isinstance(f, privacy.IdNumberDigestField)]
            self.history_fields = tracked + derived
            extra = ["history_id", "history_date", "history_change_reason", "history_type", "history_user_id"]
            known = {f.attname for f in self.history_fields} | set(extra)
            if known != {f.attname for f in history_model._meta.concrete_fields}:
                raise RuntimeError(f"{history_model.__name__} has fields this loader does not know")
            # The fields whose value history_value changes (masked text, the digest); the rest copy as they are.
            self.plain = [not isinstance(f, (privacy._MaskingMixin, privacy.IdNumberDigestField)) for f in tracked]
            self.history = history_model._meta.db_table
            self.history_columns = [f.column for f in self.history_fields] + extra
            self.history_rows = 0

    def render(self, rows: list[dict[str, Any]]) -> str:
        defaults, attnames = self.defaults, self.attnames
        lines = []
        for row in rows:
            lines.append("\t".join(_text(row[a] if a in row else defaults[a]) for a in attnames))
        self.rows += len(rows)
        return "\n".join(lines) + "\n" if lines else ""

    def render_history(self, rows: list[dict[str, Any]], when: Any, user: Any, reason: str) -> str:
        from kit import privacy

        lines = []
        fields, plain, defaults = self.history_fields, self.plain, self.defaults
        n = len(self.attnames)
        for row in rows:
            full = {a: (row[a] if a in row else defaults.get(a)) for a in self.attnames}
            values = [
                full[field.attname] if i < n and plain[i] else privacy.history_value(field, full)
                for i, field in enumerate(fields)
            ]
            self.history_rows += 1
            values += [self.history_rows, when(row), reason, "+", user(row)]
            lines.append("\t".join(_text(v) for v in values))
        return "\n".join(lines) + "\n" if lines else ""


def copy_text(cursor: Any, table: str, columns: list[str], chunks) -> None:
    """COPY pre-rendered text (one string per chunk) into ``table``."""
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for chunk in chunks:
            if chunk:
                copy.write(chunk)


def load(cursor: Any, table: Table, rows: list[dict[str, Any]], *, history=None, batch: int = 20_000) -> None:
    """COPY ``rows`` (dicts by attname, ``id`` set) into the table, and their history rows."""
    copy_text(
        cursor, table.db_table, table.columns, (table.render(rows[i : i + batch]) for i in range(0, len(rows), batch))
    )
    if history is not None and table.history is not None:
        when, user, reason = history
        copy_text(
            cursor,
            table.history,
            table.history_columns,
            (table.render_history(rows[i : i + batch], when, user, reason) for i in range(0, len(rows), batch)),
        )


def _secondary_indexes(cursor: Any, tables: list[str]) -> list[tuple[str, str]]:
    """(name, definition) of each index of the tables that backs no constraint."""
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = to_regclass(quote_ident(i.indexname)))
        """,
        [tables],
    )
    return list(cursor.fetchall())


# --- the build ----------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()

    def lap(self, what: str) -> None:
        now = time.perf_counter()
        print(f"  {what:<58} {now - self.last:7.1f} s", flush=True)
        self.last = now


def _at(day: datetime.date, rng: random.Random, start_hour: int = 9, end_hour: int = 17) -> datetime.datetime:
    seconds = rng.randrange(start_hour * 3600, end_hour * 3600)
    return datetime.datetime.combine(day, datetime.time(seconds // 3600, seconds // 60 % 60, seconds % 60), CST)


def _day_between(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    if last <= first:
        return first
    return first + datetime.timedelta(days=rng.randrange((last - first).days + 1))


def build(size: int, *, seed: int = 2020) -> dict:
    """Fill the (migrated, empty) database Django is set up on. Returns the facts."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from appraisals import rules
    from appraisals.models import (
        AppraisalApplication,
        ConsentForm,
        EligibilityReview,
        ExamAnnouncement,
        ExamResult,
        ExamSession,
        Refund,
        Registration,
        Retake,
    )
    from candidates.models import Candidate
    from catalog import roles
    from catalog.models import (
        EligibilityRoute,
        GuidanceCentre,
        Occupation,
        Region,
        Station,
        StationAuthorisation,
        User,
    )
    from catalog.selectors import RuleBook
    from catalog.services import catalog_load, fujian_annex_names
    from catalog.trace import acting_as
    from certificates.models import VERIFICATION_ALPHABET, Certificate, IssuanceBatch, IssuanceItem, NumberCounter
    from certificates.services import certificate_number

    rng = random.Random(seed)
    clock = Clock()
    with acting_as(None, reason="载入基准测试数据"):
        catalog_load()
    clock.lap("catalog")

    # -- organisation --------------------------------------------------------------------
    n_stations = 2000 if size >= 10_000 else max(12, size // 40)
    cities = list(Region.objects.filter(code__in=CITY_WEIGHTS).select_related("parent").order_by("code"))
    hashed = make_password(PASSWORD)
    groups = {g.name: g for g in Group.objects.all()}
    people = PersonMaker(rng)
    joined = datetime.datetime(2020, 4, 20, 9, tzinfo=CST)

    def staff(username: str, province: str, **where: Any) -> User:
        sex = rng.choice("MF")
        full = people.name(province, sex)
        surname_length = 2 if len(full) == 4 and full[:2] in ("欧阳", "司马") else 1
        return User(
            username=username,
            password=hashed,
            last_name=full[:surname_length],
            first_name=full[surname_length:],
            email=f"{username}@{EMAIL_DOMAIN}",
            phone=people.phone(),
            is_staff=True,
            date_joined=joined,
            **where,
        )

    with transaction.atomic(), acting_as(None, reason="载入基准测试数据"):
        provinces = {}
        for code, name in (("350000", "福建省职业技能鉴定指导中心"), ("430000", "湖南省职业技能鉴定指导中心")):
            provinces[code] = GuidanceCentre.objects.create(
                code=f"B{code}", name=name, level="province", region=Region.objects.get(code=code)
            )
        centres = {
            city.code: GuidanceCentre.objects.create(
                code=f"B{city.code}",
                name=f"{city.name}职业技能鉴定指导中心",
                level="city",
                region=city,
                parent=provinces[city.parent.code],
            )
            for city in cities
        }
        city_table = _weighted([(c, CITY_WEIGHTS[c.code]) for c in cities])
        station_cities = sorted((_pick(rng, city_table) for _ in range(n_stations)), key=lambda c: c.code)
        per_city: dict[str, int] = defaultdict(int)
        stations = []
        for city in station_cities:
            per_city[city.code] += 1
            n = per_city[city.code]
            trade = TRADES[(n - 1) % len(TRADES)]
            suffix = "" if n <= len(TRADES) else f"（第{(n - 1) // len(TRADES) + 1}分站）"
            stations.append(
                Station(
                    code=f"{city.code[:4]}-{n:03d}",
                    name=f"{city.name}{trade}{suffix}",
                    region=city,
                    centre=centres[city.code],
                    address=f"{city.name}{rng.choice('东南西北中')}路{rng.randrange(1, 400)}号",
                    phone=f"0{area_code(city)}-{rng.randrange(10**7):07d}",
                )
            )
        stations = Station.objects.bulk_create(stations)
        users: list[tuple[User, str]] = []
        for s in stations:
            province = s.region.parent.code
            users.append((staff(f"clerk_{s.code}", province, station=s), roles.STATION_CLERK))
            for k in (1, 2):
                users.append((staff(f"examiner_{s.code}_{k}", province, station=s), roles.EXAMINER))
        for centre in [*provinces.values(), *centres.values()]:
            province = centre.region.code if centre.level == "province" else centre.region.parent.code
            officers, supervisors = (3, 2) if centre.level == "province" else (2, 1)
            for k in range(1, officers + 1):
                users.append((staff(f"officer_{centre.code}_{k}", province, centre=centre), roles.CENTRE_OFFICER))
            for k in range(1, supervisors + 1):
                users.append((staff(f"supervisor_{centre.code}_{k}", province, centre=centre), roles.SUPERVISOR))
        created = User.objects.bulk_create([u for u, _ in users])
        User.groups.through.objects.bulk_create(
            [
                User.groups.through(user_id=u.pk, group_id=groups[role].pk)
                for u, (_, role) in zip(created, users, strict=True)
            ]
        )
        by_name = {u.username: u for u in created}
        clerk = {s.pk: by_name[f"clerk_{s.code}"] for s in stations}
        examiners = {s.pk: (by_name[f"examiner_{s.code}_1"], by_name[f"examiner_{s.code}_2"]) for s in stations}
        officers = {c.pk: [by_name[f"officer_{c.code}_{k}"] for k in (1, 2)] for c in centres.values()}
        for p in provinces.values():
            officers[p.pk] = [by_name[f"officer_{p.code}_{k}"] for k in (1, 2, 3)]

        # Authorisations and announcements.
        occupations = list(Occupation.objects.filter(name__in=fujian_annex_names()).order_by("annex_position"))
        occupation_weights = _weighted(
            [(o, 1.0 / (1 + i) ** 0.7) for i, o in enumerate(rng.sample(occupations, len(occupations)))]
        )
        authorisations = []
        announcements = []
        for s in stations:
            chosen: dict[int, Occupation] = {}
            target = rng.randrange(4, 10)
            while len(chosen) < target:
                o = _pick(rng, occupation_weights)
                chosen[o.pk] = o
            officer = officers[s.centre_id][0]
            for o in chosen.values():
                top = "3" if rng.random() < 0.35 else "4"
                levels = "".join(level for level in "543" if level >= top and level in o.levels)
                authorisations.append(
                    StationAuthorisation(
                        station=s,
                        occupation=o,
                        levels=levels,
                        valid_from=D(2019, 1, 1),
                        document=f"{s.region.name[:2]}人社鉴〔2018〕{rng.randrange(10, 90)}号",
                        granted_on=D(2018, 12, rng.randrange(10, 28)),
                        granted_by=officer,
                    )
                )
                for level in levels:
                    if level == "3" and rng.random() < 0.5:
                        continue
                    fee = {"5": 220, "4": 300, "3": 420}[level] + 10 * rng.randrange(-3, 4)
                    announcements.append(
                        ExamAnnouncement(
                            station=s,
                            occupation=o,
                            level=level,
                            title=f"2020年{o.name}（{dict(LEVEL_LABELS)[level]}）职业技能鉴定考试公告",
                            publish_date=_day_between(rng, D(2020, 5, 6), D(2020, 7, 31)),
                            fee=Decimal(fee),
                            published_by=clerk[s.pk],
                        )
                    )
        StationAuthorisation.objects.bulk_create(authorisations, batch_size=5000)
        announcements = ExamAnnouncement.objects.bulk_create(announcements, batch_size=5000)
    clock.lap(f"organisation: {len(stations):,} stations, {len(created):,} users, {len(announcements):,} announcements")

    # -- the rules each date must meet ---------------------------------------------------
    book = RuleBook()
    last_day: dict[tuple[int, int], datetime.date] = {}
    for city in cities:
        for o in occupations:
            day = SEASON_END
            while rules.registration_window(rulebook=book, occupation=o, region=city, day=day):
                day -= datetime.timedelta(days=1)
            last_day[(o.pk, city.pk)] = day
    routes = {}
    for level, years, prior in (("5", 1, ""), ("4", 6, ""), ("3", 5, "4")):
        routes[level] = EligibilityRoute.objects.get(
            occupation=None, level=level, min_years=years, prior_level=prior
        ).pk

    # -- registrations and their people --------------------------------------------------
    station_weights = [
        rng.lognormvariate(0, 0.9) * CITY_WEIGHTS[s.region.code] / per_city[s.region.code] for s in stations
    ]
    station_table = (stations, list(itertools.accumulate(station_weights)))
    by_station: dict[int, list[ExamAnnouncement]] = defaultdict(list)
    for a in announcements:
        by_station[a.station_id].append(a)
    level_tables = {s.pk: _weighted([(a, LEVEL_WEIGHTS[a.level]) for a in by_station[s.pk]]) for s in stations}
    status_table = _weighted(STATUSES)
    education_table = _weighted(EDUCATION)
    candidates: list[dict[str, Any]] = []
    registrations: list[dict[str, Any]] = []
    recent: dict[int, list[int]] = defaultdict(list)  # station → candidate indexes that may register again
    registered: set[tuple[int, int]] = set()
    for i in range(size):
        s = _pick(rng, station_table)
        a = _pick(rng, level_tables[s.pk])
        province = s.region.parent.code
        candidate = None
        if recent[s.pk] and rng.random() < 0.05:
            maybe = rng.choice(recent[s.pk])
            if (maybe, a.pk) not in registered and a.level >= candidates[maybe]["_level"]:
                candidate = maybe
        if candidate is None:
            candidate = len(candidates)
            candidates.append(_candidate(rng, people, s, a.level, province, clerk[s.pk].pk, education_table))
            if len(recent[s.pk]) < 50:
                recent[s.pk].append(candidate)
            else:
                recent[s.pk][rng.randrange(50)] = candidate
        registered.add((candidate, a.pk))
        first = max(SEASON_START, a.publish_date + datetime.timedelta(days=1))
        last = last_day[(a.occupation_id, s.region_id)]
        # Thicker towards the cut-off: the larger of two uniform draws.
        span = max(0, (last - first).days)
        day = first + datetime.timedelta(days=int(span * max(rng.random(), rng.random())))
        if day > last or day < first:
            day = last
        registrations.append(
            {
                "id": i + 1,
                "_candidate": candidate,
                "_announcement": a,
                "_station": s,
                "candidate_id": candidate + 1,
                "announcement_id": a.pk,
                "station_id": s.pk,
                "registration_date": day,
                "fee": a.fee,
                "status": _pick(rng, status_table),
                "registered_by_id": clerk[s.pk].pk,
                "entered_at": _at(day, rng),
            }
        )
        if candidate == len(candidates) - 1 and "_when" not in candidates[candidate]:
            candidates[candidate]["_when"] = registrations[-1]["entered_at"]  # entered with the first registration
        if s.region.code == "350200":  # Xiamen: registration data reported to the municipal centre
            registrations[-1]["reported_at"] = _at(day + datetime.timedelta(days=rng.randrange(1, 4)), rng)
            registrations[-1]["reported_by_id"] = clerk[s.pk].pk
    for index, c in enumerate(candidates):
        c["id"] = index + 1
    del registered, recent
    clock.lap(f"people and registrations generated: {len(candidates):,} candidates, {size:,} registrations")

    # -- the case records each status implies --------------------------------------------
    after_review = {"eligible", "consented", "applied", "examined", "passed", "failed", "retake", "closed"}
    consented = after_review - {"eligible"}
    examined = {"examined", "passed", "failed", "retake", "closed"}
    reviews, consents, refunds, retakes, results = [], [], [], [], []
    applications: dict[tuple[int, int], AppraisalApplication] = {}
    sessions: dict[tuple, ExamSession] = {}
    session_plan: dict[tuple, list[dict]] = defaultdict(list)
    for r in registrations:
        status, s = r["status"], r["_station"]
        day = r["registration_date"]
        review_day = day + datetime.timedelta(days=rng.randrange(1, 11))
        if status in after_review or (status == "withdrawn" and rng.random() < 0.5) or status == "ineligible":
            passed = status != "ineligible"
            reviews.append(
                {
                    "registration_id": r["id"],
                    "review_date": review_day,
                    "passed": passed,
                    "matched_route_id": routes[r["_announcement"].level] if passed else None,
                    "findings": "" if passed else rng.choice(INELIGIBLE_FINDINGS),
                    "reviewer_id": clerk[s.pk].pk,
                }
            )
        if status in consented:
            signed = review_day + datetime.timedelta(days=rng.randrange(0, 8))
            r["_consent"] = len(consents)
            consents.append(
                {
                    "registration_id": r["id"],
                    "station_id": s.pk,
                    "signed_date": signed,
                    "scan": f"consent/{s.code}/{r['id']}/自愿书.pdf" if rng.random() < 0.97 else "",
                    "received_by_id": clerk[s.pk].pk,
                    "entered_at": _at(signed, rng),
                }
            )
        if status == "withdrawn":
            refund_day = _day_between(rng, max(day, D(2020, 10, 1)), D(2020, 10, 30))
            kind = _pick(rng, _weighted([("after_cutoff", 70), ("personal", 20), ("other", 10)]))
            confirmed = rng.random() < 0.8
            refunds.append(
                {
                    "registration_id": r["id"],
                    "amount": r["fee"],
                    "refund_date": refund_day,
                    "method": _pick(rng, _weighted([("original", 60), ("transfer", 30), ("cash", 10)])),
                    "reason_kind": kind,
                    "reason": "本人工作调动，无法按期参加鉴定" if kind == "other" else "",
                    "recorded_by_id": clerk[s.pk].pk,
                    "confirmed_by_id": officers[s.centre_id][0].pk if confirmed else None,
                    "confirmed_at": _at(refund_day + datetime.timedelta(days=2), rng) if confirmed else None,
                }
            )
        if status == "applied" or status in examined:
            approved = status in examined or rng.random() < 0.5
            r["_application"] = (s.pk, 1 if approved else 2)
        if status in examined:
            a = r["_announcement"]
            session_plan[(s.pk, a.occupation_id, a.level, "exam")].append(r)

    # Applications: one approved and one submitted (waiting) per station that needs them.
    with transaction.atomic(), acting_as(None, reason="载入基准测试数据"):
        for r in registrations:
            key = r.get("_application")
            if key and key not in applications:
                s = r["_station"]
                if key[1] == 1:
                    submitted = _day_between(rng, D(2020, 10, 8), D(2020, 10, 16))
                    decided = submitted + datetime.timedelta(days=rng.randrange(2, 6))
                    applications[key] = AppraisalApplication(
                        station=s,
                        centre=s.centre,
                        submitted_date=submitted,
                        submitted_by=clerk[s.pk],
                        status="approved",
                        decided_date=decided,
                        decided_by=officers[s.centre_id][0],
                        entered_at=_at(submitted, rng),
                    )
                else:
                    submitted = _day_between(rng, D(2020, 10, 20), D(2020, 10, 30))
                    applications[key] = AppraisalApplication(
                        station=s, centre=s.centre, submitted_date=submitted, submitted_by=clerk[s.pk],
                        entered_at=_at(submitted, rng),
                    )  # fmt: skip
        AppraisalApplication.objects.bulk_create(list(applications.values()), batch_size=5000)
        for r in registrations:
            key = r.pop("_application", None)
            if key:
                r["application_id"] = applications[key].pk
        # Exam sessions, after the approval; results published a week later, publicity 7 days.
        for (station_id, occupation_id, level, _), members in session_plan.items():
            application = applications[(station_id, 1)]
            s = members[0]["_station"]
            first = application.decided_date + datetime.timedelta(days=7)
            day = _day_between(rng, first, D(2020, 12, 5))
            morning = rng.random() < 0.6
            sessions[(station_id, occupation_id, level, "exam")] = ExamSession(
                application=application,
                occupation_id=occupation_id,
                level=level,
                date=day,
                start_time=datetime.time(9 if morning else 14),
                end_time=datetime.time(11 if morning else 17),
                place=f"{s.name}考点",
                region_id=s.region_id,
                held=True,
                staff_before_registry="",
                entered_at=_at(application.decided_date, rng),
            )
        # Retake sessions (the failed parts), mid-December.
        for (station_id, occupation_id, level, _), members in list(session_plan.items()):
            if any(m["status"] in ("closed", "passed") for m in members):
                s = members[0]["_station"]
                day = _day_between(rng, D(2020, 12, 12), D(2020, 12, 22))
                sessions[(station_id, occupation_id, level, "retake")] = ExamSession(
                    application=applications[(station_id, 1)],
                    kind="retake",
                    occupation_id=occupation_id,
                    level=level,
                    date=day,
                    start_time=datetime.time(9),
                    end_time=datetime.time(11),
                    place=f"{s.name}考点",
                    region_id=s.region_id,
                    held=True,
                    entered_at=_at(day - datetime.timedelta(days=10), rng),
                )
        ExamSession.objects.bulk_create(list(sessions.values()), batch_size=5000)
    clock.lap(f"{len(applications):,} applications, {len(sessions):,} sessions")

    # Results, retakes, certificates.
    def scores(passing: bool) -> tuple[Decimal, Decimal]:
        if passing:
            return Decimal(rng.randrange(600, 990)) / 10, Decimal(rng.randrange(600, 980)) / 10
        low = Decimal(rng.randrange(150, 595)) / 10
        other = Decimal(rng.randrange(300, 950)) / 10
        return (low, other) if rng.random() < 0.5 else (other, low)

    def result(r: dict, session: ExamSession, attempt: int, passing: bool | None) -> dict:
        ex1, ex2 = examiners[r["station_id"]]
        entered = _at(session.date + datetime.timedelta(days=rng.randrange(1, 3)), rng)
        theory, practical = scores(bool(passing))
        row = {
            "registration_id": r["id"],
            "station_id": r["station_id"],
            "session_id": session.pk,
            "attempt": attempt,
            "theory_score": theory,
            "practical_score": practical,
            "passed": None,
            "entered_by_id": ex1.pk,
            "entered_at": entered,
        }
        if passing is not None:  # confirmed by the second examiner, then published for 7 days
            published = session.date + datetime.timedelta(days=rng.randrange(5, 9))
            row.update(
                passed=passing,
                confirmed_by_id=ex2.pk,
                confirmed_at=entered + datetime.timedelta(days=1),
                published_on=published,
                publicity_last_day=published + datetime.timedelta(days=6),
            )
        row["id"] = len(results) + 1
        results.append(row)
        return row

    passing_results: dict[int, dict] = {}
    for (station_id, occupation_id, level, _), members in session_plan.items():
        first = sessions[(station_id, occupation_id, level, "exam")]
        retake_session = sessions.get((station_id, occupation_id, level, "retake"))
        for r in members:
            status = r["status"]
            if status == "examined":
                if rng.random() < 0.4:
                    result(r, first, 1, None)
            elif status == "passed":
                if retake_session is not None and rng.random() < 0.05:
                    failed = result(r, first, 1, False)
                    parts = "theory" if failed["theory_score"] < 60 else "practical"
                    retakes.append(_retake(r, failed, parts, retake_session, clerk))
                    result(r, retake_session, 2, True)  # passed at the retake: not certified yet
                else:
                    passing_results[r["id"]] = result(r, first, 1, True)
            elif status in ("failed", "retake", "closed"):
                failed = result(r, first, 1, False)
                parts = "theory" if failed["theory_score"] < 60 else "practical"
                if status == "retake":
                    retakes.append(_retake(r, failed, parts, None, clerk))
                elif status == "closed" and retake_session is not None and rng.random() < 0.5:
                    retakes.append(_retake(r, failed, parts, retake_session, clerk))
                    result(r, retake_session, 2, False)

    # Certificates: the station's city centre issues, in batches, after the publicity.
    wanted = int(size * CERTIFIED_SHARE)
    eligible = [r for r in registrations if r["id"] in passing_results and consents[r["_consent"]]["scan"]]
    rng.shuffle(eligible)
    chosen = sorted(eligible[:wanted], key=lambda r: r["id"])
    issue_days: dict[int, list[datetime.date]] = {}
    for centre in centres.values():
        start = D(2020, 11, 2) + datetime.timedelta(days=rng.randrange(0, 5))
        issue_days[centre.pk] = [start + datetime.timedelta(days=k) for k in range(0, 60, rng.randrange(3, 8))]
    batches: dict[tuple[int, datetime.date], IssuanceBatch] = {}
    certificates, items = [], []
    codes: set[str] = set()
    sequence: dict[int, int] = defaultdict(int)
    plan = []
    for r in chosen:
        s = r["_station"]
        after = passing_results[r["id"]]["publicity_last_day"] + datetime.timedelta(days=rng.randrange(1, 12))
        days = [d for d in issue_days[s.centre_id] if d >= after and d <= BUSINESS_DATE]
        if not days:
            continue
        plan.append((days[0], r))
    plan.sort(key=lambda p: (p[0], p[1]["id"]))
    with transaction.atomic(), acting_as(None, reason="载入基准测试数据"):
        for day, r in plan:
            centre_id = r["_station"].centre_id
            if (centre_id, day) not in batches:
                preparer, approver = officers[centre_id]
                printed = day + datetime.timedelta(days=2)
                batches[(centre_id, day)] = IssuanceBatch(
                    centre_id=centre_id,
                    status="approved",
                    prepared_by=preparer,
                    prepared_on=day - datetime.timedelta(days=rng.randrange(1, 4)),
                    approved_by=approver,
                    issue_date=day,
                    printed_by=preparer if printed <= BUSINESS_DATE else None,
                    printed_on=printed if printed <= BUSINESS_DATE else None,
                    handed_out_by=preparer if printed + datetime.timedelta(days=5) <= BUSINESS_DATE else None,
                    handed_out_on=printed + datetime.timedelta(days=5)
                    if printed + datetime.timedelta(days=5) <= BUSINESS_DATE
                    else None,
                )
        IssuanceBatch.objects.bulk_create(list(batches.values()), batch_size=2000)
        centre_objects = {c.pk: c for c in centres.values()}
        for day, r in plan:
            centre_id = r["_station"].centre_id
            batch = batches[(centre_id, day)]
            candidate = candidates[r["_candidate"]]
            sequence[centre_id] += 1
            while True:
                code = "".join(rng.choice(VERIFICATION_ALPHABET) for _ in range(12))
                if code not in codes:
                    codes.add(code)
                    break
            certificate = {
                "id": len(certificates) + 1,
                "number": certificate_number(centre_objects[centre_id], day.year, sequence[centre_id]),
                "centre_id": centre_id,
                "year": day.year,
                "sequence": sequence[centre_id],
                "registration_id": r["id"],
                "station_id": r["_station"].pk,
                "result_id": passing_results[r["id"]]["id"],
                "candidate_id": candidate["id"],
                "holder_name": candidate["name"],
                "holder_id_number": candidate["id_number"],
                "occupation_id": r["_announcement"].occupation_id,
                "level": r["_announcement"].level,
                "issue_date": day,
                "issued_by_id": batch.approved_by_id,
                "batch_id": batch.pk,
                "verification_code": code,
                "status": "valid",
                "_when": _at(day, rng),
            }
            certificates.append(certificate)
            items.append({"id": len(items) + 1, "batch_id": batch.pk, "registration_id": r["id"], "status": "issued",
                          "certificate_id": certificate["id"], "note": ""})  # fmt: skip
            consent = consents[r["_consent"]]
            consent.update(
                archived_at=_at(day, rng),
                archived_by_id=batch.approved_by_id,
                scan_sha256=hashlib.sha256(consent["scan"].encode()).hexdigest(),
            )
        NumberCounter.objects.bulk_create(
            [NumberCounter(centre_id=c, year=2020, kind="certificate", last_number=n) for c, n in sequence.items()]
        )
    clock.lap(f"{len(results):,} results, {len(certificates):,} certificates in {len(batches):,} batches planned")

    # -- COPY ----------------------------------------------------------------------------
    for index, row in enumerate(reviews):
        row["id"] = index + 1
    for index, row in enumerate(consents):
        row["id"] = index + 1
    for index, row in enumerate(refunds):
        row["id"] = index + 1
    for index, row in enumerate(retakes):
        row["id"] = index + 1
    tables = {
        "candidate": Table(Candidate, with_history=True),
        "registration": Table(Registration, with_history=True),
        "review": Table(EligibilityReview),
        "consent": Table(ConsentForm),
        "result": Table(ExamResult),
        "retake": Table(Retake),
        "refund": Table(Refund),
        "certificate": Table(Certificate, with_history=True),
        "item": Table(IssuanceItem),
    }
    big = [t.db_table for t in tables.values()] + [t.history for t in tables.values() if t.history]
    reason = "载入基准测试数据"
    with transaction.atomic(), connection.cursor() as cursor:
        # The rows are consistent by construction; the foreign keys are checked afterwards
        # (check_foreign_keys), not row by row by their triggers.
        cursor.execute("SET LOCAL session_replication_role = replica")
        dropped = _secondary_indexes(cursor, big)
        for index_name, _ in dropped:
            cursor.execute(f'DROP INDEX "{index_name}"')
        load(
            cursor,
            tables["candidate"],
            candidates,
            history=(lambda c: c["_when"], lambda c: c["created_by_id"], reason),
        )
        clock.lap("COPY candidates and their history")
        load(
            cursor,
            tables["registration"],
            registrations,
            history=(lambda r: r["entered_at"], lambda r: r["registered_by_id"], reason),
        )
        clock.lap("COPY registrations and their history")
        for key, rows in (("review", reviews), ("consent", consents), ("result", results), ("retake", retakes),
                          ("refund", refunds)):  # fmt: skip
            load(cursor, tables[key], rows)
        clock.lap("COPY reviews, consents, results, retakes, refunds")
        load(
            cursor,
            tables["certificate"],
            certificates,
            history=(lambda c: c["_when"], lambda c: c["issued_by_id"], reason),
        )
        load(cursor, tables["item"], items)
        clock.lap("COPY certificates, their history, issuance items")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _, definition in dropped:
            cursor.execute(definition)
        clock.lap(f"{len(dropped)} secondary indexes rebuilt")
        for t in tables.values():
            for table, rows in ((t.db_table, t.rows), (t.history, getattr(t, "history_rows", 0))):
                if table and rows:
                    cursor.execute(
                        "SELECT setval(pg_get_serial_sequence(%s, %s), %s)", [table, _pk_column(t, table), rows]
                    )
    for table, count in check_foreign_keys(big).items():
        raise RuntimeError(f"{count:,} dangling foreign keys in {table}")
    clock.lap("foreign keys checked")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    clock.lap("VACUUM ANALYZE")

    return _facts(stations, registrations, candidates, clerk, provinces, by_name, certificates)


LEVEL_LABELS = [("5", "五级/初级工"), ("4", "四级/中级工"), ("3", "三级/高级工")]
INELIGIBLE_FINDINGS = [
    "本职业工作年限不足，不符合申报条件",
    "未提供相应职业资格证书，不符合申报条件",
    "申报等级与已有证书等级不衔接",
]


def area_code(city: Any) -> int:
    # Fujian's telephone area codes are 591–599, Hunan's 730–746 (near enough).
    base = 591 if city.code.startswith("35") else 731
    return base + int(city.code[2:4]) - 1


def _pk_column(table: Table, db_table: str) -> str:
    return "history_id" if db_table == table.history else "id"


def _candidate(rng, people: PersonMaker, station, level: str, province: str, clerk_id: int, education_table) -> dict:
    """A person who meets the level's application conditions (the national default routes:
    五级 one year in the trade, 四级 six years, 三级 a 四级 certificate and five years)."""
    sex = "M" if rng.random() < 0.55 else "F"
    minimum = {"5": 1, "4": 6, "3": 5}[level]
    age = max(17 + minimum, min(59, int(rng.triangular(17, 59, 29))))
    birth = D(2020 - age, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365))
    birth = min(birth, D(2004, 4, 30))
    county = people.county(station.region.code, province)
    years = rng.randrange(minimum, max(minimum, min(30, age - 17)) + 1)
    values = {
        "name": people.name(province, sex),
        "id_number": people.id_number(county, birth, sex),
        "birth_date": birth,
        "sex": sex,
        "phone": people.phone(),
        "education": _pick(rng, education_table),
        "years_in_trade": years,
        "diploma": "none",
        "trainee_kind": "none",
        "created_by_id": clerk_id,
        "_level": level,
    }
    if level == "3":
        values.update(
            prior_certificate_level="4",
            prior_certificate_number=f"{rng.randrange(10**13, 10**14)}",
            prior_certificate_date=D(2020 - rng.randrange(6, 12), rng.randrange(1, 13), rng.randrange(1, 28)),
        )
    elif level == "5" and age < 21 and rng.random() < 0.3:
        values.update(
            trainee_kind="school_student",
            school_or_enterprise=f"{station.region.name}职业技术学校",
            training_plan="职业资格证书培养计划",
            expected_finish_date=D(2021, 6, 30),
        )
    return values


def _retake(r: dict, failed: dict, parts: str, session, clerk) -> dict:
    requested = failed["published_on"] + datetime.timedelta(days=3)
    return {
        "registration_id": r["id"],
        "requested_date": requested,
        "parts": parts,
        "session_id": session.pk if session is not None else None,
        "recorded_by_id": clerk[r["station_id"]].pk,
    }


def _facts(stations, registrations, candidates, clerk, provinces, by_name, certificates) -> dict:
    """The users the benchmarks act as and the people they search for: the clerk of the
    busiest Fujian station, an officer and a supervisor of the Fujian provincial centre."""
    counts: dict[int, int] = defaultdict(int)
    for r in registrations:
        counts[r["station_id"]] += 1
    fujian = [s for s in stations if s.region.parent.code == "350000"]
    busiest = max(fujian, key=lambda s: counts[s.pk])
    mine = [candidates[r["_candidate"]] for r in registrations if r["station_id"] == busiest.pk]
    three = next(c for c in mine if len(c["name"]) == 3)
    two = next((c for c in mine if len(c["name"]) == 2), None) or next(c for c in candidates if len(c["name"]) == 2)
    province = provinces["350000"]
    certificate = next((c for c in certificates if c["centre_id"] == busiest.centre_id), None)
    return {
        "users": {
            "clerk": clerk[busiest.pk].username,
            "officer": f"officer_{province.code}_1",
            "supervisor": f"supervisor_{province.code}_1",
        },
        "password": PASSWORD,
        "station": busiest.code,
        "station_registrations": counts[busiest.pk],
        "search": {
            "id_number": three["id_number"],
            "name3": three["name"],
            "name2": two["name"],
            "surname": three["name"][0],
        },
        "certificate": certificate["number"] if certificate else None,
        "registrations": len(registrations),
        "candidates": len(candidates),
        "certificates": len(certificates),
    }


# --- checks -------------------------------------------------------------------------------------


def check_foreign_keys(tables: list[str]) -> dict[str, int]:
    """Dangling foreign keys of the tables (one anti-join per constraint): what the
    triggers would have refused during the load."""
    from django.db import connection

    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, af.attname
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)
            """,
            [tables],
        )
        for table, column, parent, parent_column in cursor.fetchall():
            cursor.execute(
                f'SELECT count(*) FROM {table} t WHERE t."{column}" IS NOT NULL AND NOT EXISTS '
                f'(SELECT 1 FROM {parent} p WHERE p."{parent_column}" = t."{column}")'
            )
            count = cursor.fetchone()[0]
            if count:
                found[f"{table}.{column}"] = count
    return found


def self_check(sample: int = 25, seed: int = 7) -> list[str]:
    """``full_clean()`` on a sample of every model the build wrote (the models' validators,
    ``clean()`` with the notices' date rules, the unique and check constraints), as of the
    business date. Returns the problems found (empty: none)."""
    from django.core.exceptions import ValidationError

    from appraisals.models import (
        AppraisalApplication,
        ConsentForm,
        EligibilityReview,
        ExamAnnouncement,
        ExamResult,
        ExamSession,
        Refund,
        Registration,
        Retake,
    )
    from candidates.models import Candidate
    from catalog.models import GuidanceCentre, Station, StationAuthorisation, User
    from certificates.models import Certificate, IssuanceBatch, IssuanceItem

    rng = random.Random(seed)
    problems = []
    for model in (GuidanceCentre, Station, User, StationAuthorisation, ExamAnnouncement, Candidate, Registration,
                  EligibilityReview, ConsentForm, AppraisalApplication, ExamSession, ExamResult, Retake, Refund,
                  IssuanceBatch, Certificate, IssuanceItem):  # fmt: skip
        top = model._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0
        wanted = {rng.randrange(1, top + 1) for _ in range(sample)} if top else set()
        for obj in model._base_manager.filter(pk__in=wanted):
            try:
                # The file fields hold paths only (no file is written): their existence is not the point.
                obj.full_clean(exclude=["password", "scan", "photo"])
            except ValidationError as error:
                problems.append(f"{model.__name__} #{obj.pk}: {error.message_dict}")
    return problems


# --- entry point --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument(
        "--name", help="database name (default: jianding_bench, jianding_bench_10k, jianding_bench_<size>)"
    )
    parser.add_argument("--rebuild", action="store_true", help="drop and build again even if complete")
    parser.add_argument("--check", action="store_true", help="run the self-check on the built dataset")
    args = parser.parse_args()
    name = args.name or name_for(args.size)
    url = database_url(name)
    os.environ["JIANDING_BUSINESS_DATE"] = BUSINESS_DATE.isoformat()
    admin = database_url("postgres")
    with _connect(admin, autocommit=True) as lock:
        # One builder per dataset: a second one waits, then finds it built.
        lock.execute("SELECT pg_advisory_lock(%s)", [_lock_key(name)])
        found = marker(url)
        current = found and found["size"] == args.size and found["version"] == DATASET_VERSION
        if current and not args.rebuild:
            print(f"{name}: {args.size:,} registrations, version {DATASET_VERSION}, built in {found['seconds']:.0f} s")
        else:
            lock.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            ensure_database(url)
            start = time.perf_counter()
            from common import setup_django

            print(f"building {name}: {args.size:,} registrations")
            setup_django(url)
            print(f"  {'migrated':<58} {time.perf_counter() - start:7.1f} s", flush=True)
            built = build(args.size)
            seconds = time.perf_counter() - start
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute(
                    f"CREATE TABLE {MARKER} (size integer, version integer, facts jsonb, seconds double precision, "
                    "built_at timestamptz DEFAULT now())"
                )
                cursor.execute(
                    f"INSERT INTO {MARKER} (size, version, facts, seconds) VALUES (%s, %s, %s, %s)",
                    [args.size, DATASET_VERSION, json.dumps(built, ensure_ascii=False), seconds],
                )
            print(f"built {name} in {seconds:.0f} s ({_size_of(url)})")
            args.check = True  # a new build is always checked
        if args.check:
            from django.apps import apps

            if not apps.ready:
                from common import setup_django

                setup_django(url)
            problems = self_check()
            print("self-check: " + ("full_clean() passed on every sample" if not problems else "PROBLEMS"))
            for problem in problems[:30]:
                print("  " + problem)
            if problems:
                sys.exit(1)


def _size_of(url: str) -> str:
    with _connect(url) as conn:
        return conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]


if __name__ == "__main__":
    main()
