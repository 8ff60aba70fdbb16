"""Registration import benchmark (a measurement, not a test).

    .venv/bin/python bench/import_bench.py [--rows 50000] [--runs 3]

Works in its own database, ``jianding_bench_import`` (created and migrated if needed; its
candidate and registration tables are emptied before every run: never point it elsewhere),
with one station authorised for six occupations. It makes a registration file of ``--rows``
realistic rows (``bench/dataset.py``'s names, valid ID numbers and mobile numbers, dates
before the business date 2020-09-20) as CSV, as XLSX laid out as Excel saves one (XlsxWriter: shared
strings, the sheet's size declared) and as XLSX as openpyxl writes one (inline text, no size: half
the rate, shown without a goal), and then, on the same rows:

1. **Interleaved runs** (``--runs``, at least 3, the order rotated each round) of
   - the yardstick: a plain-text ``COPY`` into the same four tables the importer writes
     (candidates, registrations and their simple_history tables), the text rendered before
     the clock starts with the values the importer writes (``kit.privacy.history_value``:
     masked ID numbers and their keyed digest in the candidates' history), committed;
   - the importer (``appraisals.importing``) on the CSV file, every rule checked, history
     written, committed;
   - the importer on each XLSX file.
   Each run begins on a quiet machine (``common.settle``: no autovacuum of the run before,
   dirty pages flushed). Median and spread of each, in rows per second; the ratios from the medians (goals: CSV at
   50% of COPY or better and never below 25% in any round; XLSX at half the CSV rate or better).
2. **Known people**: the same people again with new mobile numbers (their registrations
   unchanged), imported over the first import; then that file once more (a re-import:
   nothing to change). Interleaved the same way.
3. **Memory** in fresh processes: resident set before the import against its peak after
   (``VmHWM``, reset first through ``/proc/self/clear_refs``) and, in another process,
   ``tracemalloc``'s peak; for a first import and for re-imports of a fifth of the file and
   of all of it (goals: at most 1.5 MB per 1,000 rows for a first import; a re-import flat,
   its growth rising by at most 0.1 MB per 1,000 more rows).

Why 50,000 rows by default: large enough that what an import costs once (the catalog, the
station's announcements and authorisations, the rule book, opening the XLSX) is under 2% of
its time and memory per 1,000 rows is read over 50 batches; small enough that every run
(three rounds of everything, the re-imports, five fresh processes) takes a few minutes on
a shared two-core machine.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dataset
from common import Figure, database_url, interleaved, report, settle, setup_django

DATABASE = "jianding_bench_import"
BUSINESS_DATE = datetime.date(2020, 9, 20)
STATION = "BENCH-IMPORT"
CLERK = "bench_import_clerk"
HEADERS = ["姓名", "身份证号", "联系电话", "职业", "等级", "报名日期", "文化程度", "工作年限"]
OCCUPATIONS = ["美发师", "美容师", "保育员", "育婴员", "中式烹调师", "中式面点师"]
LEVELS = {"5": "五级/初级工", "4": "四级/中级工"}
EDUCATION = {"senior": "高中/中专/技校", "college": "大专", "bachelor": "本科", "junior": "初中及以下"}
CSV_GOAL, CSV_FLOOR, XLSX_GOAL = 0.50, 0.25, 0.50
MEMORY_GOAL_MB = 1.5  # per 1,000 rows, first import
FLAT_GOAL_MB = 0.1  # per 1,000 more rows, re-import


def setup(url: str, *, migrate: bool = True) -> None:
    os.environ["JIANDING_BUSINESS_DATE"] = BUSINESS_DATE.isoformat()
    setup_django(url, migrate=migrate)


# --- the station and the rows ---------------------------------------------------------------------


def organisation() -> tuple[Any, Any]:
    """One Xiamen station authorised for six occupations at 五级 and 四级, their
    announcements published 2020-08-01, and its clerk (made once)."""
    from django.contrib.auth.models import Group

    from appraisals.models import ExamAnnouncement
    from catalog import roles
    from catalog.models import GuidanceCentre, Occupation, Region, Station, StationAuthorisation, User
    from catalog.services import catalog_load

    station = Station.objects.filter(code=STATION).first()
    if station is not None:
        return station, User.objects.get(username=CLERK)
    catalog_load()
    xiamen = Region.objects.get(code="350200")
    province = GuidanceCentre.objects.create(code="BI350000", name="基准省中心", level="province", region=xiamen.parent)
    centre = GuidanceCentre.objects.create(
        code="BI350200", name="基准市中心", level="city", region=xiamen, parent=province
    )
    station = Station.objects.create(code=STATION, name="厦门市基准职业技能鉴定站", region=xiamen, centre=centre)
    clerk = User.objects.create(username=CLERK, station=station, is_staff=True, email=f"{CLERK}@bench.example.com")
    clerk.groups.add(Group.objects.get(name=roles.STATION_CLERK))
    for name in OCCUPATIONS:
        occupation = Occupation.objects.get(name=name)
        StationAuthorisation.objects.create(
            station=station, occupation=occupation, levels="54", valid_from=datetime.date(2019, 1, 1), document="基准"
        )
        for level in LEVELS:
            ExamAnnouncement.objects.create(
                station=station,
                occupation=occupation,
                level=level,
                title=f"{name}鉴定公告",
                publish_date=datetime.date(2020, 8, 1),
                fee=Decimal("200") if level == "5" else Decimal("300"),
            )
    return station, clerk


def make_rows(n: int, seed: int = 2020) -> list[list[Any]]:
    """``n`` registrations of ``n`` different people, as a clerk fills the template."""
    rng = random.Random(seed)
    people = dataset.PersonMaker(rng)
    rows = []
    for i in range(n):
        sex = "M" if rng.random() < 0.55 else "F"
        birth = datetime.date(1965, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 37))
        number = people.id_number(people.county("350200", "350000"), birth, sex)
        level = "5" if rng.random() < 0.7 else "4"
        rows.append(
            [
                people.name("35", sex),
                number,
                people.phone(),
                OCCUPATIONS[i % len(OCCUPATIONS)],
                LEVELS[level],
                datetime.date(2020, 8, 2) + datetime.timedelta(days=rng.randrange(0, 50)),
                rng.choice(list(EDUCATION.values())),
                rng.randrange(1, 20) if level == "5" else rng.randrange(6, 25),
            ]
        )
    return rows


def with_new_phones(rows: list[list[Any]], seed: int = 7) -> list[list[Any]]:
    """The same rows, each with another mobile number."""
    rng = random.Random(seed)
    changed = []
    for row in rows:
        phone = row[2]
        while phone == row[2]:
            phone = f"{rng.choice(dataset.MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
        changed.append([row[0], row[1], phone, *row[3:]])
    return changed


def write_files(rows: list[list[Any]], folder: Path, stem: str) -> tuple[Path, Path]:
    """The rows as a UTF-8 CSV and as an XLSX laid out as Excel saves one (XlsxWriter): the
    text in the shared-strings table, the sheet's size declared, the date a date cell."""
    import xlsxwriter

    csv_path = folder / f"{stem}.csv"
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        for row in rows:
            writer.writerow([*row[:5], row[5].isoformat(), *row[6:]])
    xlsx_path = folder / f"{stem}.xlsx"
    book = xlsxwriter.Workbook(str(xlsx_path))
    sheet = book.add_worksheet("报名")
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, HEADERS)
    for number, row in enumerate(rows, start=1):
        # The ID number and the phone as text, the date as a date cell: as in the template.
        sheet.write_row(number, 0, row[:5])
        sheet.write_datetime(number, 5, datetime.datetime.combine(row[5], datetime.time()), day)
        sheet.write_row(number, 6, row[6:])
    book.close()
    return csv_path, xlsx_path


