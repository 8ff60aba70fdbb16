"""The “one burst” sign of rushed issuance counts certificates in a rolling window across
batches, per station and per centre: splitting a burst into batches below the threshold
does not hide it."""

import datetime
from decimal import Decimal

import pytest

from appraisals import services as appraisal_services
from catalog.models import Occupation
from certificates import services
from certificates.models import Certificate, IssuanceBatch

from .conftest import FIRST_ISSUE_DAY, at, passed_group

pytestmark = pytest.mark.django_db

D = datetime.date


def issue(officers, orgs, registrations, day):
    batch = services.batch_prepare(actor=officers["a"], centre=orgs["xm"], registrations=registrations, prepared_on=day)
    return services.batch_approve(actor=officers["b"], batch=batch, issue_date=day, now=at(day))


@pytest.fixture
def roomy(settings):
    # 21 candidates in one session with its three examiners and two invigilators.
    settings.JIANDING_STAFF_CANDIDATES_PER_EXAMINER = 10
    settings.JIANDING_STAFF_CANDIDATES_PER_INVIGILATOR = 30


def test_a_burst_split_into_a_batch_of_19_and_another_is_held(roomy, officers, orgs, staff, announcement):
    """Defaults: 20 certificates on results confirmed within 10 days. Results confirmed
    2020-11-21; 19 issued on 11-28 (below the line, issued), 2 more on 11-30 (21 in the
    window): the second batch is held."""
    group, _ = passed_group(staff, orgs, announcement, 21)
    first = issue(officers, orgs, group[:19], FIRST_ISSUE_DAY)
    assert first.status == IssuanceBatch.Status.APPROVED
    second = issue(officers, orgs, group[19:], D(2020, 11, 30))
    assert second.status == IssuanceBatch.Status.HELD
    assert "厦门一站在 2020年11月20日 至 2020年11月30日 的 10 天内，已发 19 本、本批次 2 本" in second.rush_flags
    assert "合计 21 本（提示线 20 本，跨批次累计）" in second.rush_flags
    assert Certificate.objects.count() == 19


@pytest.mark.parametrize(
    ("second_day", "held"),
    [(D(2020, 12, 1), True), (D(2020, 12, 2), False)],  # results confirmed 11-21: the window is 10 days
)
def test_the_window_rolls(settings, officers, orgs, staff, announcement, second_day, held):
    settings.JIANDING_RUSH_BURST_MIN_CERTIFICATES = 4
    group, _ = passed_group(staff, orgs, announcement, 4)
    assert issue(officers, orgs, group[:3], FIRST_ISSUE_DAY).status == IssuanceBatch.Status.APPROVED
    second = issue(officers, orgs, group[3:], second_day)
    assert (second.status == IssuanceBatch.Status.HELD) is held


def test_the_centre_counts_its_stations_together(settings, officers, orgs, staff, announcement):
    """Two Xiamen stations, each below the line, together above it: held at the centre."""
    settings.JIANDING_RUSH_BURST_MIN_CERTIFICATES = 4
    group, _ = passed_group(staff, orgs, announcement, 2)
    assert issue(officers, orgs, group, FIRST_ISSUE_DAY).status == IssuanceBatch.Status.APPROVED

    from catalog import roles
    from tests.factories import UserFactory

    clerk2 = UserFactory(username="clerk_xm2", station=orgs["xm2"], role=roles.STATION_CLERK)
    other = appraisal_services.announcement_publish(
        actor=clerk2,
        station=orgs["xm2"],
        occupation=Occupation.objects.get(name="美发师"),
        level="5",
        publish_date=D(2020, 9, 1),
        fee=Decimal("200.00"),
    )
    others, _ = passed_group({**staff, "clerk": clerk2}, {**orgs, "xm1": orgs["xm2"]}, other, 2, start=8)
    second = issue(officers, orgs, others, D(2020, 11, 30))
    assert second.status == IssuanceBatch.Status.HELD
    assert "厦门市中心所辖鉴定站" in second.rush_flags and "合计 4 本" in second.rush_flags
