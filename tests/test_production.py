"""Production: the settings refuse to start without what production needs, `check --deploy`
is clean, and the production stack (scripts/serve.sh: gunicorn with WhiteNoise, a Celery
worker, beat) serves on loopback against the real PostgreSQL and Redis: a clerk logs in
over HTTP, imports a file through the worker, and a visitor looks a certificate up."""

from __future__ import annotations

import csv
import datetime
import http.client
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest

from catalog.models import SkillLevel
from tests.candidates.factories import make_id_number

ROOT = Path(__file__).resolve().parents[1]
BUSINESS_DATE = "2020-09-20"
PASSWORD = "jianding-demo"

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "ci-only-" + "k" * 60,
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/jianding",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "JIANDING_PUBLIC_URL": "https://jianding.example.gov.cn",
    "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "DJANGO_DEFAULT_FROM_EMAIL": "jianding@example.gov.cn",
}
# What the tests' own environment may hold that must not leak into a production process.
SCRUBBED = {*PRODUCTION, "JIANDING_BUSINESS_DATE", "DJANGO_DEBUG", "JIANDING_MEDIA_ROOT", "JIANDING_STATIC_ROOT"}


def clean_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update(values)
    return env


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=check
    )


# --- the settings -------------------------------------------------------------------------------


def test_production_refuses_to_start_naming_everything_missing():
    refused = manage(clean_env(DJANGO_SETTINGS_MODULE="config.settings.production"), "check", check=False)
    assert refused.returncode != 0
    assert "生产环境配置不完整，未启动" in refused.stderr
    for name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "JIANDING_PUBLIC_URL"):
        assert name in refused.stderr
    assert "DJANGO_EMAIL_BACKEND" in refused.stderr


@pytest.mark.parametrize(
    "variable, value, rule",
    [
        ("DATABASE_URL", "sqlite:///db.sqlite3", "须指向 PostgreSQL"),
        ("JIANDING_PUBLIC_URL", "http://127.0.0.1:8000", "公众能访问的 https 地址"),
        ("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend", "不能是控制台"),
        ("DJANGO_SECRET_KEY", "insecure-local-only-key", "太短或是示例值"),
    ],
)
def test_production_refuses_what_only_suits_a_laptop(variable, value, rule):
    refused = manage(clean_env(**{**PRODUCTION, variable: value}), "check", check=False)
    assert refused.returncode != 0
    assert rule in refused.stderr
    assert value not in refused.stderr or variable != "DJANGO_SECRET_KEY"  # a secret is never echoed


def test_check_deploy_is_clean_with_the_production_settings():
    checked = manage(clean_env(**PRODUCTION), "check", "--deploy", "--fail-level", "WARNING", check=False)
    assert checked.returncode == 0, checked.stderr
    assert "no issues" in checked.stdout


def test_production_connections_carry_the_planner_settings():
    """The same planner settings as every other setting module (tests/test_database_settings.py)."""
    code = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS']['options'])"
    shown = manage(clean_env(**PRODUCTION), "shell", "-c", code)
    assert shown.stdout.splitlines()[-1] == "-c random_page_cost=1.1 -c max_parallel_workers_per_gather=0"


