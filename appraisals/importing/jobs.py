"""Files and background jobs: import a file (any of the kinds ``reading`` knows), start
an ``ImportJob`` for a large file and run it on a worker with its progress in the cache,
and remove the uploads nobody will confirm (they hold personal data)."""

from __future__ import annotations

import datetime
import logging
import os
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q

from catalog.models import Station, User
from catalog.trace import service
from kit import clock
from kit.errors import RuleError

from ..models import ImportJob, LateEntryApproval
from .checking import BATCH_SIZE, Progress, RegistrationImporter
from .reading import open_table
from .report import ImportRefused, ImportReport

logger = logging.getLogger(__name__)

STORED_ERRORS = 10_000  # errors kept in an ImportJob's report (the total is always kept)


def import_file(
    source: str | Path | bytes | IO[bytes],
    *,
    station: Station,
    actor: User | None,
    dry_run: bool = False,
    file_name: str = "",
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    writer: str = "auto",
    late_entry_approval: LateEntryApproval | None = None,
) -> ImportReport:
    """Read a file (CSV in any of the three encodings, or XLSX) and import it; a file of
    late entries (补录) only under ``late_entry_approval``."""
    try:
        table = open_table(source)
    except ImportRefused as refusal:
        return ImportReport(station=station.code, dry_run=dry_run, problem=str(refusal))
    try:
        importer = RegistrationImporter(
            station=station,
            actor=actor,
            batch_size=batch_size,
            progress=progress,
            writer=writer,
            late_entry_approval=late_entry_approval,
        )
        return importer.run(
            table.headers,
            table.rows,
            dry_run=dry_run,
            source=table.source,
            file_name=file_name or (Path(source).name if isinstance(source, str | os.PathLike) else ""),
            estimated_rows=table.estimated_rows,
        )
    except ImportRefused as refusal:  # found while reading the rows
        return ImportReport(station=station.code, dry_run=dry_run, problem=str(refusal))
    finally:
        table.close()


DATABASE_LOST = "数据库连接中断，本次未保存任何数据（保存是一个整体，已全部撤销）。"
RETRY_COMING = "文件已保留，系统将自动重新导入，请稍后刷新本页查看结果。"
RETRY_BY_HAND = "自动重试已用完，请稍后重新上传文件导入；已登记的行不会重复登记。"


class ImportInterrupted(Exception):
    """The job's database connection was lost; its file is kept for the task's retry."""


