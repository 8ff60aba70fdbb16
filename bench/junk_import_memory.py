"""Peak memory of importing a 50 MB junk CSV (a measurement, not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jianding_bench \\
        .venv/bin/python bench/junk_import_memory.py [--mb 50] [--runs 3]

Writes two junk registration files of ``--mb`` megabytes each, one in UTF-8 and one in
GB18030: the template's header, then realistic junk, line after line: good-looking rows with
bad ID numbers, rows with too few and too many columns, an unknown occupation, impossible
dates, Excel's scientific notation, formula cells, a long cell, blank lines and lines of
random bytes read as text. Each import runs in a fresh Python process (``--child``), which reports its
resident set before the import and its peak (``VmHWM``) after it; the growth is the figure.
Several runs per file; the median and the spread are printed with the goal (< 512 MB).

Uses the database of bench/import_bench.py (created, migrated, catalog loaded if needed):
never point it at a database you care about. The junk is refused, so nothing is written.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))  # its neighbour import_bench.py

GOAL_MB = 512
HEADER = "姓名,身份证号,联系电话,职业,等级,报名日期,文化程度,工作年限\n"


def junk_lines(rng: random.Random, encoding: str):
    """Lines of junk, each already encoded in the file's encoding (a file of undecodable
    bytes is refused whole at once, which costs nothing: the junk here gets to the rows)."""
    from import_bench import id_number

    i = 0
    while True:
        i += 1
        good_id = id_number(i)
        kind = i % 10
        if kind == 0:  # random bytes read as text (mojibake, stray quotes and commas); no NUL
            noise = bytes(rng.randrange(32, 256) for _ in range(rng.randrange(20, 200)))
            yield noise.decode("gb18030", "replace").encode(encoding, "replace") + b"\n"
            continue
        text = {
            1: f"考生{i},{good_id[:-1]}X,13800138000,美发师,五级/初级工,2020-09-10,高中,3",  # bad check digit
            2: f"考生{i},{good_id}",  # too few columns
            3: f"考生{i},{good_id},13800138000,美发师,五级,2020-09-10,高中,3,多余,多余,多余",  # too many
            4: f"考生{i},{good_id},13800138000,不存在的职业,五级/初级工,2020-09-10,高中,3",
            5: f"考生{i},{good_id},13800138000,美发师,五级/初级工,2020-02-31,高中,3",  # no such day
            6: f"考生{i},3.50203E+17,1.38001E+10,美发师,五级/初级工,2020-09-10,高中,3",  # Excel's notation
            7: f'=HYPERLINK("http://x"),{good_id},+8613800138000,美发师,五级/初级工,2020-09-10,高中,-3',
            8: f"{'长' * 300},{good_id},13800138000,美发师,九级,2020-09-10,博士后,三年",
            9: "",
        }[kind]
        yield (text + "\n").encode(encoding, "replace")


def write_junk(path: Path, megabytes: int, encoding: str, seed: int = 14) -> int:
    rng = random.Random(seed)
    target = megabytes * 1024 * 1024
    written = 0
    lines = 0
    with path.open("wb") as out:
        out.write(HEADER.encode(encoding))
        chunk: list[bytes] = []
        for line in junk_lines(rng, encoding):
            chunk.append(line)
            written += len(line)
            lines += 1
            if len(chunk) == 10_000:
                out.write(b"".join(chunk))
                chunk = []
            if written >= target:
                break
        out.write(b"".join(chunk))
    return lines


def rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def child(path: str, url: str) -> None:
    """One import in this fresh process: print the RSS growth as JSON."""
    from import_bench import organisation

    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from appraisals.importing import import_file

    station, clerk = organisation()
    before = rss_kb("VmRSS")
    started = time.perf_counter()
    report = import_file(Path(path), station=station, actor=clerk)
    seconds = time.perf_counter() - started
    peak = rss_kb("VmHWM")
    print(
        json.dumps(
            {
                "growth_mb": (peak - before) / 1024,
                "peak_mb": peak / 1024,
                "seconds": seconds,
                "rows": report.rows,
                "errors_kept": len(report.errors),
                "error_total": report.error_total,
                "problem": report.problem[:200],
                "saved": report.saved,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=50, help="size of each junk file in MB (50)")
    parser.add_argument("--runs", type=int, default=3, help="imports per file, each in a fresh process (3)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if args.child:
        child(args.child, url)
        return

    from import_bench import ensure_database, organisation, setup_django

    ensure_database(url)
    setup_django(url)
    organisation()  # the station and clerk the children use, made once here
    growths: list[float] = []
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        for encoding in ("utf-8", "gb18030"):
            path = Path(folder) / f"junk-{encoding}.csv"
            lines = write_junk(path, args.mb, encoding)
            print(f"{path.name}: {path.stat().st_size / 1024 / 1024:.1f} MB, {lines:,} lines")
            for run in range(1, args.runs + 1):
                done = subprocess.run(
                    [sys.executable, __file__, "--child", str(path)],
                    env={**os.environ, "DATABASE_URL": url},
                    capture_output=True,
                    text=True,
                    cwd=ROOT,
                )
                if done.returncode != 0:
                    print(done.stderr[-3000:])
                    failed = True
                    continue
                result = json.loads(done.stdout.strip().splitlines()[-1])
                growths.append(result["growth_mb"])
                print(
                    f"  run {run}: RSS growth {result['growth_mb']:.0f} MB (peak {result['peak_mb']:.0f} MB), "
                    f"{result['seconds']:.1f} s, {result['rows']:,} rows, {result['error_total']:,} errors "
                    f"({result['errors_kept']:,} kept), saved: {result['saved']}"
                    + (f", refused: {result['problem']}" if result["problem"] else "")
                )
    if not growths:
        sys.exit("no run finished")
    median = statistics.median(growths)
    print(
        f"peak RSS growth over {len(growths)} runs: median {median:.0f} MB, "
        f"spread {min(growths):.0f}–{max(growths):.0f} MB; goal < {GOAL_MB} MB: "
        + ("met" if max(growths) < GOAL_MB and not failed else "missed")
    )


if __name__ == "__main__":
    main()