def write_openpyxl_xlsx(rows: list[list[Any]], folder: Path, stem: str) -> Path:
    """The rows as openpyxl writes an XLSX (what other programs' exports can look like):
    every text inline in its cell and no declared size, which openpyxl reads at about half
    the rate (it parses such a sheet once more to find its size)."""
    import openpyxl

    path = folder / f"{stem}.openpyxl.xlsx"
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("报名")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def reset_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE candidates_candidate, candidates_historicalcandidate, "
            "appraisals_registration, appraisals_historicalregistration RESTART IDENTITY CASCADE"
        )


# --- the contenders -------------------------------------------------------------------------------


class Yardstick:
    """The four tables' text for ``COPY``, rendered once (outside the clock) with the
    values the importer writes: ids from 1 (the tables are emptied with RESTART IDENTITY
    before each run), every column's default, the history rows as ``history_value`` makes
    them, the same actor, reason and time."""

    def __init__(self, rows: list[list[Any]], station: Any, clerk: Any, file_name: str) -> None:
        from appraisals.models import ExamAnnouncement, Registration
        from candidates.models import Candidate
        from candidates.validators import parse_id_number
        from kit import clock

        found = ExamAnnouncement.objects.filter(station=station).select_related("occupation")
        announcements = {(a.occupation.name, a.level): a for a in found}
        level_of = {label: level for level, label in LEVELS.items()}
        education_of = {label: key for key, label in EDUCATION.items()}
        now = clock.now()
        people, registrations = [], []
        for pk, row in enumerate(rows, start=1):
            birth, sex = parse_id_number(row[1])
            people.append(
                {
                    "id": pk,
                    "name": row[0],
                    "id_number": row[1],
                    "birth_date": birth,
                    "sex": sex,
                    "phone": row[2],
                    "education": education_of[row[6]],
                    "years_in_trade": row[7],
                    "created_by_id": clerk.pk,
                }
            )
            announcement = announcements[(row[3], level_of[row[4]])]
            registrations.append(
                {
                    "id": pk,
                    "candidate_id": pk,
                    "announcement_id": announcement.pk,
                    "station_id": station.pk,
                    "registration_date": row[5],
                    "fee": announcement.fee,
                    "entered_at": now,
                    "registered_by_id": clerk.pk,
                }
            )
        reason = f"批量导入报名：{file_name}"
        self.parts = []
        for model, values in ((Candidate, people), (Registration, registrations)):
            table = dataset.Table(model, with_history=True)
            self.parts.append((table.db_table, table.columns, table.render(values)))
            history = table.render_history(values, lambda _: now, lambda _: clerk.pk, reason)
            self.parts.append((table.history, table.history_columns, history))
        self.rows = len(rows)

    def run(self) -> float:
        """Rows per second of the four COPYs, committed."""
        from django.db import connection, transaction

        reset_tables()
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            for table, columns, text in self.parts:
                dataset.copy_text(cursor, table, columns, [text])
        return self.rows / (time.perf_counter() - start)


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def import_once(path: Path, station: Any, clerk: Any, *, expect: dict[str, int]) -> tuple[float, int]:
    """(rows per second, SQL statements) of one import of ``path``, as ``import_file`` does
    it (open, check, write, commit); the report must say what ``expect`` says."""
    from django.db import connection

    from appraisals.importing import RegistrationImporter, open_table

    counter = StatementCounter()
    start = time.perf_counter()
    table = open_table(path)
    try:
        importer = RegistrationImporter(station=station, actor=clerk)
        with connection.execute_wrapper(counter):
            outcome = importer.run(table.headers, table.rows, source=table.source, file_name=path.name)
    finally:
        table.close()
    seconds = time.perf_counter() - start
    if not outcome.ok:
        raise RuntimeError("导入被拒绝：\n" + "\n".join(outcome.lines()[:20]))
    for name, wanted in expect.items():
        if getattr(outcome, name) != wanted:
            raise RuntimeError(f"{path.name}: {name} = {getattr(outcome, name)}, expected {wanted}")
    return outcome.rows / seconds, counter.count + getattr(importer, "statements", 0)


