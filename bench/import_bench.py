"""Registration import benchmark (a measurement, not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jianding_bench \\
        .venv/bin/python bench/import_bench.py --rows 100000

Creates the database if it does not exist, migrates it and loads the catalog, makes a
registration file of ``--rows`` rows (CSV and XLSX, as a clerk would fill the template),
then, in the same run and on the same rows:

1. a plain PostgreSQL ``COPY`` of the rows into the candidate and registration tables
   (no checks, no history): the yardstick;
2. the importer (``appraisals.importing``) on the CSV file, every rule checked, history
   written; SQL statements counted; memory measured (``tracemalloc``, in a second run);
3. the importer on the XLSX file (openpyxl, read-only streaming);
4. the importer on the CSV file with the ORM writer (``bulk_create`` through
   ``TracedQuerySet``) on the first ``--orm-rows`` rows;
5. django-import-export's default row-by-row import (ModelResources, foreign keys by
   widget, ``clean_model_instances``) of the first ``--ie-rows`` rows.

It prints rows per second for each and the ratios. Tables of candidates and registrations
in that database are emptied between runs: never point it at a database you care about.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import math
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADERS = ["姓名", "身份证号", "联系电话", "职业", "等级", "报名日期", "文化程度", "工作年限"]
OCCUPATIONS = ["美发师", "美容师", "保育员", "育婴员", "中式烹调师", "中式面点师"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    if not parts.scheme.startswith("postgres"):
        sys.exit("DATABASE_URL 必须指向 PostgreSQL，例如 postgres://postgres@127.0.0.1:5432/jianding_bench")
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_catalog", stdout=open(os.devnull, "w"))  # noqa: SIM115


def organisation():
    from django.contrib.auth.models import Group

    from appraisals.models import ExamAnnouncement
    from catalog import roles
    from catalog.models import GuidanceCentre, Occupation, Region, Station, User

    xiamen = Region.objects.get(code="350200")
    centre, _ = GuidanceCentre.objects.get_or_create(
        code="BENCH-XM",
        defaults={
            "name": "基准测试指导中心",
            "level": "city",
            "region": xiamen,
            "parent": GuidanceCentre.objects.get_or_create(
                code="BENCH-FJ", defaults={"name": "基准测试省中心", "level": "province", "region": xiamen.parent}
            )[0],
        },
    )
    station, _ = Station.objects.get_or_create(
        code="BENCH01", defaults={"name": "基准测试鉴定站", "region": xiamen, "centre": centre}
    )
    clerk, created = User.objects.get_or_create(username="bench_clerk", defaults={"station": station, "is_staff": True})
    if created:
        clerk.groups.add(Group.objects.get(name=roles.STATION_CLERK))
    for name in OCCUPATIONS:
        occupation = Occupation.objects.get(name=name)
        for level in ("5", "4"):
            ExamAnnouncement.objects.get_or_create(
                station=station,
                occupation=occupation,
                level=level,
                defaults={"title": f"{name}鉴定公告", "publish_date": datetime.date(2020, 9, 1), "fee": Decimal("200")},
            )
    return station, clerk


def id_number(i: int) -> str:
    from stdnum.cn import ric

    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=i // 900)
    body = f"350203{birth:%Y%m%d}{i % 900 + 100:03d}"
    return body + ric.calc_check_digit(body + "0")


def make_rows(n: int) -> list[list]:
    rng = random.Random(2020)
    rows = []
    for i in range(n):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        rows.append(
            [
                name,
                id_number(i),
                f"13{rng.randint(3, 9)}{i:08d}",
                OCCUPATIONS[i % len(OCCUPATIONS)],
                ("五级/初级工", "四级/中级工")[i % 2],
                datetime.date(2020, 9, 1) + datetime.timedelta(days=i % 30),
                ("高中/中专/技校", "大专", "本科", "初中及以下")[i % 4],
                i % 20 + 1,
            ]
        )
    return rows


def write_files(rows: list[list], folder: Path) -> tuple[Path, Path]:
    import openpyxl

    csv_path = folder / "registrations.csv"
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        for row in rows:
            writer.writerow([*row[:5], row[5].isoformat(), *row[6:]])
    xlsx_path = folder / "registrations.xlsx"
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("报名")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)  # the ID number as text, the date as a date cell: as in the template
    book.save(xlsx_path)
    return csv_path, xlsx_path


def reset_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE candidates_candidate, candidates_historicalcandidate, "
            "appraisals_registration, appraisals_historicalregistration CASCADE"
        )


class QueryCounter:
    """Counts every statement Django sends (COPY goes through psycopg and is counted by the writer)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def time_copy(rows: list[list], station, clerk, *, with_registrations: bool = True) -> float:
    """COPY the same rows into the candidate table and (by default) the registration table,
    committed: ids reserved from the sequence, no checks, no history. The tuples are
    prepared before the clock starts."""
    from django.db import connection, transaction

    from appraisals.models import ExamAnnouncement

    found = ExamAnnouncement.objects.filter(station=station).select_related("occupation")
    announcements = {(a.occupation.name, a.level): a.pk for a in found}
    levels = {"五级/初级工": "5", "四级/中级工": "4"}
    education = {"高中/中专/技校": "senior", "大专": "college", "本科": "bachelor", "初中及以下": "junior"}
    people = []
    registrations = []
    for row in rows:
        number = row[1]
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        sex = "M" if int(number[16]) % 2 else "F"
        people.append([row[0], number, birth, sex, row[2], education[row[6]], row[7], "", "", "none", "none", "", ""])
        people[-1].append(clerk.pk)
        registrations.append(
            [announcements[(row[3], levels[row[4]])], station.pk, row[5], Decimal("200"), "registered", clerk.pk]
        )
    reset_tables()
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('candidates_candidate', 'id')) FROM generate_series(1, %s)",
            [len(rows)],
        )
        ids = [r[0] for r in cursor.fetchall()]
        with cursor.copy(
            "COPY candidates_candidate (id, name, id_number, birth_date, sex, phone, education, years_in_trade, "
            "prior_certificate_level, prior_certificate_number, diploma, trainee_kind, school_or_enterprise, "
            "training_plan, created_by_id) FROM STDIN"
        ) as copy:
            for pk, person in zip(ids, people, strict=True):
                copy.write_row([pk, *person])
        if with_registrations:
            with cursor.copy(
                "COPY appraisals_registration (candidate_id, announcement_id, station_id, registration_date, fee, "
                "status, registered_by_id) FROM STDIN"
            ) as copy:
                for pk, registration in zip(ids, registrations, strict=True):
                    copy.write_row([pk, *registration])
    return time.perf_counter() - start


