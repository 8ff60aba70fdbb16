"""The publicity period (公示) counts working days: weekends and public holidays excluded,
make-up working days (调休) included."""

import datetime

import pytest

from catalog.selectors import is_working_day, publicity_last_day

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2020, 9, 25), True),  # Friday
        (D(2020, 9, 26), False),  # Saturday
        (D(2020, 9, 27), True),  # Sunday, but a make-up working day
        (D(2020, 10, 1), False),  # National Day
        (D(2020, 10, 9), True),  # Friday after the holiday
        (D(2020, 10, 10), True),  # Saturday make-up day
    ],
)
def test_working_days_follow_the_holiday_table(day, working):
    assert is_working_day(day) is working


def test_five_working_days_from_a_monday_end_on_friday():
    assert publicity_last_day(D(2020, 11, 2), 5) == D(2020, 11, 6)


def test_publication_on_a_saturday_starts_counting_on_monday():
    assert publicity_last_day(D(2020, 11, 7), 5) == D(2020, 11, 13)


def test_the_national_day_week_is_skipped_and_the_make_up_days_count():
    # Mon 9-28, Tue 9-29, Wed 9-30, then 10-1..10-8 off, Fri 10-9 and Sat 10-10 working.
    assert publicity_last_day(D(2020, 9, 28), 5) == D(2020, 10, 10)
    assert publicity_last_day(D(2020, 9, 28), 3) == D(2020, 9, 30)
    assert publicity_last_day(D(2020, 9, 28), 4) == D(2020, 10, 9)


def test_a_period_of_no_days_is_refused():
    with pytest.raises(ValueError, match="至少为1个工作日"):
        publicity_last_day(D(2020, 11, 2), 0)
