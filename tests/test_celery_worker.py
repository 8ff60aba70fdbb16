"""A task goes through Redis to a real Celery worker and reaches PostgreSQL."""

import pytest

from catalog.models import Occupation
from catalog.tasks import reload_catalog

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


def test_reload_catalog_runs_on_a_worker_and_repairs_an_edited_row(real_worker):
    Occupation.objects.filter(name="车工").update(batch="2")
    result = reload_catalog.delay()
    counts = result.get(timeout=60)
    assert counts["occupations"] == 192
    assert result.status == "SUCCESS"
    assert Occupation.objects.get(name="车工").batch == "1"
