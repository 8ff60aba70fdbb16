"""The one clock of the back office.

"Today" is the business date when ``JIANDING_BUSINESS_DATE`` is set (demos, training,
replaying 2020) and the local date otherwise; "now" is that day at the current local
wall time, so a replay of 2020 stamps 2020 on every entry, confirmation and closing.
No other module reads the wall clock for a business time (tests/test_conventions.py
scans the source for it)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from kit import conf


def today() -> datetime.date:
    configured = conf.business_date()
    if configured:
        return configured
    return timezone.localdate()


def now() -> datetime.datetime:
    wall = timezone.localtime()
    configured = conf.business_date()
    if not configured:
        return wall
    return wall.replace(year=configured.year, month=configured.month, day=configured.day)


def wall() -> datetime.datetime:
    """The machine's own time, whatever the business date: for what the machine stamps itself
    (a stored file's modification time), never for a business time."""
    return timezone.now()


def local_day(moment: datetime.datetime) -> datetime.date:
    """The local calendar day of a stored time (times are kept in UTC)."""
    return timezone.localdate(moment)
