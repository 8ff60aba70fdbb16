"""Issuance benchmark (issue #15, "issuance as a set"): one officer prepares a batch of
passed cases and a second officer approves it, certificates numbered, archived and traced,
on PostgreSQL (a measurement, not a test).

    .venv/bin/python bench/issuance_bench.py [--issuance-sizes 1000,10000] [--runs 3]

Database: ``jianding_bench_issuance`` on the bench server (``bench.common.database_url``),
its own: it is dropped and built again when it holds fewer cases than the largest size (or
with ``--rebuild``), and its certificate tables are emptied between runs. Consent scans
and their archived copies go to a media folder of its own (``JIANDING_MEDIA_ROOT``,
default ``$TMPDIR/jianding_bench_issuance_media``).

The cases, built once with bulk inserts (each row's history included), are what
``certificates.selectors.issuance_refusals`` asks for and nothing is bent to pass: ten
stations of the Xiamen centre; candidates with valid GB 11643 ID numbers (Xiamen address
codes, real check digits) and two- or three-character Chinese names; registered in August
and September (before the last week before the cut-off, so no bunching), reviewed eligible
on a matched route, a consent form signed before the exam with its scan (``--scan-kb``,
random bytes), one approved application per station and occupation submitted by
2020-10-31, sessions of 30 held on site in November with seven registry examiners (one per
five candidates, an odd number) and 30 seats, results entered by one examiner and
confirmed by another at least four weeks before the issue date (no burst), published, publicity
over. Issue date 2020-12-21.

Each run (untimed before it): the certificate tables emptied (TRUNCATE: the archive
refuses DELETE), the consent forms un-archived, the archived copies removed. Timed:
``batch_prepare`` then ``batch_approve`` of a size's cases (every ``total / size``-th case,
so every station is in); checked after: all issued, numbers 1…N. The sizes' runs are
interleaved (``bench.common.interleaved``). SQL statements are counted with an execute
wrapper (no query log, which would slow the run).

Goals: 10,000 cases ≤ 60 s; per-case time at 10,000 within 1.2× of 1,000. The 1.2× is a
choice: issuance that is linear in the cases stays well inside it on a shared machine, a
step per case that grows with the batch (a lock held longer, a list searched, a sort, the
garbage collector over everything kept) does not."""

from __future__ import annotations

import argparse
import datetime
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, Samples, database_url, interleaved, report, setup_django

DATABASE = "jianding_bench_issuance"
STATIONS = 10
SESSION_SIZE = 30
EXAMINERS = 7  # one per five candidates, an odd number
OCCUPATIONS = ["美发师", "美容师", "保育员"]  # of Fujian's 42, level 5
DISTRICTS = ["350203", "350205", "350206", "350211", "350212", "350213"]  # Xiamen
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建波宁志忠斌海鑫晨"
ISSUE_DAY = datetime.date(2020, 12, 21)
GOAL_SECONDS = 60.0
GOAL_RATIO = 1.2
TABLES = [  # emptied between runs
    "certificates_archiverecord",
    "certificates_historicalarchiverecord",
    "certificates_certificate",
    "certificates_historicalcertificate",
    "certificates_issuanceitem",
    "certificates_historicalissuanceitem",
    "certificates_issuancebatch",
    "certificates_historicalissuancebatch",
    "certificates_numbercounter",
    "certificates_historicalnumbercounter",
]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(p)
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--issuance-sizes", default="1000,10000", help="batch sizes, comma-separated")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--scan-kb", type=int, default=64, help="size of each consent scan")
    p.add_argument("--rebuild", action="store_true", help="drop the bench database and build the cases again")


# --- the database and the cases -------------------------------------------------------------


def _bench_cases_in(url: str) -> int:
    """Passed bench cases in the database (0 when it or its tables do not exist yet)."""
    import psycopg

    try:
        with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
            row = conn.execute(
                "SELECT count(*) FROM appraisals_examresult x "
                "JOIN appraisals_registration r ON r.id = x.registration_id "
                "JOIN catalog_station s ON s.id = r.station_id "
                "WHERE s.code LIKE 'BI%%' AND r.status = 'passed' AND x.published_on IS NOT NULL"
            ).fetchone()
            return int(row[0]) if row else 0
    except psycopg.Error:
        return 0


