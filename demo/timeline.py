"""The demo's calendar: which business date the story is told up to, and the clock each
act runs on.

The demo tells the story of 2020 as it stands on the business date (``kit.clock.today()``,
``JIANDING_BUSINESS_DATE``; ``scripts/demo.sh`` sets 2020-09-20): every act of the plan
dated on or before that day has happened, nothing after it has. Each act runs with the
clock set to its own day, so what the back office stamps on its own (the trace's
history rows, the time scores were entered, notifications) carries the act's day too,
never a later one."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings

D = datetime.date

# The first-half appraisals (demo.certificates) were all issued by 2020-09-03: a business
# date before this day would have to undo part of them.
EARLIEST_BUSINESS_DATE = D(2020, 9, 7)
# The last day of the story: Fujian's appraisals and retakes are completed by 2020-12-31.
STORY_LAST_DAY = D(2020, 12, 31)


class TooEarly(Exception):
    """The business date is before the demo's story can be told (a Chinese message)."""


@dataclass(frozen=True)
class Cut:
    """How far the story is told: ``until`` is the last day on which acts have happened
    (None: the whole story, every act of 2020 is in the past)."""

    today: datetime.date
    until: datetime.date | None

    def done(self, day: datetime.date) -> bool:
        """Has an act planned for ``day`` happened by the business date?"""
        return self.until is None or day <= self.until

    @property
    def note(self) -> str:
        if self.until is not None:
            return (
                f"业务日期 {self.today:%Y-%m-%d}：演示数据只包含这一天及以前发生的事，"
                "此后的报名、审查、考试、成绩、退费和发证都还没有发生（已排定的考试场次尚未举行）。"
            )
        return (
            f"今天（{self.today:%Y-%m-%d}）晚于演示故事的最后一天（2020-12-31）："
            "2020年全年的报名、鉴定、补考和退费都已结束，每一步都按2020年的实际日期生成，都早于今天。"
            "要看2020年9月的工作现场，请设置 JIANDING_BUSINESS_DATE=2020-09-20 后用新数据库重新载入。"
        )


WHOLE_STORY = Cut(today=STORY_LAST_DAY, until=None)


def cut_at(today: datetime.date) -> Cut:
    """The story as it stands on ``today`` (the business date, or the clock's date)."""
    if today < EARLIEST_BUSINESS_DATE:
        raise TooEarly(
            f"业务日期 {today:%Y-%m-%d} 太早：演示数据讲的是2020年鉴定退出的故事，"
            f"上半年的鉴定到9月初才发证完毕，业务日期须不早于 {EARLIEST_BUSINESS_DATE:%Y-%m-%d}。"
            "请设置 JIANDING_BUSINESS_DATE（例如 2020-09-20）后重试。"
        )
    return Cut(today=today, until=today if today <= STORY_LAST_DAY else None)


@contextlib.contextmanager
def on(day: datetime.date) -> Iterator[None]:
    """Run an act of the story with the clock on its day (``kit.clock`` reads the business
    date from the settings on every call)."""
    before = settings.JIANDING_BUSINESS_DATE
    settings.JIANDING_BUSINESS_DATE = day
    try:
        yield
    finally:
        settings.JIANDING_BUSINESS_DATE = before
