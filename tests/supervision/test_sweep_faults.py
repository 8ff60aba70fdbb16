"""Faults during the daily reminder sweep, against real processes: a Redis of the test's own
(its own port), a Celery worker (prefork, as deployed) and beat processes, on the test's
PostgreSQL database, e-mail written to files (tests/mailbox.py). Each reminder is sent exactly
once — in the inbox and by e-mail — through:

1. Redis stopped and started again while the sweep is sending;
2. the worker process running the sweep killed (SIGKILL) while sending: the task runs again;
3. two beat processes sending the sweep at the same moments.

One test, three phases, each at its own business date (so each has reminders of its own to
send): the database with the catalog is made once, which is most of the cost."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from catalog.models import Notification, ReminderLog, User
from tests.mailbox import received

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
SWEEP = "supervision.tasks.daily_sweep"
QUIET = ["--without-gossip", "--without-mingle", "--without-heartbeat"]


def free_port() -> int:
    for port in range(6390, 6400):  # the ports set aside for this test's Redis
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise AssertionError("6390–6399 端口都被占用")


def wait(what: str, done: Callable[[], object], seconds: float = 60, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"{seconds} 秒内没有等到：{what}\n{tail}")


class Redis:
    def __init__(self, port: int, folder: Path) -> None:
        self.port, self.folder = port, folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
        )
        import redis

        def answers() -> bool:
            try:
                return bool(redis.Redis(port=self.port, socket_timeout=1).ping())
            except redis.ConnectionError:
                return False

        wait("Redis 启动", answers, 20)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


class Stack:
    """The worker and beat processes of one phase, on the test database and our Redis."""

    def __init__(self, folder: Path, redis: Redis) -> None:
        self.folder, self.redis = folder, redis
        self.mailbox = folder / "mail"
        self.mailbox.mkdir()
        self.processes: list[subprocess.Popen] = []
        settings = connection.settings_dict
        self.database_url = (
            f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
            f"/{settings['NAME']}"
        )

    def env(self, business_date: str) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DJANGO_DEBUG": "0",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis.url,
            "DJANGO_EMAIL_BACKEND": "tests.mailbox.EmailBackend",
            "JIANDING_TEST_MAILBOX": str(self.mailbox),
            "JIANDING_BUSINESS_DATE": business_date,
            "JIANDING_MEDIA_ROOT": str(django_settings.MEDIA_ROOT),  # the test's uploads
        }

    def start(self, name: str, args: list[str], business_date: str) -> Path:
        log = self.folder / f"{name}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args],
            cwd=ROOT,
            env=self.env(business_date),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return log

    def worker(self, business_date: str, concurrency: int = 1) -> Path:
        log = self.start(
            "worker",
            ["worker", "-l", "info", "-P", "prefork", "-c", str(concurrency), "-n", "faults@%h", *QUIET],
            business_date,
        )
        wait("worker 就绪", lambda: "ready." in log.read_text(errors="replace"), 60, log)
        return log

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes = []


@pytest.fixture
def redis_of_our_own(tmp_path: Path) -> Iterator[Redis]:
    server = Redis(free_port(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def stack(folder: Path, redis: Redis) -> Iterator[Stack]:
    folder.mkdir()
    running = Stack(folder, redis)
    try:
        yield running
    finally:
        running.stop()


def celery_client(redis: Redis):
    from celery import Celery

    return Celery("faults-test", broker=redis.url, backend=redis.url)


def last_log() -> int:
    return ReminderLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def all_emailed() -> bool:
    return ReminderLog.objects.exists() and not ReminderLog.objects.filter(emailed_at__isnull=True).exists()


def assert_each_reminder_once(box: Path, phase: str, after: int = 0) -> int:
    """Every reminder the phase logged (send-log ids above ``after``) in its mailbox once."""
    mail = Counter(received(box))
    twice = {key: count for key, count in mail.items() if count > 1}
    assert not twice, f"{phase}：有提醒邮件发了不止一次：{twice}"
    logs = list(ReminderLog.objects.filter(pk__gt=after).select_related("recipient", "notification"))
    expected = Counter(
        (log.recipient.email, log.notification.title) for log in logs if log.recipient.email and log.notification
    )
    assert mail == expected, f"{phase}：邮件与发送记录不一致"
    assert Notification.objects.filter(pk__in=[log.notification_id for log in logs]).count() == len(logs)
    assert Notification.objects.count() == ReminderLog.objects.count(), f"{phase}：站内通知与发送记录不一致"
    return len(mail)


def test_each_reminder_is_sent_once_through_a_redis_restart_a_killed_worker_and_two_beats(
    committed_db, case, tmp_path, redis_of_our_own
):
    redis = redis_of_our_own
    client = celery_client(redis)
    case.register().review().consent()  # consent given, application not submitted: due before 10-31
    for user in User.objects.all():
        User.objects.filter(pk=user.pk).update(email=f"{user.username}@example.gov.cn")

    # 1. Redis stopped and started again while the sweep is e-mailing (its send log committed).
    with stack(tmp_path / "redis-restart", redis) as running:
        worker_log = running.worker("2020-10-17")
        (running.mailbox / "pause").touch()
        first = client.send_task(SWEEP)
        wait("扫描开始发邮件", lambda: list(running.mailbox.glob("waiting-*")), 60, worker_log)
        redis.stop()
        time.sleep(1)
        redis.start()
        (running.mailbox / "pause").unlink()
        wait("邮件发出", all_emailed, 60)
        again = client.send_task(SWEEP).get(timeout=60)  # the next run (beat, or a retry) after the restart
        assert again["reminders"] == 0
        sent = assert_each_reminder_once(running.mailbox, "Redis 重启")
        assert sent >= 2
        assert first.id  # sent before the restart; its result went with the restarted Redis

    # 2. The worker process running the sweep killed (SIGKILL) while e-mailing: the task runs again.
    with stack(tmp_path / "worker-killed", redis) as running:
        worker_log = running.worker("2020-10-24")
        logs_before = last_log()
        (running.mailbox / "pause").touch()
        task = client.send_task(SWEEP)
        wait("扫描开始发邮件", lambda: list(running.mailbox.glob("waiting-*")), 60, worker_log)
        [marker] = running.mailbox.glob("waiting-*")
        os.kill(int(marker.name.split("-")[1]), signal.SIGKILL)
        (running.mailbox / "pause").unlink()
        wait("任务重新执行并发出邮件", all_emailed, 60, worker_log)
        # Acknowledged late and rejected when its process is lost: the message went back to the
        # queue and the same task ran again on a new process (nothing new to log, all to e-mail).
        wait("任务再次成功", lambda: re.search(rf"Task {SWEEP}\[{task.id}\] succeeded", worker_log.read_text()), 30)
        assert "WorkerLostError" in worker_log.read_text() or "signal 9" in worker_log.read_text()
        assert last_log() > logs_before
        assert_each_reminder_once(running.mailbox, "杀掉 worker", logs_before)

    # 3. Two beat processes, each sending the sweep every second, for a few seconds.
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="故障测试：每秒扫描", task=SWEEP, interval=every_second)
    with stack(tmp_path / "two-beats", redis) as running:
        worker_log = running.worker("2020-10-28", concurrency=2)
        logs_before = last_log()
        for name in ("beat-a", "beat-b"):
            running.start(
                name,
                ["beat", "-l", "info", "--pidfile", str(running.folder / f"{name}.pid"), "--max-interval", "1"],
                "2020-10-28",
            )

        def sweeps_sent_by_both() -> bool:
            beats = [running.folder / f"{name}.log" for name in ("beat-a", "beat-b")]
            return all(log.exists() and log.read_text().count("Sending due task 故障测试") >= 3 for log in beats)

        wait("两个 beat 各发出 3 次扫描", sweeps_sent_by_both, 60, running.folder / "beat-a.log")
        PeriodicTask.objects.filter(name="故障测试：每秒扫描").update(enabled=False)
        for process in running.processes[1:]:
            os.killpg(process.pid, signal.SIGTERM)
        import redis as redis_client

        queue = redis_client.Redis.from_url(redis.url)
        wait("队列清空", lambda: queue.llen("celery") == 0, 60, worker_log)
        client.send_task(SWEEP).get(timeout=60)  # behind every sweep the beats sent

        def count(word: str) -> int:
            return len(re.findall(rf"Task {SWEEP}\[[^\]]+\] {word}", worker_log.read_text()))

        # The other pool process may still be on the last beat's sweep: wait for every one received.
        wait("收到的扫描都已完成", lambda: count("succeeded") >= max(count("received"), 7), 60, worker_log)
        assert last_log() > logs_before
        assert_each_reminder_once(running.mailbox, "两个 beat", logs_before)