def _drop(url: str) -> None:
    import psycopg

    admin = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def id_number(rng: random.Random, used: set[str]) -> str:
    """A valid resident ID number (GB 11643), not in ``used``: a Xiamen district, a birth
    date from 1970 to 1999, a sequence and the real check digit."""
    from stdnum.cn import ric

    while True:
        birth = datetime.date(1970, 1, 1) + datetime.timedelta(days=rng.randrange(10950))
        body = f"{rng.choice(DISTRICTS)}{birth:%Y%m%d}{rng.randrange(1, 1000):03d}"
        if body not in used:
            used.add(body)
            return body + ric.calc_check_digit(body + "0")


def build(total: int, scan_kb: int) -> None:
    """``total`` passed cases (see the module's docstring), in bulk inserts."""
    from django.contrib.auth.models import Group
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from appraisals.models import (
        AppraisalApplication,
        Appraiser,
        ConsentForm,
        EligibilityReview,
        ExamAnnouncement,
        ExamResult,
        ExamRoom,
        ExamSession,
        Registration,
        SeatAssignment,
    )
    from candidates.models import Candidate
    from catalog import roles
    from catalog.models import EligibilityRoute, GuidanceCentre, Occupation, Region, Station, User
    from catalog.selectors import publicity_last_day
    from kit import conf

    rng = random.Random(15)
    regions = {r.code: r for r in Region.objects.filter(code__in=["350000", "350200", *DISTRICTS])}
    province = GuidanceCentre.objects.create(
        code="BI-FJ", name="福建省中心", level="province", region=regions["350000"]
    )
    centre = GuidanceCentre.objects.create(
        code="BI-XM", name="厦门市中心", level="city", parent=province, region=regions["350200"]
    )
    stations = Station.objects.bulk_create(
        [
            Station(
                code=f"BI{i:03d}",
                name=f"厦门第{i}鉴定站",
                region=regions.get(DISTRICTS[i % len(DISTRICTS)], regions["350200"]),
                centre=centre,
            )
            for i in range(1, STATIONS + 1)
        ]
    )

    def user(username: str, role: str, last: str, first: str, **fields) -> User:
        made = User.objects.create(username=username, last_name=last, first_name=first, is_staff=True, **fields)
        made.groups.add(Group.objects.get(name=role))
        return made

    user("bench_officer_a", roles.CENTRE_OFFICER, "林", "晓红", centre=centre)
    user("bench_officer_b", roles.CENTRE_OFFICER, "陈", "志明", centre=centre)
    occupations = [Occupation.objects.get(name=name) for name in OCCUPATIONS]
    # The route each review matched: the occupation's own for level 5, else the national
    # default (one year in the trade; every candidate has at least one).
    default_route = EligibilityRoute.objects.filter(
        occupation__isnull=True, level="5", apprenticeship=False, min_years__lte=1
    ).first()
    routes = {o.pk: default_route for o in occupations}
    routes |= {r.occupation_id: r for r in EligibilityRoute.objects.filter(occupation__in=occupations, level="5")}
    people = {}
    for station in stations:
        clerk = user(f"bench_clerk_{station.code}", roles.STATION_CLERK, "黄", "丽", station=station)
        examiners = [
            user(f"bench_examiner_{station.code}_{i}", roles.EXAMINER, "吴", f"考{i}", station=station)
            for i in range(EXAMINERS)
        ]
        registry = Appraiser.objects.bulk_create(
            [
                Appraiser(
                    name=e.get_full_name(),
                    user=e,
                    certificate_number=f"KPY-BI-{e.pk:06d}",
                    role=Appraiser.Role.EXAMINER,
                    levels="54321",
                    region=regions["350000"],
                    valid_from=datetime.date(2019, 1, 1),
                    valid_to=datetime.date(2022, 12, 31),
                )
                for e in examiners
            ]
        )
        for entry in registry:
            entry.occupations.add(*occupations)
        people[station.pk] = (clerk, examiners, registry)
    made = ExamAnnouncement.objects.bulk_create(
        [
            ExamAnnouncement(
                station=s,
                occupation=o,
                level="5",
                title=f"{s.name}{o.name}（五级）鉴定公告",
                publish_date=datetime.date(2020, 7, 20),
                fee=Decimal("200.00"),
                published_by=people[s.pk][0],
            )
            for s in stations
            for o in occupations
        ]
    )
    announcements = {(a.station_id, a.occupation_id): a for a in made}

    # The cases: station and occupation round-robin, then grouped into sessions of 30.
    plan = [(stations[i % STATIONS], occupations[(i // STATIONS) % len(occupations)]) for i in range(total)]
    candidates = []
    used: set[str] = set()
    for _ in range(total):
        candidate = Candidate(
            name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2)))),
            id_number=id_number(rng, used),
            phone=f"13{rng.randrange(10**9):09d}",
            education=Candidate.Education.SENIOR,
            years_in_trade=rng.randint(1, 10),
            diploma=Candidate.Diploma.NONE,
        )
        # The candidate's own rules (ID number, birth date and sex from it, name, phone).
        candidate.full_clean(validate_unique=False, validate_constraints=False)
        candidates.append(candidate)
    Candidate.objects.bulk_create(candidates, batch_size=2000)

    groups: dict[tuple[int, int], list[int]] = {}
    for index, (station, occupation) in enumerate(plan):
        groups.setdefault((station.pk, occupation.pk), []).append(index)
    applications = {}
    for (station_id, occupation_id), _ in groups.items():
        clerk = people[station_id][0]
        applications[(station_id, occupation_id)] = AppraisalApplication(
            station_id=station_id,
            centre=centre,
            submitted_date=datetime.date(2020, 10, 12),
            submitted_by=clerk,
            status=AppraisalApplication.Status.APPROVED,
            decided_date=datetime.date(2020, 10, 16),
            decided_by=User.objects.get(username="bench_officer_a"),
        )
    AppraisalApplication.objects.bulk_create(list(applications.values()))

    registrations = []
    for index, (station, occupation) in enumerate(plan):
        registrations.append(
            Registration(
                candidate=candidates[index],
                announcement=announcements[(station.pk, occupation.pk)],
                station=station,
                registration_date=datetime.date(2020, 8, 3) + datetime.timedelta(days=rng.randrange(45)),
                fee=Decimal("200.00"),
                status=Registration.Status.PASSED,
                application=applications[(station.pk, occupation.pk)],
                registered_by=people[station.pk][0],
            )
        )
    Registration.objects.bulk_create(registrations, batch_size=2000)

    EligibilityReview.objects.bulk_create(
        [
            EligibilityReview(
                registration=r,
                review_date=r.registration_date + datetime.timedelta(days=1),
                passed=True,
                matched_route=routes[r.announcement.occupation_id],
                findings="符合申报条件。",
                reviewer=r.registered_by,
            )
            for r in registrations
        ],
        batch_size=2000,
    )
    consents = []
    for r in registrations:
        scan = default_storage.save(
            f"consent/{r.station.code}/{r.pk}/自愿书.pdf",
            ContentFile(b"%PDF-1.4\n" + rng.randbytes(scan_kb * 1024 - 9)),
        )
        consents.append(
            ConsentForm(
                registration=r,
                station_id=r.station_id,
                signed_date=r.registration_date + datetime.timedelta(days=2),
                scan=scan,
                received_by=r.registered_by,
            )
        )
    ConsentForm.objects.bulk_create(consents, batch_size=2000)

    # Sessions of 30, on site, in November; one room of 30 seats, two invigilators.
    sessions, rooms, seats, results = [], [], [], []
    session_of: dict[int, tuple[ExamSession, int]] = {}
    by_pk = {s.pk: s for s in stations}
    day_index = 0
    for (station_id, occupation_id), members in groups.items():
        for start in range(0, len(members), SESSION_SIZE):
            day = datetime.date(2020, 11, 2) + datetime.timedelta(days=day_index % 18)
            day_index += 1
            station = by_pk[station_id]
            session = ExamSession(
                application=applications[(station_id, occupation_id)],
                kind=ExamSession.Kind.EXAM,
                occupation_id=occupation_id,
                level="5",
                date=day,
                start_time=datetime.time(9, 0),
                end_time=datetime.time(11, 30),
                place=f"{station.name}考点",
                region=station.region,
                held=True,
            )
            sessions.append(session)
            for seat, index in enumerate(members[start : start + SESSION_SIZE], start=1):
                session_of[index] = (session, seat)
    ExamSession.objects.bulk_create(sessions)
    examiner_links = []
    for session in sessions:
        registry = people[session.application.station_id][2]
        examiner_links += [
            ExamSession.examiners.through(examsession_id=session.pk, appraiser_id=e.pk) for e in registry
        ]
        rooms.append(ExamRoom(session=session, name="第1考场", capacity=SESSION_SIZE))
    ExamSession.examiners.through.objects.bulk_create(examiner_links)
    ExamRoom.objects.bulk_create(rooms)
    room_of = {room.session_id: room for room in rooms}
    ExamRoom.invigilators.through.objects.bulk_create(
        [
            ExamRoom.invigilators.through(examroom_id=room.pk, appraiser_id=e.pk)
            for room in rooms
            for e in people[room.session.application.station_id][2][:2]
        ]
    )
    working_days = conf.publicity_working_days()
    for index, registration in enumerate(registrations):
        session, seat = session_of[index]
        seats.append(
            SeatAssignment(
                session=session,
                registration=registration,
                room=room_of[session.pk],
                seat_number=seat,
                ticket_number=f"{registration.station.code}{session.pk:05d}{seat:03d}",
            )
        )
        examiners = people[registration.station_id][1]
        published = session.date + datetime.timedelta(days=3)
        results.append(
            ExamResult(
                registration=registration,
                station_id=registration.station_id,
                session=session,
                attempt=ExamResult.Attempt.FIRST,
                theory_score=Decimal(rng.randint(60, 98)),
                practical_score=Decimal(rng.randint(60, 98)),
                passed=True,
                entered_by=examiners[0],
                confirmed_by=examiners[1],
                confirmed_at=timezone.make_aware(
                    datetime.datetime.combine(session.date + datetime.timedelta(days=2), datetime.time(16))
                ),
                published_on=published,
                publicity_last_day=publicity_last_day(published, working_days),
            )
        )
    SeatAssignment.objects.bulk_create(seats, batch_size=2000)
    ExamResult.objects.bulk_create(results, batch_size=2000)
    print(f"built {total:,} passed cases: {STATIONS} stations, {len(sessions)} sessions", file=sys.stderr)


