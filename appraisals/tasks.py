"""Celery tasks of the case. They take ids, load nothing but what the service needs, and
hold no rules: the importer and its housekeeping live in ``appraisals.importing``."""

from __future__ import annotations

from celery import Task, shared_task

from . import importing


@shared_task(bind=True, autoretry_for=(importing.ImportInterrupted,), max_retries=3, retry_backoff=True)
def import_registrations_task(self: Task, upload_id: int, user_id: int) -> dict[str, object] | None:
    """Import the file of ImportJob ``upload_id`` as user ``user_id``; the job records
    progress and outcome, so the clerk can leave the page and come back. A lost database
    connection (nothing saved, the job says so) is retried with the kept file."""
    last_attempt = self.request.retries >= (self.max_retries or 0)
    # Acknowledged late and rejected when its worker process is lost (settings): the broker
    # hands the message out again, marked redelivered, and the job it left running runs again.
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    report = importing.run_import_job(upload_id, user_id, last_attempt=last_attempt, redelivered=redelivered)
    return None if report is None else report.to_dict(max_errors=20)


@shared_task
def purge_import_files_task() -> int:
    """Remove uploads left at the preview step for more than an hour (schedule it hourly)."""
    return importing.purge_import_files()
