"""The consent list's 扫描件 空 filter (forms recorded on paper whose scan is still to be
attached, 3% of them) is answered from its own partial index ``consent_station_no_scan``:
at a million cases a province officer's count read 33,000 forms to find 1,000 without a scan
(41 ms; bench/admin_bench.py), where the index holds only those."""

import pytest

from appraisals.models import ConsentForm
from tests.plans import plan_without_the_table

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.mark.parametrize("stations", [[1], [1, 2, 3]], ids=["a clerk's station", "a province's stations"])
def test_forms_without_a_scan_are_counted_from_their_own_index(stations):
    plan = plan_without_the_table(ConsentForm.objects.filter(station__in=stations, scan="").values("pk"))
    assert "Index Only Scan using consent_station_no_scan" in plan, plan