# --- the runs -----------------------------------------------------------------------------------


def reset() -> None:
    """Untimed: no certificate, batch, number or archive; every consent form un-archived."""
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")
        cursor.execute(
            "UPDATE appraisals_consentform SET archived_at = NULL, archived_by_id = NULL, scan_sha256 = '' "
            "WHERE archived_at IS NOT NULL"
        )
        cursor.execute("DELETE FROM appraisals_historicalconsentform WHERE archived_at IS NOT NULL")
        cursor.execute("VACUUM ANALYZE appraisals_consentform")
    shutil.rmtree(Path(settings.MEDIA_ROOT) / "archive", ignore_errors=True)


class Counter:
    """Counts the SQL statements run (an execute wrapper: no query log)."""

    def __init__(self) -> None:
        self.statements = 0

    def __call__(self, execute, sql, params, many, context):
        self.statements += 1
        return execute(sql, params, many, context)


def issue_run(size: int, pks: list[int], statements: list[float], cpu: list[float]):
    """One contender: reset, then prepare and approve ``size`` cases; returns the seconds."""

    def run() -> float:
        from django.db import connection
        from django.utils import timezone

        from appraisals.models import Registration
        from catalog.models import GuidanceCentre, User
        from certificates import services
        from certificates.models import Certificate, IssuanceBatch

        reset()
        registrations = list(Registration.objects.filter(pk__in=pks).only("pk"))
        centre = GuidanceCentre.objects.get(code="BI-XM")
        a, b = User.objects.get(username="bench_officer_a"), User.objects.get(username="bench_officer_b")
        now = timezone.make_aware(datetime.datetime.combine(ISSUE_DAY, datetime.time(10)))
        counter = Counter()
        cpu_start = time.process_time()
        start = time.perf_counter()
        with connection.execute_wrapper(counter):
            batch = services.batch_prepare(actor=a, centre=centre, registrations=registrations, prepared_on=ISSUE_DAY)
            batch = services.batch_approve(actor=b, batch=batch, issue_date=ISSUE_DAY, now=now)
        elapsed = time.perf_counter() - start
        cpu.append(time.process_time() - cpu_start)
        assert batch.status == IssuanceBatch.Status.APPROVED, batch.rush_flags
        sequences = sorted(Certificate.objects.filter(batch=batch).values_list("sequence", flat=True))
        assert sequences == list(range(1, size + 1)), "numbers not gap-free"
        statements.append(counter.statements)
        return elapsed

    return run


