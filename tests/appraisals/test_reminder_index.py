"""The reminder sweep's grouped count (pending registrations per status and announcement)
is answered from the index ``registration_status_announce`` alone: at a million
registrations that is the difference between reading half the table and reading the index
(bench/reminder_bench.py shows both plans)."""

import pytest
from django.db import connection

from appraisals.reminders import pending_counts

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_the_grouped_count_needs_no_row_of_the_table():
    sql, params = pending_counts().query.sql_with_params()
    with connection.cursor() as cursor:
        # A test database is tiny and never vacuumed, so the planner may prefer any plan: rule
        # out every plan that reads the table (sequential, bitmap and plain index scans), and
        # only an index that holds every column the count needs can still answer it.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using registration_status_announce" in plan, plan
