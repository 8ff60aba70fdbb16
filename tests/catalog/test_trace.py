"""全程留痕: single saves, bulk writes and service changes all leave who/when/before/after."""

import pytest
from django.urls import reverse

from catalog.models import Station
from catalog.trace import acting_as

pytestmark = pytest.mark.django_db


def test_queryset_update_records_one_history_row_per_object(orgs, people):
    xiamen = Station.objects.filter(centre=orgs["xm"])
    before = {s.pk: s.history.count() for s in xiamen}
    with acting_as(people["officer_xm"], reason="批量停用"):
        assert xiamen.update(is_active=False) == 2
    for station in xiamen:
        assert station.history.count() == before[station.pk] + 1
        latest = station.history.first()
        assert latest.history_type == "~"
        assert latest.is_active is False
        assert latest.history_user == people["officer_xm"]
        assert latest.history_change_reason == "批量停用"
        assert latest.prev_record.is_active is True


def test_bulk_create_and_bulk_update_are_recorded(orgs, people):
    with acting_as(people["sysadmin"]):
        created = Station.objects.bulk_create(
            [
                Station(code=f"BULK{i}", name=f"批量站{i}", region=orgs["xm1"].region, centre=orgs["xm"])
                for i in range(3)
            ]
        )
        for station in created:
            station.phone = "0592-1234567"
        Station.objects.bulk_update(created, ["phone"])
    for station in created:
        kinds = list(station.history.order_by("history_id").values_list("history_type", "phone"))
        assert kinds == [("+", ""), ("~", "0592-1234567")]
        assert station.history.first().history_user == people["sysadmin"]


def test_deleting_leaves_the_last_state_in_the_trace(orgs, people):
    station = Station.objects.create(code="TMP1", name="临时站", region=orgs["xm1"].region, centre=orgs["xm"])
    pk = station.pk
    with acting_as(people["sysadmin"]):
        station.delete()
    last = Station.history.filter(id=pk).first()
    assert last.history_type == "-" and last.name == "临时站" and last.history_user == people["sysadmin"]


def test_history_page_in_the_admin_shows_who_changed_what(client, orgs, people):
    station = orgs["xm1"]
    with acting_as(people["officer_xm"]):
        station.phone = "0592-7654321"
        station.save()
    client.force_login(people["officer_xm"])
    response = client.get(reverse("admin:catalog_station_history", args=[station.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "0592-7654321" in page or "联系电话" in page
    assert people["officer_xm"].username in page