# --- the stack ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Visitor:
    """An HTTP client behind the TLS proxy: every request says it came over HTTPS (as the
    proxy's X-Forwarded-Proto does) and keeps its cookies, Secure ones included."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}
        self.set_cookie_lines: list[str] = []

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"X-Forwarded-Proto": "https", "Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            sent.update(Origin=self.origin, Referer=self.origin + path)
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for line in response.msg.get_all("Set-Cookie") or []:
            self.set_cookie_lines.append(line)
            name, _, rest = line.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        return response.status, dict(response.getheaders()), text

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], str]:
        body = urlencode(fields).encode()
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def post_multipart(
        self, path: str, fields: dict[str, str], file_field: str, file_name: str, content: bytes
    ) -> tuple[int, dict[str, str], str]:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{file_name}"\r\n'
            "Content-Type: text/csv\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST", path, b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found, "页面上没有 CSRF 令牌"
    return found.group(1)


def wait_until_serving(port: int, log: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("scripts/serve.sh 退出了：\n" + log.read_text()[-4000:])
        try:
            status, _, _ = Visitor(port).get("/verify/")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError("90 秒内没有开始服务：\n" + log.read_text()[-4000:])


def database_url(name: str) -> str:
    return urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}"))


def sql(url: str, query: str, *params: object) -> list[tuple]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.execute(query, params)
        return cursor.fetchall() if cursor.description else []


@pytest.fixture
def production_stack(tmp_path: Path) -> Iterator[tuple[int, str]]:
    """The demo data in a PostgreSQL database of its own, served by scripts/serve.sh."""
    name = "jianding_smoke"
    admin_url = database_url("postgres")
    sql(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    sql(admin_url, f"CREATE DATABASE {name}")
    url = database_url(name)
    redis = urlunsplit(urlsplit(os.environ["REDIS_URL"])._replace(path="/13"))
    shared = {
        "DATABASE_URL": url,
        "JIANDING_BUSINESS_DATE": BUSINESS_DATE,
        "JIANDING_MEDIA_ROOT": str(tmp_path / "media"),
    }
    # The demo set is loaded with the local settings (the demo app is never installed in production).
    local = clean_env(DJANGO_SETTINGS_MODULE="config.settings.local", REDIS_URL="", **shared)
    manage(local, "migrate", "--noinput", "-v", "0")
    manage(local, "load_demo")

    import redis as redis_client

    redis_client.Redis.from_url(redis).flushdb()
    port = free_port()
    env = clean_env(
        **{**PRODUCTION, **shared, "REDIS_URL": redis},
        JIANDING_STATIC_ROOT=str(tmp_path / "static"),
        JIANDING_BIND=f"127.0.0.1:{port}",
        JIANDING_PYTHON=sys.executable,
        WEB_CONCURRENCY="2",
        JIANDING_WORKER_CONCURRENCY="1",
        JIANDING_IMPORT_BACKGROUND_BYTES="1",  # every upload goes to the worker
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["scripts/serve.sh"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_until_serving(port, log, process)
            yield port, url
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            sql(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def registration_csv(occupation: str, level_label: str, count: int) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["姓名", "身份证号", "联系电话", "职业", "等级", "报名日期"])
    for i in range(count):
        number = make_id_number(datetime.date(1986, 3, 1) + datetime.timedelta(days=i), 700 + i)
        writer.writerow([f"烟测考生{i:02d}", number, f"1390059{i:04d}", occupation, level_label, "2020-09-15"])
    return text.getvalue().encode("gb18030")


@pytest.mark.postgres
@pytest.mark.redis
def test_the_production_stack_logs_in_imports_through_the_worker_and_answers_the_lookup(production_stack, tmp_path):
    port, url = production_stack
    visitor = Visitor(port)

    # Plain HTTP is sent to HTTPS; the static files come from the web process itself.
    plain = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    plain.request("GET", "/admin/login/", headers={"Host": f"127.0.0.1:{port}"})
    redirected = plain.getresponse()
    assert redirected.status == 301 and redirected.getheader("Location", "").startswith("https://")
    status, headers, page = visitor.get("/admin/login/")
    assert status == 200 and "Strict-Transport-Security" in headers
    stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]+\.css)"', page)
    assert stylesheet, "静态文件没有带散列的文件名（WhiteNoise 的清单存储）"
    assert visitor.get(stylesheet.group(1))[0] == 200

    # A clerk logs in over HTTP; the session cookie is Secure.
    status, headers, _ = visitor.post_form(
        "/admin/login/?next=/admin/",
        {"csrfmiddlewaretoken": csrf_token(page), "username": "clerk_xm001", "password": PASSWORD, "next": "/admin/"},
    )
    assert status == 302 and headers["Location"] == "/admin/"
    assert any(line.startswith("sessionid=") and "Secure" in line for line in visitor.set_cookie_lines)
    status, _, home = visitor.get("/admin/")
    assert status == 200 and "注销" in home  # logged in: the page offers to log out

    # An import goes to the worker through Redis and lands in PostgreSQL.
    [(occupation, level)] = sql(
        url,
        "SELECT o.name, a.level FROM appraisals_examannouncement a JOIN catalog_occupation o ON o.id = a.occupation_id "
        "JOIN catalog_station s ON s.id = a.station_id WHERE s.code = 'XM001' "
        "ORDER BY a.publish_date DESC, a.id LIMIT 1",
    )
    status, _, form = visitor.get("/admin/appraisals/registration/import/")
    assert status == 200
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    fields["csrfmiddlewaretoken"] = csrf_token(form)
    for select in ("format", "resource", "station"):
        chosen = re.search(rf'<select name="{select}"[^>]*>(.*?)</select>', form, re.S)
        if chosen:
            options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)</option>', chosen.group(1))
            wanted = [value for value, label in options if select != "format" or "csv" in label.lower()]
            fields[select] = wanted[0]
    content = registration_csv(occupation, SkillLevel(level).label, 12)
    status, headers, refused = visitor.post_multipart(
        "/admin/appraisals/registration/import/", fields, "import_file", "站点名单.csv", content
    )
    errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', refused, re.S)
    assert status == 302 and "/appraisals/imports/" in headers["Location"], (
        f"上传后没有转到导入任务页：{errors} {fields}"
    )
    job_page = urlsplit(headers["Location"]).path
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        [(job_status, processed)] = sql(
            url, "SELECT status, processed_rows FROM appraisals_importjob ORDER BY id DESC LIMIT 1"
        )
        if job_status not in ("queued", "running"):
            break
        time.sleep(0.5)
    assert (job_status, processed) == ("done", 12)
    [(imported,)] = sql(
        url,
        "SELECT COUNT(*) FROM appraisals_registration r JOIN candidates_candidate c ON c.id = r.candidate_id "
        "WHERE c.name LIKE '烟测考生%%'",
    )
    assert imported == 12
    status, _, shown = visitor.get(job_page)
    assert status == 200 and "12" in shown

    # A visitor looks the demo's first certificate up from the public form.
    lookup = Visitor(port)
    status, _, form = lookup.get("/verify/")
    [(number, holder)] = sql(
        url, "SELECT number, holder_name FROM certificates_certificate WHERE number = 'FJ-XM-2020-000001'"
    )
    fields = {"csrfmiddlewaretoken": csrf_token(form), "key": number, "name": holder}
    status, _, answer = lookup.post_form("/verify/", fields)
    assert status == 200 and number in answer and holder in answer

    # The operations page's backup and restore, run as written: every table comes back whole.
    restored = "jianding_smoke_restored"
    sql(database_url("postgres"), f"DROP DATABASE IF EXISTS {restored} WITH (FORCE)")
    script = backup_restore_block()
    try:
        subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env=clean_env(DATABASE_URL=url, BACKUP_FILE=str(tmp_path / "jianding.dump"), RESTORED_DB=restored),
            check=True,
            capture_output=True,
        )
        assert row_counts(database_url(restored)) == row_counts(url)
    finally:
        sql(database_url("postgres"), f"DROP DATABASE IF EXISTS {restored} WITH (FORCE)")


def backup_restore_block() -> str:
    text = (ROOT / "docs" / "operations.md").read_text()
    after = text.split("<!-- ci: backup-restore", 1)[1]
    return after.split("```sh\n", 1)[1].split("```", 1)[0]


def row_counts(url: str) -> dict[str, int]:
    tables = [t for (t,) in sql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
    assert len(tables) > 50
    return {t: sql(url, f'SELECT COUNT(*) FROM "{t}"')[0][0] for t in tables}
