"""A task goes through Redis to a real Celery worker and reaches PostgreSQL."""

import pytest
from celery.contrib.testing.worker import start_worker

from catalog.models import Occupation
from catalog.tasks import reload_catalog
from config.celery import app

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


@pytest.fixture
def real_worker(committed_db):
    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = True


def test_reload_catalog_runs_on_a_worker_and_repairs_an_edited_row(real_worker):
    Occupation.objects.filter(name="车工").update(batch="2")
    result = reload_catalog.delay()
    counts = result.get(timeout=60)
    assert counts["occupations"] == 192
    assert result.status == "SUCCESS"
    assert Occupation.objects.get(name="车工").batch == "1"
