"""Reminder sweep benchmark: 1,000,000 registrations over 2,000 stations on PostgreSQL.

    .venv/bin/python bench/reminder_bench.py [--url postgres://…/jianding_bench_reminders]
        [--registrations 1000000] [--stations 2000] [--runs 5]

Creates (or reuses) the database (``--url``, else ``DATABASE_URL``, else
``jianding_bench_reminders`` on the bench server), loads rows with COPY once, then times,
several interleaved runs each (median and spread):
  - a full scan of the registrations table (the reference: count(*)),
  - the grouped count the sweep rests on (pending registrations per status and
    announcement), with its plan: an index-only scan, and how many rows it still read
    from the heap,
  - finding what is due (appraisals.reminders.due_items), goal ≤ 2 s,
  - the whole sweep (the reminders of ``supervision.services.daily_sweep_run``: before
    each deadline, certificates not issued, consent scans missing) from an empty send
    log, writing every notification and sending every e-mail, goal ≤ 30 s,
  - the same sweep again (everything already sent: nothing new).

Every station clerk and every officer of a centre with bench stations has an e-mail
address, and the e-mail backend is Django's locmem one: the e-mails are built and
"sent" (kept in ``django.core.mail.outbox``), and counted.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Figure, database_url, interleaved, report, setup_django

SECTION = "reminders (1M registrations)"
TODAY = datetime.date(2020, 10, 24)  # 7 days before Fujian's application deadline
FIND_GOAL = 2.0
SWEEP_GOAL = 30.0
EMAIL_DOMAIN = "bench.jianding.example"
ENTERED_AT = "2020-09-10 10:00+08"


def copy_rows(cursor, table: str, columns: list[str], rows) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    buffer.seek(0)
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)


def populate(n_registrations: int, n_stations: int) -> None:
    from django.contrib.auth.models import Group
    from django.db import connection

    from appraisals.models import ExamAnnouncement, Registration
    from catalog import roles
    from catalog.models import GuidanceCentre, Occupation, Region, Station, User
    from catalog.services import fujian_annex_names

    if Registration.objects.count() >= n_registrations:
        print(f"reusing {Registration.objects.count():,} registrations", file=sys.stderr)
        return
    rng = random.Random(2020)
    cities = list(Region.objects.filter(parent__code__in=["350000", "430000"]))
    centres = {}
    for city in cities:
        province = city.parent
        parent, _ = GuidanceCentre.objects.get_or_create(
            code=f"B{province.code}", defaults={"name": f"{province.name}中心", "level": "province", "region": province}
        )
        centres[city.pk], _ = GuidanceCentre.objects.get_or_create(
            code=f"B{city.code}",
            defaults={"name": f"{city.name}中心", "level": "city", "region": city, "parent": parent},
        )
    stations = Station.objects.bulk_create(
        [
            Station(code=f"BS{i:05d}", name=f"基准鉴定站{i}", region=city, centre=centres[city.pk])
            for i, city in ((i, rng.choice(cities)) for i in range(n_stations))
        ]
    )
    clerk_group = Group.objects.get(name=roles.STATION_CLERK)
    clerks = User.objects.bulk_create(
        [
            User(username=f"bench_clerk_{s.code}", station=s, email=f"bench_clerk_{s.code}@{EMAIL_DOMAIN}")
            for s in stations
        ]
    )
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=u.pk, group_id=clerk_group.pk) for u in clerks]
    )
    occupations = list(Occupation.objects.filter(name__in=fujian_annex_names()))
    announcements = ExamAnnouncement.objects.bulk_create(
        [
            ExamAnnouncement(
                station=s,
                occupation=o,
                level=rng.choice("543"),
                title="基准公告",
                publish_date=datetime.date(2020, 8, 1),
            )
            for s in stations
            for o in rng.sample(occupations, 5)
        ],
        batch_size=5000,
    )
    statuses = ["registered", "eligible", "consented", "applied", "examined", "passed", "failed", "withdrawn"]
    with connection.cursor() as cursor:
        raw = cursor.cursor
        copy_rows(
            raw,
            "candidates_candidate",
            [
                "name",
                "id_number",
                "birth_date",
                "sex",
                "phone",
                "education",
                "years_in_trade",
                "prior_certificate_level",
                "prior_certificate_number",
                "diploma",
                "trainee_kind",
                "school_or_enterprise",
                "training_plan",
                "photo",
            ],
            (
                (
                    f"考生{i}",
                    f"9{i:016d}X",
                    "1990-01-01",
                    "M",
                    f"138{i % 100000000:08d}",
                    "senior",
                    3,
                    "",
                    "",
                    "none",
                    "none",
                    "",
                    "",
                    "",
                )
                for i in range(n_registrations)
            ),
        )
        cursor.execute("SELECT min(id) FROM candidates_candidate")
        first_candidate = cursor.fetchone()[0]
        copy_rows(
            raw,
            "appraisals_registration",
            ["candidate_id", "announcement_id", "station_id", "registration_date", "fee", "status", "entered_at"],
            (
                (first_candidate + i, a.pk, a.station_id, "2020-09-10", "0", rng.choice(statuses), ENTERED_AT)
                for i, a in ((i, announcements[i % len(announcements)]) for i in range(n_registrations))
            ),
        )
        # As autovacuum would after a bulk load: statistics, and the visibility map an
        # index-only scan needs to skip the heap.
        cursor.execute("VACUUM ANALYZE")
    print(
        f"loaded {n_stations:,} stations, {len(announcements):,} announcements, {n_registrations:,} registrations",
        file=sys.stderr,
    )


def ensure_recipients() -> tuple[int, int]:
    """Every bench station's clerk has an e-mail address, and every centre with bench
    stations has an officer with one (the sweep's sums go to the centre's officers).
    Idempotent, so a database loaded by an earlier version of this bench gets them too."""
    from django.contrib.auth.models import Group

    from catalog import roles
    from catalog.models import GuidanceCentre, User

    clerks = list(User.objects.filter(username__startswith="bench_clerk_", email=""))
    for clerk in clerks:
        clerk.email = f"{clerk.username}@{EMAIL_DOMAIN}"
    if clerks:
        User.objects.bulk_update(clerks, ["email"], batch_size=1000)
    officer_group = Group.objects.get(name=roles.CENTRE_OFFICER)
    made = 0
    for centre in GuidanceCentre.objects.filter(code__startswith="B", stations__code__startswith="BS").distinct():
        username = f"bench_officer_{centre.code}"
        officer, created = User.objects.get_or_create(
            username=username, defaults={"centre": centre, "email": f"{username}@{EMAIL_DOMAIN}"}
        )
        if created:
            officer.groups.add(officer_group)
            made += 1
    return len(clerks), made


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url", default=None, help="bench database (default: DATABASE_URL, else jianding_bench_reminders)"
    )
    parser.add_argument("--registrations", type=int, default=1_000_000)
    parser.add_argument("--stations", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)


def prepare(args: argparse.Namespace | None = None) -> argparse.Namespace:
    """Parse the options (when none are given), create and migrate the database, load the
    catalog and the rows (once) and give the sweep's recipients e-mail addresses. Shared
    with bench/admin_bench.py, which reads the same data."""
    if args is None:
        parser = argparse.ArgumentParser()
        add_arguments(parser)
        args = parser.parse_args()
    url = getattr(args, "url", None) or os.environ.get("DATABASE_URL") or database_url("jianding_bench_reminders")
    args.url = url
    from django.apps import apps

    if not apps.ready:
        setup_django(url)
    from catalog.services import catalog_load

    catalog_load()
    populate(getattr(args, "registrations", 1_000_000), getattr(args, "stations", 2000))
    ensure_recipients()
    return args


def grouped_count_sql() -> tuple[str, list[Any]]:
    """The sweep's grouped count, the very query appraisals.reminders.due_items runs."""
    from appraisals.reminders import pending_counts

    sql, params = pending_counts().query.sql_with_params()
    return sql, list(params)


