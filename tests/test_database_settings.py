"""What the app sets on its own PostgreSQL connections (config/settings/base.py)."""

import pytest
from django.db import connection


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_a_connection_costs_random_reads_as_memory_does_and_keeps_a_request_on_one_core():
    if connection.vendor != "postgresql":
        pytest.skip("planner settings are PostgreSQL's: set DATABASE_URL to a PostgreSQL database")
    # PostgreSQL's defaults are 4 and 2: a province's surname search read every registration,
    # in three processes at once.
    assert float(_setting("random_page_cost")) == 1.1
    assert _setting("max_parallel_workers_per_gather") == "0"
