"""Public certificate lookup (/verify/) benchmark: lookups per second in one process, and
the queries each lookup costs.

    .venv/bin/python bench/lookup_bench.py [--url postgres://…/jianding_bench] [--runs 5]
        [--lookups 1000] [--load]

The database (``--url``, default ``jianding_bench``, which bench/dataset.py fills with a
million registrations and their certificates) must hold certificates. ``--load`` fills a
database that has none with a quick data set of its own: the reminder benchmark's
1,000,000 registrations over 2,000 stations (bench/reminder_bench.py, COPY), and one
certificate for each of its passed registrations (about 125,000, COPY), e.g.

    .venv/bin/python bench/lookup_bench.py --url postgres://postgres@127.0.0.1:5432/jianding_bench_lookup --load

How it is measured: production's WSGI application (``config.wsgi.application``, what a
gunicorn worker runs, its start-up frozen for the garbage collector) is called in this one
process with a prepared WSGI environ, as a single-threaded worker would call it, through
the whole middleware stack (sessions, CSRF, authentication, messages, history, axes) and
the template. The POSTs carry the CSRF cookie and token a browser got from the form, so
CSRF is checked as for a browser. Not included: a server's HTTP parsing and the network. Each lookup kind runs
``--lookups`` lookups per run, over real certificate numbers, ID numbers, names and
verification codes read from the database (a different certificate each time), the kinds
interleaved, ``--runs`` runs: median and spread of lookups per second.

The rate limit stays on and is counted as in production: only its two rates are raised
(``JIANDING_VERIFY_RATE`` and ``JIANDING_VERIFY_DAILY_RATE`` to 10**9 per minute and per
day), so both counters are still read and incremented in the cache for every lookup. The
cache is the settings' own: Redis when ``REDIS_URL`` is set (as in production), else
Django's in-process memory cache; the figures name it.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Figure, cpu_times, database_url, interleaved, report, settle, setup_django, stolen_share

GOAL_RATE = 300.0
GOAL_QUERIES = 1
HIGH = "1000000000"
SAMPLE = 500  # certificates drawn from the database, cycled through by every kind


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default=None, help="bench database (default: jianding_bench)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lookups", type=int, default=1000, help="lookups per kind and run")
    parser.add_argument("--load", action="store_true", help="load a quick data set if there are no certificates")


# --- the quick data set -------------------------------------------------------------------------


def load_certificates() -> int:
    """One valid certificate per passed registration, written with COPY: numbered per
    issuing centre, the holder's name and ID number copied from the candidate, a random
    verification code, all resting on one exam result (the lookup never reads results)."""
    from django.db import connection

    from appraisals.models import AppraisalApplication, ExamResult, ExamSession, Registration
    from catalog.models import User
    from certificates.models import Certificate, new_verification_code

    passed = Registration.objects.filter(status=Registration.Status.PASSED).select_related("station__centre")
    first = passed.order_by("pk").first()
    if first is None:
        raise SystemExit("no passed registrations to certify")
    station, centre = first.station, first.station.centre
    officer, _ = User.objects.get_or_create(username="bench_lookup_officer", defaults={"centre": centre})
    application = AppraisalApplication.objects.bulk_create(
        [
            AppraisalApplication(
                station=station, centre=centre, submitted_date=datetime.date(2020, 10, 20), submitted_by=officer
            )
        ]
    )[0]
    announcement = first.announcement
    session = ExamSession.objects.bulk_create(
        [
            ExamSession(
                application=application,
                occupation_id=announcement.occupation_id,
                level=announcement.level,
                date=datetime.date(2020, 11, 20),
                start_time=datetime.time(9),
                end_time=datetime.time(11),
                place="基准考点",
                region_id=station.region_id,
                held=True,
            )
        ]
    )[0]
    result = ExamResult.objects.bulk_create(
        [
            ExamResult(
                registration=first,
                station_id=first.station_id,
                session=session,
                theory_score=80,
                practical_score=80,
                entered_by=officer,
            )
        ]
    )[0]
    rows = passed.values_list(
        "pk",
        "candidate_id",
        "candidate__name",
        "candidate__id_number",
        "announcement__occupation_id",
        "announcement__level",
        "station__centre_id",
        "station__centre__code",
    ).order_by("pk")
    sequence: dict[int, int] = {}
    buffer = io.StringIO()
    count = 0
    for registration_id, candidate_id, name, id_number, occupation_id, level, centre_id, code in rows.iterator(
        chunk_size=10000
    ):
        sequence[centre_id] = sequence.get(centre_id, 0) + 1
        fields = [
            f"{code}-2020-{sequence[centre_id]:06d}",
            centre_id,
            2020,
            sequence[centre_id],
            registration_id,
            result.pk,
            candidate_id,
            name,
            id_number,
            occupation_id,
            level,
            "2020-11-28",
            officer.pk,
            new_verification_code(),
            Certificate.Status.VALID,
            "",
        ]
        buffer.write("\t".join(str(v) for v in fields) + "\n")
        count += 1
    columns = (
        "number, centre_id, year, sequence, registration_id, result_id, candidate_id, holder_name, "
        "holder_id_number, occupation_id, level, issue_date, issued_by_id, verification_code, status, void_reason"
    )
    buffer.seek(0)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY certificates_certificate ({columns}) FROM STDIN") as copy:
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)
        cursor.execute("VACUUM ANALYZE certificates_certificate")
    return count


def prepare(args: argparse.Namespace) -> argparse.Namespace:
    url = getattr(args, "url", None) or database_url("jianding_bench")
    args.url = url
    from django.apps import apps

    if not apps.ready:
        setup_django(url)
    from certificates.models import Certificate

    if not Certificate.objects.exists():
        if not getattr(args, "load", False):
            raise SystemExit(f"{url} holds no certificates: fill it (bench/dataset.py) or pass --load")
        from reminder_bench import populate

        from catalog.services import catalog_load

        catalog_load()
        populate(1_000_000, 2000)
        print(f"loaded {load_certificates():,} certificates", file=sys.stderr)
    return args


# --- requests through the WSGI handler ------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    number: str
    name: str
    id_number: str
    code: str


class Browser:
    """One client of the WSGI application: it opens the form once (a CSRF cookie and the
    form's token, as a browser gets them) and then sends lookups as the form or the QR
    code's link does."""

    def __init__(self, app: Callable, address: str = "198.51.100.7") -> None:
        self.app = app
        self.address = address
        self.cookie = ""
        self.token = ""
        status, body = self.get("/verify/")
        assert status.startswith("200"), status
        self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)

    def _environ(self, method: str, path: str, query: str = "", body: bytes = b"") -> dict[str, Any]:
        environ = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "bench.jianding.example",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "bench.jianding.example",
            "HTTP_ACCEPT": "text/html",
            "HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9",
            "HTTP_USER_AGENT": "jianding-bench",
            "REMOTE_ADDR": self.address,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if self.cookie:
            environ["HTTP_COOKIE"] = self.cookie
        if body:
            environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
            environ["CONTENT_LENGTH"] = str(len(body))
        return environ

    def _call(self, environ: dict[str, Any]) -> tuple[str, str]:
        seen: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            seen["status"], seen["headers"] = status, headers

        response = self.app(environ, start_response)
        try:
            body = b"".join(response).decode()
        finally:
            if hasattr(response, "close"):
                response.close()
        for name, value in seen["headers"]:
            if name.lower() == "set-cookie" and value.strip().startswith("csrftoken="):
                self.cookie = value.strip().split(";", 1)[0]
        return seen["status"], body

    def get(self, path: str, query: str = "") -> tuple[str, str]:
        return self._call(self._environ("GET", path, query))

    def post(self, path: str, data: dict[str, str]) -> tuple[str, str]:
        body = urlencode({"csrfmiddlewaretoken": self.token, **data}).encode()
        return self._call(self._environ("POST", path, body=body))

    # The lookups, each returning (status, page).
    def by_number(self, t: Target) -> tuple[str, str]:
        return self.post("/verify/", {"key": t.number, "name": t.name})

    def by_id_number(self, t: Target) -> tuple[str, str]:
        return self.post("/verify/", {"key": t.id_number, "name": t.name})

    def by_code(self, t: Target) -> tuple[str, str]:
        return self.get("/verify/", urlencode({"no": t.number, "code": t.code}))

    def form(self, t: Target) -> tuple[str, str]:
        return self.get("/verify/")

    def miss(self, t: Target) -> tuple[str, str]:
        return self.post("/verify/", {"key": t.number, "name": t.name + "甲"})