# --- memory, in fresh processes -------------------------------------------------------------------


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def memory_child(path: Path, traced: bool) -> dict[str, Any]:
    """One import of ``path`` in this (fresh) process: resident set before, its peak
    after (or tracemalloc's peak), in kB."""
    import tracemalloc

    setup(database_url(DATABASE), migrate=False)
    from appraisals.importing import import_file  # loaded before the baseline: code is not data

    station, clerk = organisation()
    gc.collect()
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from here
    rss_before, peak_before = _status_kb("VmRSS"), _status_kb("VmHWM")
    if traced:
        tracemalloc.start()
    outcome = import_file(path, station=station, actor=clerk)
    traced_peak = tracemalloc.get_traced_memory()[1] if traced else 0
    if traced:
        tracemalloc.stop()
    if not outcome.ok:
        raise RuntimeError("\n".join(outcome.lines()[:10]))
    return {
        "rows": outcome.rows,
        "created": outcome.registrations_created,
        "rss_before_kb": rss_before,
        "peak_before_kb": peak_before,
        "peak_after_kb": _status_kb("VmHWM"),
        "traced_peak_kb": traced_peak // 1024,
    }


def in_fresh_process(path: Path, *, traced: bool) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    command = [sys.executable, str(Path(__file__).resolve()), "--memory-child", str(path), "--json", str(out)]
    if traced:
        command.append("--traced")
    try:
        subprocess.run(command, check=True)
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