def figures(args: argparse.Namespace) -> list[Figure]:
    """Prepare and approve each size ``args.runs`` times, interleaved; the figures with goals."""
    # run_all hands over its own options only: the sizes are this bench's (--issuance-sizes).
    sizes = sorted(int(s) for s in str(getattr(args, "issuance_sizes", "1000,10000")).split(",") if s.strip())
    url = database_url(DATABASE)
    media = os.environ.setdefault(
        "JIANDING_MEDIA_ROOT", str(Path(tempfile.gettempdir()) / "jianding_bench_issuance_media")
    )
    if getattr(args, "rebuild", False) or _bench_cases_in(url) < sizes[-1]:
        _drop(url)
        shutil.rmtree(media, ignore_errors=True)
        fresh = True
    else:
        fresh = False
    setup_django(url)
    if fresh:
        from django.db import connection, transaction

        from catalog.services import catalog_load

        catalog_load()
        with transaction.atomic():  # all or nothing: a half-built database is built again
            build(sizes[-1], getattr(args, "scan_kb", 64))

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    from appraisals.models import Registration

    everything = list(
        Registration.objects.filter(station__code__startswith="BI", status=Registration.Status.PASSED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    statements: dict[int, list[float]] = {size: [] for size in sizes}
    cpu: dict[int, list[float]] = {size: [] for size in sizes}
    contenders = {}
    for size in sizes:
        step = len(everything) / size
        pks = [everything[int(i * step)] for i in range(size)]
        contenders[f"{size}"] = issue_run(size, pks, statements[size], cpu[size])
    samples = interleaved(args.runs, contenders)
    reset()

    section = "issuance as a set (prepare + approve, PostgreSQL)"
    found: list[Figure] = []
    per_case: dict[int, Samples] = {}
    for size in sizes:
        seconds = samples[f"{size}"]
        per_case[size] = Samples([v / size for v in seconds.values])
        goal = {"goal": f"≤ {GOAL_SECONDS:.0f} s", "met": seconds.median <= GOAL_SECONDS} if size == 10_000 else {}
        # The machine may be shared: the Django process's own CPU time says how much of the
        # wall time was spent in Python (the rest: PostgreSQL, the disk, waiting for a core).
        note = f"Django process CPU {statistics.median(cpu[size]):.1f} s"
        found.append(Figure.of(section, f"{size:,} cases: seconds", seconds, "s", note=note, **goal))
        found.append(
            Figure.of(section, f"{size:,} cases: ms per case", Samples([v * 1000 for v in per_case[size].values]), "ms")
        )
        found.append(
            Figure.of(
                section,
                f"{size:,} cases: statements per case",
                Samples([n / size for n in statements[size]]),
                "",
                note=f"{statistics.median(statements[size]):.0f} statements a batch",
            )
        )
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        ratio = per_case[large].median / per_case[small].median
        found.append(
            Figure(
                section,
                f"per-case time, {large:,} ÷ {small:,}",
                ratio,
                "×",
                (per_case[large].low / per_case[small].high, per_case[large].high / per_case[small].low),
                goal=f"≤ {GOAL_RATIO}×",
                met=ratio <= GOAL_RATIO,
            )
        )
        # The same ratio of the Django process's CPU time: what the code does, whatever the
        # other tenants of the machine do to the wall clock.
        cpu_small = Samples([v / small for v in cpu[small]])
        cpu_large = Samples([v / large for v in cpu[large]])
        found.append(
            Figure(
                section,
                f"per-case Django CPU, {large:,} ÷ {small:,}",
                cpu_large.median / cpu_small.median,
                "×",
                (cpu_large.low / cpu_small.high, cpu_large.high / cpu_small.low),
            )
        )
    return found


def main() -> None:
    print(report(figures(parser().parse_args())))


if __name__ == "__main__":
    main()
