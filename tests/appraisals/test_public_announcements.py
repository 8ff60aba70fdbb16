"""The public page of each station's open announcements (no login), and the index of stations."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

pytestmark = pytest.mark.django_db
D = datetime.date
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def on(day):
    return time_machine.travel(datetime.datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI), tick=False)


def page(client, code="XM001"):
    response = client.get(reverse("station_announcements", args=[code]))
    return response.status_code, response.content.decode()


@pytest.mark.parametrize(
    ("today", "listed", "taking"),
    [(D(2020, 9, 29), True, True), (D(2020, 9, 30), True, True), (D(2020, 10, 1), False, False)],
)
def test_an_announcement_is_open_until_its_cutoff(client, announcement, today, listed, taking):
    with on(today):
        status, body = page(client)
    assert status == 200
    assert ("美发师" in body) is listed
    if listed:
        assert "2020年9月30日" in body and "报名中" in body and "2020年12月31日前" in body
    else:
        assert "目前没有正在报名或即将考试的鉴定考试公告" in body


def test_after_the_cutoff_it_stays_while_an_exam_is_to_come(client, case):
    case.register().review().consent().apply().approve().schedule(day=D(2020, 11, 20)).seat()
    for day, listed in ((D(2020, 11, 19), True), (D(2020, 11, 20), True), (D(2020, 11, 21), False)):
        with on(day):
            status, body = page(client)
        assert status == 200
        assert ("美发师" in body) is listed, day
        if listed:
            assert "报名已截止" in body and "2020年11月20日" in body
    # Nothing personal: no candidate, no ticket, no phone.
    with on(D(2020, 11, 19)):
        _, body = page(client)
    seat = case.registration.seats.get()
    assert case.candidate.name not in body and seat.ticket_number not in body and case.candidate.phone not in body


def test_an_announcement_not_yet_published_is_not_shown(client, announcement):
    with on(D(2020, 8, 31)):
        _, body = page(client)
    assert "美发师" not in body


def test_other_stations_announcements_are_not_shown(client, announcement):
    with on(D(2020, 9, 20)):
        status, body = page(client, "XM002")
    assert status == 200 and "美发师" not in body


def test_an_unknown_or_closed_station_is_not_found(client, orgs):
    assert page(client, "NOPE")[0] == 404
    orgs["xm2"].is_active = False
    orgs["xm2"].save()
    assert page(client, "XM002")[0] == 404


def test_the_index_lists_stations_by_region_and_links_their_pages(client, orgs):
    response = client.get(reverse("public_stations"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "厦门一站" in body and "长沙一站" in body and "厦门市" in body
    assert reverse("station_announcements", args=["XM001"]) in body


def test_the_lookup_page_links_the_index(client):
    assert reverse("public_stations") in client.get(reverse("verify")).content.decode()


def test_the_pages_need_no_login_and_take_no_posts(client, orgs):
    assert client.post(reverse("public_stations")).status_code == 405


def test_a_session_counts_only_for_the_announcement_of_its_occupation_and_level(client, case, staff, orgs):
    from decimal import Decimal

    from appraisals import services
    from catalog.models import Occupation

    other = services.announcement_publish(
        actor=staff["clerk"],
        station=orgs["xm1"],
        occupation=Occupation.objects.get(name="美容师"),
        level="5",
        publish_date=D(2020, 9, 1),
        fee=Decimal("200.00"),
    )
    case.register().review().consent().apply().approve().schedule(day=D(2020, 11, 20)).seat()
    with on(D(2020, 9, 20)):
        _, body = page(client)
    sections = {
        title: next(part for part in body.split("<section")[1:] if title in part)
        for title in (case.announcement.title, other.title)
    }
    assert "2020年11月20日" in sections[case.announcement.title]
    assert "2020年11月20日" not in sections[other.title] and "待定" in sections[other.title]
