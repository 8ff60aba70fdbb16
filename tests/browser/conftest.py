"""Browser tests: Playwright for Python driving Debian's Chromium against a live server on
the demo data, as people really work.

The demo data set is built once per run (migrate + ``load_demo`` into an SQLite file with
the business date 2020-09-20); each test gets a copy of that file and its own
``runserver`` process, so every test starts from the same demo and none sees another's
changes. Each step's screenshot lands in ``browser-shots/`` (git ignores it; CI keeps it).

Every page a test opens fails the test on an HTTP error, a console error or visible
English interface text (``Walk.check``)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("JIANDING_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "browser-shots"
BUSINESS_DATE = "2020-09-20"
PASSWORD = "jianding-demo"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

# Interface words Django or a library shows in English when a translation or a label is
# missing. Matched as whole words in the page's visible text.
ENGLISH = re.compile(
    r"\b(?:Add|Change|Delete|History|Save|Select|Action|Actions|Filter|Search|Home|Log out|None|True|False|"
    r"CHANGES|HISTORY_CHANGE_REASON|PK|ID|Forbidden|Not Found|Server Error|CSRF|Traceback)\b"
)


def _server_env(database: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.browser",
        DATABASE_URL=f"sqlite:///{database}",
        REDIS_URL="",  # Celery eager and a cache of its own: the server shares nothing with the tests
        JIANDING_BUSINESS_DATE=BUSINESS_DATE,
        JIANDING_MEDIA_ROOT=str(database.parent / "media"),
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data set in an SQLite file, built once per test run."""
    folder = tmp_path_factory.mktemp("demo")
    database = folder / "demo.sqlite3"
    env = _server_env(database)
    for command in (["migrate", "--noinput", "-v", "0"], ["load_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    return database


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def live_demo(demo_database: Path, tmp_path: Path) -> Iterator[str]:
    """A server of this test's own on a copy of the demo data; yields its base URL."""
    database = tmp_path / "demo.sqlite3"
    shutil.copy(demo_database, database)
    media = demo_database.parent / "media"
    if media.exists():
        shutil.copytree(media, tmp_path / "media")
    port = _free_port()
    # The server logs every request: to a file, since a pipe nobody reads fills up and
    # blocks it.
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
        cwd=ROOT,
        env=_server_env(database),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/verify/", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError((tmp_path / "server.log").read_text()) from None
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Walk:
    """One person's walk through the back office in one browser context: every page is
    checked as it loads, every step leaves a screenshot."""

    def __init__(self, browser, base: str, name: str, viewport: dict[str, int]) -> None:
        self.base = base
        self.name = name
        self.context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.expected_statuses: set[int] = set()
        self.steps = 0
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"页面脚本错误：{error}"))
        self.page.on("response", self._response)

    def _console(self, message) -> None:
        # A failed load is reported with its address by _response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"控制台错误：{message.text}")

    def _response(self, response) -> None:
        if response.status >= 400 and response.status not in self.expected_statuses:
            self.problems.append(f"HTTP {response.status}：{response.url}")

    def goto(self, path: str):
        self.page.goto(self.base + path)
        return self.check(path)

    def check(self, step: str = ""):
        """Screenshot the page and fail on what a person should never see."""
        self.steps += 1
        SHOTS.mkdir(exist_ok=True)
        label = re.sub(r"[^\w一-龥-]+", "_", step).strip("_")[:60] or "page"
        self.page.screenshot(path=SHOTS / f"{self.name}-{self.steps:02d}-{label}.png", full_page=True)
        text = self.page.inner_text("body")
        english = sorted(set(ENGLISH.findall(text)))
        assert not english, f"{step}：页面上有英文界面文字 {english}"
        assert not self.problems, f"{step}：" + "；".join(self.problems)
        return self.page

    def login(self, username: str):
        self.goto("/admin/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("input[type=submit]")
        self.page.wait_for_load_state()
        return self.check(f"login-{username}")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def walk(browser, live_demo, request):
    """``walk(name, viewport=DESKTOP)``: a fresh browser context on this test's server."""
    opened: list[Walk] = []

    def start(name: str | None = None, viewport: dict[str, int] = DESKTOP) -> Walk:
        one = Walk(browser, live_demo, name or request.node.name, viewport)
        opened.append(one)
        return one

    yield start
    for one in opened:
        one.close()


def demo_rows(database: Path, sql: str, *params: object) -> list[tuple]:
    """Read the demo data as the test's server holds it (sqlite3, no Django)."""
    import sqlite3

    with sqlite3.connect(database) as connection:
        return connection.execute(sql, params).fetchall()


@pytest.fixture
def demo_certificate(demo_database: Path) -> dict[str, str]:
    """The demo's first certificate: the one load_demo prints for /verify/."""
    [(number, name, id_number, code)] = demo_rows(
        demo_database,
        "SELECT number, holder_name, holder_id_number, verification_code FROM certificates_certificate "
        "WHERE number = ?",
        "FJ-XM-2020-000001",
    )
    return {"number": number, "name": name, "id_number": id_number, "code": code}