KINDS = {
    "by_number": "number and name (POST)",
    "by_id_number": "ID number and name (POST)",
    "by_code": "QR link: number and verification code (GET)",
    "miss": "a miss: number and a wrong name (POST)",
}


# The yardstick: the same page through the same stack without a lookup (no database, no
# cache). A shared host's speed drifts by half within the hour; the ratio shows what the
# lookup itself costs, whatever the machine did meanwhile.
YARDSTICK = {"form": "the empty form (GET, no lookup: this machine's yardstick)"}


def targets(n: int) -> list[Target]:
    """``n`` valid certificates spread over the whole table (a different one each lookup)."""
    from certificates.models import Certificate

    ids = list(Certificate.objects.filter(status=Certificate.Status.VALID).values_list("pk", flat=True))
    chosen = random.Random(15).sample(ids, min(n, len(ids)))
    rows = Certificate.objects.filter(pk__in=chosen).values_list(
        "number", "holder_name", "holder_id_number", "verification_code"
    )
    found = [Target(*row) for row in rows]
    random.Random(16).shuffle(found)
    return found


def check(kind: str, t: Target, status: str, page: str) -> None:
    from certificates.views import NOT_FOUND

    assert status.startswith("200"), f"{kind}: {status}"
    if kind == "form":
        assert 'name="csrfmiddlewaretoken"' in page and t.number not in page, kind
    elif kind == "miss":
        assert NOT_FOUND in page, f"{kind}: found"
    else:
        assert t.number in page and NOT_FOUND not in page, f"{kind}: {t.number} not found"
    assert t.id_number not in page, f"{kind}: full ID number on the page"


