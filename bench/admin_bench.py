"""Admin pages at a million cases: how long a clerk, a provincial officer and a supervisor
wait for the lists they open every day (a measurement, not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jianding_bench_reminders \\
        .venv/bin/python bench/admin_bench.py [--registrations 1000000] [--stations 2000]

Shares its database and data with ``bench/reminder_bench.py`` (created and loaded with
COPY on the first run, reused after). Each page is requested through Django's test client
as a logged-in user, three times; the best time and the query count are printed, with the
ratio to a full scan of the registration table (count(*)), the floor for anything that
reads every row. Goal: every page under 1 s at 1,000,000 registrations.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jianding_bench_reminders")

GOAL_SECONDS = 1.0


def users():
    """A station clerk, an officer of the Fujian provincial centre (all its stations) and a
    Fujian supervisor, made once."""
    from django.contrib.auth.models import Group

    from catalog import roles
    from catalog.models import GuidanceCentre, Station, User

    station = Station.objects.filter(code__startswith="BS", region__parent__code="350000").order_by("code").first()
    province = GuidanceCentre.objects.get(code="B350000")
    made = {}
    for username, role, fields in (
        ("bench_admin_clerk", roles.STATION_CLERK, {"station": station}),
        ("bench_admin_officer", roles.CENTRE_OFFICER, {"centre": province}),
        ("bench_admin_supervisor", roles.SUPERVISOR, {"centre": province}),
    ):
        user, _ = User.objects.get_or_create(username=username, defaults={**fields, "is_staff": True})
        user.groups.set([Group.objects.get(name=role)])
        made[role] = user
    return made


def page_timer(scan: float):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    worst = 0.0

    def measure(user, label: str, url: str) -> None:
        nonlocal worst
        client = Client()
        client.force_login(user)
        best = None
        for _ in range(3):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - start
            assert response.status_code == 200, (url, response.status_code)
            best = elapsed if best is None else min(best, elapsed)
        worst = max(worst, best)
        print(f"{label:<46} {best:7.3f} s  {len(queries):4d} queries  {best / scan:6.2f}× scan")

    return measure, lambda: worst


def main() -> None:
    from reminder_bench import prepare

    prepare()
    from django.conf import settings
    from django.db import connection

    from appraisals.models import Registration
    from catalog import roles

    settings.ALLOWED_HOSTS = ["*"]
    people = users()
    clerk, officer, supervisor = (people[r] for r in (roles.STATION_CLERK, roles.CENTRE_OFFICER, roles.SUPERVISOR))
    someone = Registration.objects.filter(station=clerk.station).select_related("candidate").first().candidate

    def full_scan() -> float:
        best = None
        for _ in range(3):
            start = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM appraisals_registration")
            elapsed = time.perf_counter() - start
            best = elapsed if best is None else min(best, elapsed)
        return best

    scan = full_scan()
    total = Registration.objects.count()
    print(f"{total:,} registrations; full scan (count(*)) {scan:.3f} s\n")
    measure, worst = page_timer(scan)
    registrations = "/admin/appraisals/registration/"
    candidates = "/admin/candidates/candidate/"
    measure(clerk, "clerk: registrations, first page", registrations)
    measure(clerk, "clerk: registrations, search by ID number", f"{registrations}?q={someone.id_number}")
    measure(clerk, "clerk: candidates, first page", candidates)
    measure(officer, "province officer: registrations, first page", registrations)
    measure(officer, "province officer: registrations, page 200", f"{registrations}?p=200")
    measure(officer, "province officer: registrations, status passed", f"{registrations}?status__exact=passed")
    measure(officer, "province officer: search by ID number", f"{registrations}?q={someone.id_number}")
    measure(officer, "province officer: search by name", f"{registrations}?q={someone.name}")
    measure(officer, "province officer: candidates, first page", candidates)
    measure(supervisor, "supervisor: dashboard", "/admin/supervision/")
    measure(supervisor, "supervisor: admin index", "/admin/")
    verdict = "ok" if worst() < GOAL_SECONDS else "MISSED"
    print(
        f"\nslowest page {worst():.3f} s = {worst() / scan:.2f}× a full scan (goal < {GOAL_SECONDS:.0f} s → {verdict})"
    )


if __name__ == "__main__":
    main()