def run_import_job(
    job_id: int, user_id: int, *, last_attempt: bool = True, redelivered: bool = False
) -> ImportReport | None:
    """Run one queued ImportJob (the Celery task calls this).

    1. Claim the job: a conditional update from “queued” (or from “failed” with its file kept
       after a lost database connection) to “running”; a job already claimed is left alone
       (a second delivery of the same message), unless the broker ``redelivered`` the task
       because the worker process running it died (SIGKILL, out of memory): then nothing of
       that run was saved (one transaction) and the job is run again.
    2. Import its file as the user, recording progress on the job as it goes.
    3. Store the report and the outcome; remove the uploaded file, which holds personal
       data and is no longer needed. If the database connection is lost (the saving is one
       transaction, so nothing is half-saved), the job says so and, unless this was the
       ``last_attempt``, keeps its file and raises ``ImportInterrupted`` for the task to retry."""
    claimed = (
        ImportJob.objects.filter(pk=job_id)
        .filter(
            Q(status=ImportJob.Status.QUEUED)
            | Q(status=ImportJob.Status.FAILED, report__retry=True)
            | (Q(status=ImportJob.Status.RUNNING) if redelivered else Q(pk__in=[]))
        )
        .update(status=ImportJob.Status.RUNNING, phase="检查")
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("station", "late_entry_approval").get(pk=job_id)
    actor = User.objects.get(pk=user_id)

    def progress(phase: str, done: int, total: int | None) -> None:
        live = {"phase": phase, "processed_rows": done, "total_rows": total or done}
        # The saving runs in one transaction, so the job row's progress shows only at its
        # commit; the cache (Redis, shared with the web processes) shows it meanwhile.
        cache.set(_progress_key(job_id), live, timeout=PROGRESS_TTL)
        ImportJob.objects.filter(pk=job_id).update(**live)

    report = None
    keep_file = False
    try:
        with job.file.open("rb") as stream:
            report = import_file(
                stream,
                station=job.station,
                actor=actor,
                dry_run=job.dry_run,
                file_name=job.original_name,
                progress=progress,
                late_entry_approval=job.late_entry_approval,
            )
        status = ImportJob.Status.DONE if report.ok else ImportJob.Status.REFUSED
        stored = report.to_dict(max_errors=STORED_ERRORS)
    except (OperationalError, InterfaceError):
        # The connection died (a restarted or failed-over database, a killed backend):
        # drop it, so that recording the outcome opens a new one.
        logger.warning("报名导入任务 %s 的数据库连接中断", job_id, exc_info=True)
        connection.close()
        status = ImportJob.Status.FAILED
        keep_file = not last_attempt
        stored = {"problem": DATABASE_LOST + (RETRY_COMING if keep_file else RETRY_BY_HAND), "retry": keep_file}
    except Exception:
        logger.exception("报名导入任务 %s 出错", job_id)
        status = ImportJob.Status.FAILED
        stored = {"problem": "处理文件时出错，未保存任何数据。请检查文件后重新导入，或联系系统管理员。"}
    finally:
        if job.file and not keep_file:
            job.file.delete(save=False)
    finished = None if keep_file else clock.now()
    ImportJob.objects.filter(pk=job_id).update(
        status=status, report=stored, file=job.file.name if keep_file else "", finished_at=finished
    )
    cache.delete(_progress_key(job_id))
    if keep_file:
        raise ImportInterrupted(stored["problem"])
    return report


PROGRESS_TTL = 6 * 3600  # longer than any import; a crashed worker's entry expires


def _progress_key(job_id: int) -> str:
    return f"jianding:import-job-progress:{job_id}"


def job_with_live_progress(job: ImportJob) -> ImportJob:
    """The job as its page shows it: while it runs, with the progress its worker reported
    last, also from inside the saving transaction."""
    if not job.is_finished:
        live = cache.get(_progress_key(job.pk))
        if live:
            for name, value in live.items():
                setattr(job, name, value)
    return job


@service
def import_job_start(
    *,
    actor: User,
    station: Station,
    upload: File,
    dry_run: bool = False,
    late_entry_approval: LateEntryApproval | None = None,
) -> ImportJob:
    """Queue a registration file for a background import: store the upload on a new
    ``ImportJob`` and, once the job is committed, hand its id to a worker
    (``appraisals.tasks.import_registrations_task``, which calls ``run_import_job``)."""
    if not upload.name:
        raise RuleError("上传的文件没有文件名。")
    job = ImportJob(
        station=station,
        user=actor,
        original_name=os.path.basename(upload.name)[:255],
        dry_run=dry_run,
        late_entry_approval=late_entry_approval,
    )
    job.file.save(upload.name, upload, save=False)
    job.save()
    # The task module imports this one (its tasks call ``run_import_job``): import it here.
    from ..tasks import import_registrations_task

    job_id, user_id = job.pk, actor.pk
    transaction.on_commit(lambda: import_registrations_task.delay(job_id, user_id))
    return job


# --- files left behind ---------------------------------------------------------------------------

PREVIEW_FOLDER = "imports/preview"  # under MEDIA_ROOT: uploads waiting at the preview step
PREVIEW_MAX_AGE = datetime.timedelta(hours=1)


def preview_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / PREVIEW_FOLDER


def purge_import_files(*, now: datetime.datetime | None = None, max_age: datetime.timedelta = PREVIEW_MAX_AGE) -> int:
    """Remove uploads that nobody will confirm: files left at the preview step longer
    than ``max_age`` (an hour), and files of finished import jobs (normally removed when
    the job ends; a crashed worker may leave one). They hold personal data. Returns how
    many files were removed."""
    now = now or clock.now()
    removed = 0
    folder = preview_dir()
    if folder.is_dir():
        cutoff = (now - max_age).timestamp()
        for path in folder.iterdir():
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
    for job in ImportJob.objects.filter(status__in=ImportJob.FINISHED).exclude(file=""):
        if job.report.get("retry"):
            continue  # kept for the task's retry after a lost database connection
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")
        removed += 1
    return removed
