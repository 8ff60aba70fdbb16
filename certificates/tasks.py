"""Celery tasks of the certificates app: no business logic, one service call each."""

from __future__ import annotations

from celery import shared_task

from kit import clock

from . import notices


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
