"""Celery tasks of the certificates app: no business logic, one service call each."""

from __future__ import annotations

from celery import shared_task

from kit import clock

from . import notices, retention, stray_files


@shared_task(acks_late=True, reject_on_worker_lost=True)
def deidentify_ended_cases() -> dict[str, int]:
    """The retention rule (``certificates.retention``), for a beat entry an administrator
    adds in 定时任务 (none is created: de-identification cannot be undone, so it starts
    only when someone decides to). Idempotent and locked per person: a task delivered
    twice, or two beats, change nothing twice."""
    report = retention.deidentify_ended_cases(actor=None, today=clock.today())
    return {
        "deidentified": len(report.deidentified),
        "contact_removed": len(report.contact_removed),
        "photos": report.photos,
        "consent_scans": report.consent_scans,
    }


@shared_task(
    name="certificates.tasks.candidate_notices",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    max_retries=3,
    retry_backoff=True,
)
def candidate_notices() -> int:
    """The daily candidate notices (on the beat schedule at 09:00): see ``notices.sweep``.
    Redelivered or retried, it sends nothing twice (the notice log's unique constraint)."""
    return notices.sweep(clock.today())


@shared_task(name="certificates.tasks.sweep_stray_files", acks_late=True, reject_on_worker_lost=True)
def sweep_stray_files() -> int:
    """The nightly sweep of stored files no row names (``stray_files.sweep``, on the beat at
    03:30). Safe to run twice: a file already gone is not listed again."""
    return len(stray_files.sweep().deleted)
