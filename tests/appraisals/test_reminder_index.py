"""The reminder sweep's grouped count (pending registrations per status and announcement)
is answered from the index ``registration_status_announce`` alone: at a million
registrations that is the difference between reading half the table and reading the index
(bench/reminder_bench.py shows both plans)."""

import pytest

from appraisals.reminders import pending_counts
from tests.plans import plan_without_the_table

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_the_grouped_count_needs_no_row_of_the_table():
    plan = plan_without_the_table(pending_counts())
    assert "Index Only Scan using registration_status_announce" in plan, plan
