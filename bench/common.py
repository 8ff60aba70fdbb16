"""What every benchmark shares: the bench databases, timing several interleaved runs,
median and spread, and one table of figures with each goal met or missed.

A benchmark module exposes ``figures(args) -> list[Figure]`` (run_all calls it) and a
``main()`` that prints ``report(figures(...))`` on its own."""

from __future__ import annotations

import os
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SERVER = os.environ.get("JIANDING_BENCH_SERVER", "postgres://postgres@127.0.0.1:5432")


def database_url(name: str) -> str:
    """The URL of one bench database on the README's PostgreSQL (never the project's own)."""
    return f"{SERVER}/{name}"


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str, *, migrate: bool = True) -> None:
    """Django on ``url`` with the local settings, DEBUG off (as in production), migrated
    (``migrate=False``: a child process on a database its parent has migrated)."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    ensure_database(url)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]
    if migrate:
        call_command("migrate", verbosity=0)


def cpu_times() -> tuple[int, int, int]:
    """(busy, stolen, total) clock ticks of every core since boot (/proc/stat; zeros
    elsewhere). Stolen: the hypervisor ran another machine while this one wanted to run."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:9]]
    except OSError:
        return 0, 0, 0
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return user + nice + system + irq + softirq, steal, sum(fields)


def stolen_share(before: tuple[int, int, int], after: tuple[int, int, int]) -> float:
    """The share of the cores' time the hypervisor gave to other machines between two
    ``cpu_times()``: on a shared host it slows every figure, CPU time included."""
    return (after[1] - before[1]) / max(1, after[2] - before[2])


def settle(url: str, *, busy: float = 0.10, timeout: float = 180.0) -> str:
    """Wait for a quiet machine before a timed section, and say how long it took: the
    dirty pages of earlier sections flushed now (``CHECKPOINT``, then the kernel's), and
    then until no autovacuum runs and the cores are at least 90% idle (and not stolen by
    the hypervisor) for a second. On 2 vCPUs a busy neighbour slows this process's own
    CPU time too: the lookup took 2.7–3.7 ms of CPU a find right after a dataset was
    built and 2.2 on a quiet machine. Gives up after ``timeout`` seconds, saying so."""
    import psycopg

    if cpu_times()[2] == 0:
        return "quiet not checked (no /proc/stat)"
    start = time.monotonic()
    share = 1.0
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        os.sync()
        while time.monotonic() - start < timeout:
            vacuums = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
            ).fetchone()[0]
            before = cpu_times()
            time.sleep(1.0)
            after = cpu_times()
            share = (after[0] - before[0] + after[1] - before[1]) / max(1, after[2] - before[2])
            if not vacuums and share <= busy:
                return f"quiet after {time.monotonic() - start:.0f} s"
    return f"still {share:.0%} busy after {timeout:.0f} s"


@dataclass(frozen=True)
class Samples:
    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def quantile(self, q: float) -> float:
        """The q-quantile (0.9 for p90), by linear interpolation between sorted samples."""
        ordered = sorted(self.values)
        if len(ordered) == 1:
            return ordered[0]
        position = q * (len(ordered) - 1)
        below = int(position)
        above = min(below + 1, len(ordered) - 1)
        return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def interleaved(
    runs: int,
    contenders: dict[str, Callable[[], float | None]],
    before_each: Callable[[], object] | None = None,
) -> dict[str, Samples]:
    """Each contender ``runs`` times, in turn (A B C A B C …, the order rotated each round
    so none always runs first): a drift of the machine lands on all of them alike. A
    contender returns its own figure (rows/s, seconds of its timed part) or None, and is
    then timed as a whole in seconds. ``before_each`` runs untimed before every run (a
    ``settle``: the autovacuum and dirty pages a writing run leaves land on none)."""
    names = list(contenders)
    results: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(runs):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            if before_each is not None:
                before_each()
            start = time.perf_counter()
            figure = contenders[name]()
            elapsed = time.perf_counter() - start
            results[name].append(elapsed if figure is None else figure)
    return {name: Samples(values) for name, values in results.items()}


@dataclass(frozen=True)
class Figure:
    """One printed line: a median with its spread, and a goal it meets or misses (or none)."""

    section: str
    label: str
    value: float
    unit: str
    spread: tuple[float, float] | None = None
    goal: str = ""
    met: bool | None = None
    note: str = ""

    @classmethod
    def of(cls, section: str, label: str, samples: Samples, unit: str, **kwargs) -> Figure:
        return cls(section, label, samples.median, unit, (samples.low, samples.high), **kwargs)


def figures_to_json(figures: list[Figure]) -> str:
    """The figures as JSON (run_all collects them from each benchmark's own process)."""
    import dataclasses
    import json

    return json.dumps([dataclasses.asdict(f) for f in figures], ensure_ascii=False)


def figures_from_json(text: str) -> list[Figure]:
    import json

    found = []
    for item in json.loads(text):
        spread = item.pop("spread")
        found.append(Figure(**item, spread=tuple(spread) if spread else None))
    return found


def _number(value: float, unit: str) -> str:
    if unit in ("%", "×"):
        return f"{value:.1f}{unit}" if unit == "%" else f"{value:.2f}{unit}"
    if value != value:  # NaN: a figure that could not be measured
        return "—"
    if abs(value) >= 1000 or float(value).is_integer():
        return f"{value:,.0f} {unit}"
    if abs(value) >= 10:
        return f"{value:.1f} {unit}"
    return f"{value:.2f} {unit}" if abs(value) >= 0.01 else f"{value:.3g} {unit}"


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: a CJK character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns (CJK characters count as two)."""
    return text + " " * max(0, width - display_width(text))


def report(figures: list[Figure], *, markdown: bool = False) -> str:
    """The figures as a table (plain text, or Markdown for the README and notes)."""
    lines = []
    if markdown:
        lines += ["| section | figure | median | spread | goal | |", "|---|---|---:|---|---|---|"]
    section = None
    for f in figures:
        spread = f"{_number(f.spread[0], f.unit)} – {_number(f.spread[1], f.unit)}" if f.spread else ""
        verdict = "" if f.met is None else ("met" if f.met else "MISSED")
        if markdown:
            label = f.label + (f" ({f.note})" if f.note else "")
            lines.append(f"| {f.section} | {label} | {_number(f.value, f.unit)} | {spread} | {f.goal} | {verdict} |")
            continue
        if f.section != section:
            section = f.section
            lines.append(f"\n== {section} ==")
        goal = f"  goal {f.goal}: {verdict}" if f.goal else ""
        extra = f"  [{f.note}]" if f.note else ""
        spread = f"  ({spread})" if spread else ""
        lines.append(f"{pad(f.label, 58)} {_number(f.value, f.unit):>14}{spread}{goal}{extra}")
    return "\n".join(lines)
