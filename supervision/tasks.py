"""Celery tasks: ids in, one service call, nothing else. Late acknowledgement (settings) means a
task whose worker dies is delivered again; the services make that harmless."""

from __future__ import annotations

from typing import TypedDict

from celery import shared_task

from kit import clock

from . import services


class RetryOptions(TypedDict):
    """The options below, typed so that they can be spread into ``shared_task``."""

    acks_late: bool
    reject_on_worker_lost: bool
    autoretry_for: tuple[type[BaseException], ...]
    max_retries: int
    retry_backoff: bool


RETRIED: RetryOptions = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (Exception,),
    "max_retries": 3,
    "retry_backoff": True,
}


@shared_task(**RETRIED)
def daily_sweep() -> dict[str, int]:
    """The daily run (on the beat schedule at 06:30): see ``services.daily_sweep_run``."""
    return services.daily_sweep_run(today=clock.today())


@shared_task(name="certificates.tasks.daily_sweep", **RETRIED)
def daily_sweep_under_its_old_name() -> dict[str, int]:
    """The same task under the name it had before it moved here, for messages sent under that
    name (a beat not yet restarted after the upgrade, a retry in flight). Remove in a later release."""
    return services.daily_sweep_run(today=clock.today())
