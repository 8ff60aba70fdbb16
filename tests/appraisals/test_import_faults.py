"""Faults against the real PostgreSQL: the import's own database connection killed while it
writes, and the same file imported twice at once.

Both stop the import half way through its saving deterministically: a lock that blocks
inserts into the registration table (held by the test) makes the import wait there, with
its candidates written and its registrations not, until the test lets go or kills it."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection, connections, transaction

from appraisals.importing import ImportInterrupted, run_import_job
from appraisals.models import ImportJob, Registration
from candidates.models import Candidate
from tests.appraisals.test_import_engine import csv_file, registration_rows
from tests.supervision.test_sweep_faults import redis_of_our_own  # noqa: F401 - a fixture

pytestmark = [pytest.mark.postgres]

ROWS = 30


def new_job(orgs, staff, name: str = "名单.csv") -> ImportJob:
    job = ImportJob(station=orgs["xm1"], user=staff["clerk"], original_name=name)
    job.file.save(name, ContentFile(csv_file(registration_rows(ROWS), "gb18030")), save=True)
    return job


def in_thread(target: Callable[[], object]) -> tuple[threading.Thread, dict[str, object]]:
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = target()
        except BaseException as error:  # handed to the test
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def backends_waiting() -> list[int]:
    """Other backends of this database waiting for a lock (the import's, at the test's lock:
    its COPY into the registration table shows no query text, so none is matched)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # inside a transaction the view is frozen
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND wait_event_type = 'Lock'"
        )
        return [pid for (pid,) in cursor.fetchall()]


def wait_for(found: Callable[[], list[int]], seconds: float = 20) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pids = found()
        if pids:
            return pids
        time.sleep(0.05)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, wait_event_type, left(query, 120) FROM pg_stat_activity "
            "WHERE datname = current_database()"
        )
        seen = cursor.fetchall()
    raise AssertionError(f"{seconds} 秒内导入没有走到保存报名这一步：{seen}")


@contextmanager
def registrations_blocked() -> Iterator[None]:
    """Hold a lock that lets nobody insert registrations until the block ends."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Registration._meta.db_table} IN SHARE MODE")
        yield


def imported_people() -> int:
    return Candidate.objects.filter(name__startswith="考生").count()


def test_the_import_connection_killed_mid_write_saves_nothing_says_so_and_the_retry_succeeds(
    committed_db, staff, orgs, announcement
):
    job = new_job(orgs, staff)
    with registrations_blocked():
        thread, outcome = in_thread(lambda: run_import_job(job.pk, staff["clerk"].pk, last_attempt=False))
        [pid] = wait_for(backends_waiting)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    thread.join(timeout=60)

    # Nothing half-saved: the candidates written before the kill went with the transaction.
    assert imported_people() == 0 and Registration.objects.count() == 0
    assert Candidate.history.filter(name__startswith="考生").count() == 0
    # The job says what happened, in Chinese, keeps the file and asks the task to retry.
    assert isinstance(outcome.get("error"), ImportInterrupted)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.file
    assert "数据库连接中断" in job.report["problem"] and "未保存任何数据" in job.report["problem"]
    assert "自动重新导入" in job.report["problem"]

    # The retry (the task's next attempt) imports the whole file once.
    report = run_import_job(job.pk, staff["clerk"].pk)
    job.refresh_from_db()
    assert report is not None and report.saved
    assert job.status == ImportJob.Status.DONE and not job.file
    assert imported_people() == ROWS and Registration.objects.count() == ROWS


def test_on_the_last_attempt_a_lost_connection_fails_the_job_and_removes_the_file(
    committed_db, staff, orgs, announcement
):
    job = new_job(orgs, staff)
    with registrations_blocked():
        thread, outcome = in_thread(lambda: run_import_job(job.pk, staff["clerk"].pk))
        [pid] = wait_for(backends_waiting)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    thread.join(timeout=60)

    assert "error" not in outcome
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and not job.file and job.finished_at
    assert "数据库连接中断" in job.report["problem"] and "重新上传" in job.report["problem"]
    assert run_import_job(job.pk, staff["clerk"].pk) is None  # finished: a stray redelivery changes nothing
    assert imported_people() == 0


def test_the_same_file_imported_twice_at_once_registers_once_and_the_second_says_why(
    committed_db, staff, orgs, announcement
):
    first, second = new_job(orgs, staff, "名单.csv"), new_job(orgs, staff, "名单（再次提交）.csv")
    with registrations_blocked():
        one, one_outcome = in_thread(lambda: run_import_job(first.pk, staff["clerk"].pk))
        wait_for(backends_waiting)
        two, two_outcome = in_thread(lambda: run_import_job(second.pk, staff["clerk"].pk))
        two.join(timeout=60)  # refused at once, while the first still waits to save
    one.join(timeout=60)

    assert "error" not in one_outcome and "error" not in two_outcome
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == ImportJob.Status.DONE
    assert second.status == ImportJob.Status.REFUSED
    assert "正在导入" in second.report["problem"] and "未导入任何数据" in second.report["problem"]
    assert imported_people() == ROWS and Registration.objects.count() == ROWS

    # Sent again once the first is done: nothing new, nothing twice.
    third = new_job(orgs, staff, "名单（第三次）.csv")
    report = run_import_job(third.pk, staff["clerk"].pk)
    assert report is not None and report.ok and report.registrations_created == 0
    assert Registration.objects.count() == ROWS


@pytest.mark.redis
def test_a_worker_process_killed_mid_import_runs_the_job_again_and_saves_it_once(
    committed_db,
    staff,
    orgs,
    announcement,
    tmp_path,
    redis_of_our_own,  # noqa: F811 - the fixture imported above
):
    """SIGKILL of the pool process saving the file: the task (acknowledged late, rejected when
    its process is lost) is delivered again, marked redelivered, and the job it left
    “running” is run again. PostgreSQL ends a dead client's backend when it next reads from
    it; this one is waiting for the test's lock, so the test ends it, as PostgreSQL would."""
    from tests.supervision.test_sweep_faults import celery_client, stack, wait

    job = new_job(orgs, staff)
    with stack(tmp_path / "import-killed", redis_of_our_own) as running:
        worker_log = running.worker(
            "2020-09-20"
        )  # on the business date: a wall-clock import of 2020 rows is a late entry
        with registrations_blocked():
            celery_client(redis_of_our_own).send_task(
                "appraisals.tasks.import_registrations_task", args=[job.pk, staff["clerk"].pk]
            )
            [backend] = wait_for(backends_waiting)
            main = running.processes[0].pid
            [child] = Path(f"/proc/{main}/task/{main}/children").read_text().split()
            os.kill(int(child), signal.SIGKILL)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [backend])

        def finished() -> bool:
            job.refresh_from_db()
            return job.is_finished

        wait("导入任务重新执行完毕", finished, 60, worker_log)
        assert "WorkerLostError" in worker_log.read_text() or "signal 9" in worker_log.read_text()
    assert job.status == ImportJob.Status.DONE, job.report
    assert imported_people() == ROWS and Registration.objects.count() == ROWS