def queries_of(browser: Browser, kind: str, t: Target) -> dict[str, int]:
    """The database queries of one lookup, by kind of statement."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        check(kind, t, *getattr(browser, kind)(t))
    statements = [q["sql"].lstrip().split(" ", 1)[0].upper() for q in captured.captured_queries]
    return {
        "reads": sum(1 for s in statements if s == "SELECT"),
        "writes": sum(1 for s in statements if s in ("INSERT", "UPDATE", "DELETE")),
        "settings": sum(1 for s in statements if s == "SET"),
        "all": sum(1 for s in statements if s not in ("BEGIN", "COMMIT")),
    }


def persistent_connections() -> None:
    """The database connection as production keeps it (config/settings/production.py:
    ``CONN_MAX_AGE`` 60 s, ``CONN_HEALTH_CHECKS`` on), not a new connection per request as
    the local settings do (``CONN_MAX_AGE`` 0: connecting would cost more than the lookup)."""
    from django.db import connection

    for settings_dict in (connection.settings_dict,):
        settings_dict["CONN_MAX_AGE"] = 60
        settings_dict["CONN_HEALTH_CHECKS"] = True
    connection.close()


def figures(args: argparse.Namespace) -> list[Figure]:
    args = prepare(args)
    from django.conf import settings

    from certificates.models import Certificate

    settings.JIANDING_VERIFY_RATE = f"{HIGH}/m"
    settings.JIANDING_VERIFY_DAILY_RATE = f"{HIGH}/d"
    persistent_connections()
    runs, per_run = getattr(args, "runs", 5), getattr(args, "lookups", 1000)
    from config.wsgi import application  # production's entry point, start-up frozen for the collector

    browser = Browser(application)
    sample = targets(SAMPLE)
    total = Certificate.objects.count()
    for kind in {**KINDS, **YARDSTICK}:  # each answers right before it is timed (and warms the process)
        for t in sample[:20]:
            check(kind, t, *getattr(browser, kind)(t))
    counts = {kind: queries_of(browser, kind, sample[0]) for kind in KINDS}

    cpu: dict[str, list[float]] = {kind: [] for kind in {**KINDS, **YARDSTICK}}

    def rate(kind: str) -> Callable[[], float]:
        lookup = getattr(browser, kind)
        position = [0]

        def run() -> float:
            start, start_cpu = time.perf_counter(), time.process_time()
            for i in range(per_run):
                t = sample[(position[0] + i) % len(sample)]
                status, _page = lookup(t)
                if not status.startswith("200"):
                    raise AssertionError(f"{kind}: {status}")
            position[0] += per_run
            cpu[kind].append((time.process_time() - start_cpu) / per_run)
            return per_run / (time.perf_counter() - start)

        return run

    quiet = settle(args.url)
    load_before, ticks_before = os.getloadavg()[0], cpu_times()
    samples = interleaved(runs, {kind: rate(kind) for kind in {**KINDS, **YARDSTICK}})
    stolen = stolen_share(ticks_before, cpu_times())
    # The machine's load (1-minute average) before and after: other work on the machine
    # takes its share of the cores from this one process.
    load = f"load {load_before:.1f}→{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, {stolen:.0%} stolen"
    section = f"public lookup ({total:,} certificates, {connection_name()}, cache {cache_name()}, {quiet}, {load})"
    found: list[Figure] = []
    yardstick = samples["form"]

    def cpu_note(kind: str) -> str:
        return f"{runs} runs × {per_run}; {statistics.median(cpu[kind]) * 1000:.2f} ms CPU of this process each"

    for kind, label in KINDS.items():
        # Each round's lookups against the same round's yardstick, then the median.
        ratio = statistics.median(a / b for a, b in zip(samples[kind].values, yardstick.values, strict=True))
        found.append(
            Figure.of(
                section,
                f"lookups/s, {label}",
                samples[kind],
                "/s",
                goal=f"≥ {GOAL_RATE:g}/s",
                met=samples[kind].median >= GOAL_RATE,
                note=f"{cpu_note(kind)}; {ratio:.0%} of the yardstick's rate",
            )
        )
    found.append(Figure.of(section, f"pages/s, {YARDSTICK['form']}", yardstick, "/s", note=cpu_note("form")))
    for kind, label in KINDS.items():
        c = counts[kind]
        found.append(
            Figure(
                section,
                f"database reads per lookup, {label}",
                c["reads"],
                "queries",
                goal=f"≤ {GOAL_QUERIES} besides rate-limit counters",
                met=c["reads"] <= GOAL_QUERIES,
                note=(
                    f"+ {c['writes']} write (the access log of a certificate found"
                    + (", after SET LOCAL synchronous_commit" if c["settings"] else "")
                    + ")"
                    if c["writes"]
                    else ""
                ),
            )
        )
    return found


def cache_name() -> str:
    from django.conf import settings

    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def connection_name() -> str:
    from django.db import connection

    return f"{connection.vendor} {connection.settings_dict['NAME']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_arguments(parser)
    print(report(figures(parser.parse_args())))


if __name__ == "__main__":
    main()
