"""Reminder sweep benchmark: 1,000,000 registrations over 2,000 stations on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jianding_bench_reminders \
        .venv/bin/python bench/reminder_bench.py [--registrations 1000000] [--stations 2000]

Creates (or reuses) the database, loads rows with COPY, then times:
  - a full scan of the registrations table (the reference: count(*)),
  - finding what is due (appraisals.reminders.due_items), goal < 2 s,
  - the whole sweep including writing notifications (appraisals.reminders.sweep), goal < 30 s,
and prints the query counts of each. Run it twice: the second sweep finds everything sent.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jianding_bench_reminders")


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


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
        print(f"reusing {Registration.objects.count():,} registrations")
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
    clerks = User.objects.bulk_create([User(username=f"bench_clerk_{s.code}", station=s) for s in stations])
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
                )
                for i in range(n_registrations)
            ),
        )
        cursor.execute("SELECT min(id) FROM candidates_candidate")
        first_candidate = cursor.fetchone()[0]
        copy_rows(
            raw,
            "appraisals_registration",
            ["candidate_id", "announcement_id", "station_id", "registration_date", "fee", "status"],
            (
                (first_candidate + i, a.pk, a.station_id, "2020-09-10", "0", rng.choice(statuses))
                for i, a in ((i, announcements[i % len(announcements)]) for i in range(n_registrations))
            ),
        )
        cursor.execute("ANALYZE")
    print(f"loaded {n_stations:,} stations, {len(announcements):,} announcements, {n_registrations:,} registrations")


def timed(label: str, func):
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = func()
        elapsed = time.perf_counter() - start
    print(f"{label:<52} {elapsed:8.2f} s   {len(queries):5d} queries")
    return elapsed, result


def prepare() -> argparse.Namespace:
    """Parse the options, create and migrate the database, load the catalog and the rows
    (once). Shared with bench/admin_bench.py, which reads the same data."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--registrations", type=int, default=1_000_000)
    parser.add_argument("--stations", type=int, default=2000)
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command

    from catalog.services import catalog_load

    call_command("migrate", verbosity=0)
    catalog_load()
    populate(args.registrations, args.stations)
    return args


def main() -> None:
    prepare()
    from django.db import connection

    from appraisals import reminders
    from catalog.models import Notification, ReminderLog

    ReminderLog.objects.all().delete()
    Notification.objects.all().delete()
    today = datetime.date(2020, 10, 24)  # 7 days before Fujian's application deadline

    def full_scan() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM appraisals_registration")
            return cursor.fetchone()[0]

    scan, _ = timed("full scan of registrations (reference)", full_scan)
    find, items = timed("finding what is due", lambda: reminders.due_items(today))
    sweep, sent = timed("whole sweep, first run (writes notifications)", lambda: reminders.sweep(today))
    again, resent = timed("whole sweep, second run (nothing new)", lambda: reminders.sweep(today))
    print(f"due items {len(items):,}; reminders sent {sent:,}; sent again {resent}")
    print(f"finding / full scan = {find / scan:.2f}   (goal: finding < 2 s → {'ok' if find < 2 else 'MISSED'})")
    print(f"whole sweep = {sweep:.2f} s   (goal: < 30 s → {'ok' if sweep < 30 else 'MISSED'}); rerun {again:.2f} s")


if __name__ == "__main__":
    main()