def explain_grouped_count() -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of the grouped count: the plan as text, the scan's node
    type and index, and its heap fetches (rows read from the table, not the index)."""
    from django.db import connection

    sql, params = grouped_count_sql()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        text = "\n".join(row[0] for row in cursor.fetchall())
    plan = plan if isinstance(plan, list) else json.loads(plan)

    def scans(node: dict[str, Any]):
        if "Scan" in node["Node Type"]:
            yield node
        for child in node.get("Plans", []):
            yield from scans(child)

    scan = next(scans(plan[0]["Plan"]))
    node = scan["Node Type"]
    # An index-only scan reads the heap only for pages not all-visible (its heap fetches);
    # every other scan reads each row it returns from the heap.
    heap_rows = scan.get("Heap Fetches", 0) if node == "Index Only Scan" else scan["Actual Rows"]
    return {
        "text": text,
        "node": node,
        "index": scan.get("Index Name", "") or next((c.get("Index Name", "") for c in scan.get("Plans", [])), ""),
        "heap_rows": heap_rows,
        "buffers": scan.get("Shared Hit Blocks", 0) + scan.get("Shared Read Blocks", 0),
    }


def reminder_sweep(today: datetime.date) -> int:
    """The reminders of the daily sweep, as ``supervision.services.daily_sweep_run`` sends
    them (its review queue, step 3, is not part of this goal)."""
    from appraisals import reminders
    from catalog.services import reminders_send
    from certificates.reminders import certificate_reminders, consent_scan_reminders

    return reminders.sweep(today) + reminders_send(
        reminders=certificate_reminders(today) + consent_scan_reminders(today)
    )


def figures(args: argparse.Namespace) -> list[Figure]:
    args = prepare(args)
    from django.conf import settings
    from django.core import mail
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from appraisals import reminders
    from catalog.models import Notification, ReminderLog

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    runs = getattr(args, "runs", 5)
    counts: dict[str, int] = {}
    queries: dict[str, int] = {}

    def reset() -> None:
        ReminderLog.objects.all().delete()
        Notification.objects.all().delete()
        mail.outbox = []

    def measured(name: str, func: Callable[[], Any], before: Callable[[], None] | None = None) -> Callable[[], float]:
        def run() -> float:
            if before:
                before()
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                result = func()
                elapsed = time.perf_counter() - start
            queries.setdefault(name, len(captured))
            if isinstance(result, int):
                counts.setdefault(name, result)
            counts.setdefault(f"{name}: e-mails", len(getattr(mail, "outbox", [])))
            return elapsed

        return run

    def full_scan() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM appraisals_registration")
            return cursor.fetchone()[0]

    def grouped_count() -> int:
        sql, params = grouped_count_sql()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return len(cursor.fetchall())

    def sweep_again_ready() -> None:
        mail.outbox = []
        if not ReminderLog.objects.exists():
            reminder_sweep(TODAY)
            mail.outbox = []

    samples = interleaved(
        runs,
        {
            "scan": measured("scan", full_scan),
            "grouped": measured("grouped", grouped_count),
            "find": measured("find", lambda: len(reminders.due_items(TODAY))),
            "sweep": measured("sweep", lambda: reminder_sweep(TODAY), before=reset),
            "again": measured("again", lambda: reminder_sweep(TODAY), before=sweep_again_ready),
        },
    )
    plan = explain_grouped_count()
    print(plan["text"], file=sys.stderr)
    index = f" on {plan['index']}" if plan["index"] else ""
    return [
        Figure.of(SECTION, "full scan of registrations, count(*) (reference)", samples["scan"], "s"),
        Figure.of(
            SECTION,
            "grouped count: pending per status and announcement",
            samples["grouped"],
            "s",
            note=f"{plan['node']}{index}, {counts['grouped']:,} groups",
        ),
        Figure(
            SECTION,
            "grouped count: rows read from the heap",
            plan["heap_rows"],
            "rows",
            goal="0 (index-only)",
            met=plan["heap_rows"] == 0 and plan["node"] == "Index Only Scan",
            note=f"{plan['buffers']:,} buffers read by the scan",
        ),
        Figure.of(
            SECTION,
            "finding what is due (due_items)",
            samples["find"],
            "s",
            goal=f"≤ {FIND_GOAL:g} s",
            met=samples["find"].median <= FIND_GOAL,
            note=f"{queries['find']} queries, {counts['find']:,} items",
        ),
        Figure.of(
            SECTION,
            "whole sweep from an empty send log (notifications, e-mails)",
            samples["sweep"],
            "s",
            goal=f"≤ {SWEEP_GOAL:g} s",
            met=samples["sweep"].median <= SWEEP_GOAL,
            note=f"{queries['sweep']} queries, {counts['sweep']:,} reminders, {counts['sweep: e-mails']:,} e-mails",
        ),
        Figure.of(
            SECTION,
            "whole sweep again (nothing new)",
            samples["again"],
            "s",
            goal="nothing sent twice",
            met=counts["again"] == 0 and counts["again: e-mails"] == 0,
            note=f"{queries['again']} queries, {counts['again']} reminders, {counts['again: e-mails']} e-mails",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_arguments(parser)
    print(report(figures(parser.parse_args())))


if __name__ == "__main__":
    main()