def growth_mb(found: dict[str, Any], traced: bool) -> float:
    if traced:
        return found["traced_peak_kb"] / 1024
    return (found["peak_after_kb"] - min(found["rss_before_kb"], found["peak_before_kb"])) / 1024


# --- the figures ----------------------------------------------------------------------------------


def figures(args: argparse.Namespace) -> list[Figure]:
    n = getattr(args, "rows", 50_000)
    runs = max(3, getattr(args, "runs", 3))
    url = database_url(DATABASE)
    setup(url)
    from django.db import connection

    station, clerk = organisation()
    section = f"import, {n:,} rows"
    found: list[Figure] = []
    rows = make_rows(n)
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        csv_path, xlsx_path = write_files(rows, folder, "registrations")
        openpyxl_path = write_openpyxl_xlsx(rows, folder, "registrations")
        update_csv, _ = write_files(with_new_phones(rows), folder, "registrations_new_phones")
        small_csv, _ = write_files(rows[: n // 5], folder, "registrations_fifth")
        print(
            f"{section}: PostgreSQL {connection.cursor().connection.info.server_version}; "
            f"CSV {csv_path.stat().st_size / 1e6:.1f} MB, XLSX {xlsx_path.stat().st_size / 1e6:.1f} MB",
            flush=True,
        )
        yardstick = Yardstick(rows, station, clerk, csv_path.name)
        statements: list[int] = []
        first = {"candidates_created": n, "registrations_created": n}

        def importer(path: Path) -> float:
            reset_tables()
            rate, count = import_once(path, station, clerk, expect=first)
            statements.append(count)
            return rate

        waits: list[str] = []

        def quiet() -> None:
            # Each run on a quiet machine: the autovacuum of the run before (and of the
            # 1M dataset built just before this section) slowed one contender or another.
            waits.append(settle(url))

        rates = interleaved(
            runs,
            {
                "COPY": yardstick.run,
                "CSV": lambda: importer(csv_path),
                "XLSX": lambda: importer(xlsx_path),
                "XLSX by openpyxl": lambda: importer(openpyxl_path),
            },
            before_each=quiet,
        )
        copy, csv_rate, xlsx = rates["COPY"], rates["CSV"], rates["XLSX"]
        openpyxl_rate = rates["XLSX by openpyxl"]
        settled = sum(wait.startswith("quiet") for wait in waits)
        quiet_note = f"{settled} of {len(waits)} runs began on a quiet machine (bench.common.settle)"
        for label, samples in (
            ("COPY into the four tables (yardstick)", copy),
            ("importer, CSV (every rule, history)", csv_rate),
            ("importer, XLSX as Excel saves it (every rule, history)", xlsx),
            ("importer, XLSX as openpyxl writes it (inline text, no size declared; no goal)", openpyxl_rate),
        ):
            found.append(Figure.of(section, label, samples, "rows/s", note=quiet_note if "COPY" in label else ""))
        per_round = [c / y for c, y in zip(csv_rate.values, copy.values, strict=True)]
        ratio = csv_rate.median / copy.median
        found.append(
            Figure(
                section,
                "CSV / COPY (medians)",
                100 * ratio,
                "%",
                (100 * min(per_round), 100 * max(per_round)),
                goal=f"≥ {CSV_GOAL:.0%}, each round ≥ {CSV_FLOOR:.0%}",
                met=ratio >= CSV_GOAL and min(per_round) >= CSV_FLOOR,
                note="spread: the ratio in each round",
            )
        )
        xlsx_ratio = xlsx.median / csv_rate.median
        found.append(
            Figure(
                section,
                "XLSX / CSV (medians)",
                100 * xlsx_ratio,
                "%",
                goal=f"≥ {XLSX_GOAL:.0%}",
                met=xlsx_ratio >= XLSX_GOAL,
                note=f"the file as openpyxl writes it: {openpyxl_rate.median / csv_rate.median:.0%}",
            )
        )
        batches = -(-n // 1000)
        found.append(
            Figure(
                section,
                "SQL statements per 1,000-row batch (CSV)",
                statements[0] / batches,
                "statements",
                note=f"{statements[0]} for {batches} batches",
            )
        )

        # Known people: new phones over the first import, then the same file again.
        def update() -> float:
            reset_tables()
            import_once(csv_path, station, clerk, expect=first)
            return import_once(
                update_csv, station, clerk, expect={"candidates_updated": n, "registrations_unchanged": n}
            )[0]

        def reimport() -> float:
            reset_tables()
            import_once(update_csv, station, clerk, expect=first)
            return import_once(
                update_csv, station, clerk, expect={"candidates_updated": 0, "registrations_unchanged": n}
            )[0]

        known = interleaved(runs, {"update": update, "reimport": reimport}, before_each=quiet)
        found.append(
            Figure.of(
                section,
                "known people, new phones (CSV)",
                known["update"],
                "rows/s",
                note=f"{known['update'].median / copy.median:.0%} of COPY",
            )
        )
        found.append(
            Figure.of(
                section,
                "re-import, nothing to change (CSV)",
                known["reimport"],
                "rows/s",
                note=f"{known['reimport'].median / copy.median:.0%} of COPY",
            )
        )

        # Memory, each import in a fresh process.
        for traced in (False, True):
            how = "tracemalloc peak" if traced else "peak RSS (VmHWM)"
            reset_tables()
            first_import = in_fresh_process(csv_path, traced=traced)
            per_1000 = growth_mb(first_import, traced) / n * 1000
            found.append(
                Figure(
                    section,
                    f"memory, first import: {how}",
                    per_1000,
                    "MB/1,000 rows",
                    goal=f"≤ {MEMORY_GOAL_MB}",
                    met=per_1000 <= MEMORY_GOAL_MB,
                    note=f"{growth_mb(first_import, traced):.1f} MB for {n:,} rows",
                )
            )
            fifth = in_fresh_process(small_csv, traced=traced)
            whole = in_fresh_process(csv_path, traced=traced)
            low, high = growth_mb(fifth, traced), growth_mb(whole, traced)
            slope = (high - low) / ((n - n // 5) / 1000)
            found.append(
                Figure(
                    section,
                    f"memory, re-import: {how}, per 1,000 more rows",
                    slope,
                    "MB/1,000 rows",
                    goal=f"flat (≤ {FLAT_GOAL_MB})",
                    met=slope <= FLAT_GOAL_MB,
                    note=f"{low:.1f} MB for {n // 5:,} rows, {high:.1f} MB for {n:,}",
                )
            )
        reset_tables()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3, help="interleaved rounds (at least 3)")
    parser.add_argument("--memory-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        args.json.write_text(json.dumps(memory_child(args.memory_child, args.traced)))
        return
    print(report(figures(args)))


if __name__ == "__main__":
    main()
