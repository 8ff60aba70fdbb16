"""Celery tasks: ids in, a service call, nothing else. Late acknowledgement (settings) means a
task whose worker dies is delivered again; the services make that harmless."""

from celery import shared_task

from appraisals import reminders
from catalog.clock import business_today

from .supervision import review_queue_refresh


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def daily_sweep() -> dict[str, int]:
    """The daily run: reminders before each deadline, then the supervisors' review queue."""
    today = business_today()
    sent = reminders.sweep(today)
    flagged = review_queue_refresh(actor=None, today=today)
    return {"reminders": sent, "review_items": flagged}