def time_engine(path: Path, station, clerk, *, writer: str = "auto", limit: int | None = None):
    from django.db import connection

    from appraisals.importing import RegistrationImporter, open_table

    reset_tables()
    table = open_table(path)
    rows = table.rows if limit is None else (row for i, row in enumerate(table.rows) if i < limit)
    counter = QueryCounter()
    importer = RegistrationImporter(station=station, actor=clerk, writer=writer)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with connection.execute_wrapper(counter):
        report = importer.run(table.headers, rows, source=table.source, file_name=path.name)
    seconds = time.perf_counter() - start
    table.close()
    rss_growth_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    if not report.ok:
        sys.exit("导入被拒绝：\n" + "\n".join(report.lines()[:20]))
    statements = counter.count + getattr(importer, "statements", 0)
    return report, seconds, statements, rss_growth_kb


def measure_memory(path: Path, station, clerk) -> int:
    from appraisals.importing import import_file

    reset_tables()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    report = import_file(path, station=station, actor=clerk)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert report.ok, report.lines()[:5]
    return peak - baseline


def time_import_export_default(rows: list[list], station) -> float:
    """django-import-export as it comes: one ModelResource per model, foreign keys looked
    up by widget row by row, every instance full_clean()ed, each row in its own savepoint."""
    import tablib
    from import_export import fields, resources, widgets

    from appraisals.models import ExamAnnouncement, Registration
    from candidates.models import Candidate
    from catalog.models import Station

    class CandidateResource(resources.ModelResource):
        class Meta:
            model = Candidate
            fields = ("id_number", "name", "phone", "education", "years_in_trade")
            import_id_fields = ("id_number",)
            clean_model_instances = True

    class RegistrationResource(resources.ModelResource):
        candidate = fields.Field(
            attribute="candidate", column_name="candidate", widget=widgets.ForeignKeyWidget(Candidate, "id_number")
        )
        announcement = fields.Field(
            attribute="announcement", column_name="announcement", widget=widgets.ForeignKeyWidget(ExamAnnouncement)
        )
        station = fields.Field(attribute="station", column_name="station", widget=widgets.ForeignKeyWidget(Station))

        class Meta:
            model = Registration
            fields = ("candidate", "announcement", "station", "registration_date", "fee")
            import_id_fields = ("candidate", "announcement")
            clean_model_instances = True

    found = ExamAnnouncement.objects.filter(station=station).select_related("occupation")
    announcements = {(a.occupation.name, a.level): a for a in found}
    levels = {"五级/初级工": "5", "四级/中级工": "4"}
    education = {"高中/中专/技校": "senior", "大专": "college", "本科": "bachelor", "初中及以下": "junior"}
    people = tablib.Dataset(headers=["id_number", "name", "phone", "education", "years_in_trade"])
    registrations = tablib.Dataset(headers=["candidate", "announcement", "station", "registration_date", "fee"])
    for row in rows:
        people.append([row[1], row[0], row[2], education[row[6]], row[7]])
        announcement = announcements[(row[3], levels[row[4]])]
        registrations.append([row[1], announcement.pk, station.pk, row[5].isoformat(), "200"])
    reset_tables()
    start = time.perf_counter()
    first = CandidateResource().import_data(people, raise_errors=True, use_transactions=True)
    second = RegistrationResource().import_data(registrations, raise_errors=True, use_transactions=True)
    seconds = time.perf_counter() - start
    assert not first.has_validation_errors() and not second.has_validation_errors(), (
        first.invalid_rows[:3],
        second.invalid_rows[:3],
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--ie-rows", type=int, default=5_000, help="rows for django-import-export's default import")
    parser.add_argument("--orm-rows", type=int, default=20_000, help="rows for the importer's ORM writer")
    parser.add_argument("--skip-memory", action="store_true", help="skip the tracemalloc run")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    ensure_database(url)
    setup_django(url)
    from django.db import connection

    from appraisals.importing import BATCH_SIZE

    station, clerk = organisation()
    n = args.rows
    print(f"PostgreSQL {connection.cursor().connection.info.server_version}, {n} rows, batch {BATCH_SIZE}")
    rows = make_rows(n)
    with tempfile.TemporaryDirectory() as folder:
        csv_path, xlsx_path = write_files(rows, Path(folder))
        print(f"files: CSV {csv_path.stat().st_size / 1e6:.1f} MB, XLSX {xlsx_path.stat().st_size / 1e6:.1f} MB")

        results = []
        copy_one_s = time_copy(rows, station, clerk, with_registrations=False)
        copy_s = time_copy(rows, station, clerk)
        results.append(("PostgreSQL COPY (2 tables, no checks, no history)", n, copy_s))
        results.append(("PostgreSQL COPY (candidate table only)", n, copy_one_s))

        _, csv_s, csv_statements, csv_rss = time_engine(csv_path, station, clerk)
        from appraisals.models import Registration
        from candidates.models import Candidate

        assert Registration.objects.count() == n and Registration.history.count() == n
        assert Candidate.history.filter(history_user=clerk).count() == n
        results.append(("importer, CSV (all rules, history)", n, csv_s))

        _, xlsx_s, _, _ = time_engine(xlsx_path, station, clerk)
        results.append(("importer, XLSX (all rules, history)", n, xlsx_s))

        orm_n = min(args.orm_rows, n)
        _, orm_s, orm_statements, _ = time_engine(csv_path, station, clerk, writer="orm", limit=orm_n)
        results.append(("importer, CSV, ORM writer (bulk_create)", orm_n, orm_s))

        ie_n = min(args.ie_rows, n)
        ie_s = time_import_export_default(rows[:ie_n], station)
        results.append(("django-import-export default (row by row)", ie_n, ie_s))

        memory = None if args.skip_memory else measure_memory(csv_path, station, clerk)
        reset_tables()

    copy_rate, copy_one_rate = n / copy_s, n / copy_one_s
    print()
    print(f"{'':52} {'rows':>8} {'seconds':>8} {'rows/s':>9} {'of COPY':>8} {'of 1-table':>10}")
    for label, count, seconds in results:
        rate = count / seconds
        print(
            f"{label:52} {count:>8} {seconds:>8.2f} {rate:>9.0f} {rate / copy_rate:>8.1%} {rate / copy_one_rate:>10.1%}"
        )
    print()
    batches = math.ceil(n / BATCH_SIZE)
    print(f"XLSX / CSV rate: {csv_s / xlsx_s:.0%}")
    print(
        f"SQL statements, importer CSV: {csv_statements} for {batches} batches of {BATCH_SIZE} "
        f"({csv_statements / batches:.1f} per batch); ORM writer: {orm_statements} for "
        f"{math.ceil(orm_n / BATCH_SIZE)} batches"
    )
    rss_mb = csv_rss / 1024
    print(f"peak RSS growth during the CSV import: {rss_mb:.1f} MB ({rss_mb / n * 1000:.2f} MB per 1,000 rows)")
    if memory is not None:
        print(
            f"peak traced memory growth (tracemalloc, CSV import): {memory / 1e6:.1f} MB "
            f"({memory / n * 1000 / 1e6:.2f} MB per 1,000 rows)"
        )


if __name__ == "__main__":
    main()
