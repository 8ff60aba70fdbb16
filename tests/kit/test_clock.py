import datetime
import zoneinfo

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from kit import clock

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@time_machine.travel(datetime.datetime(2026, 11, 23, 16, 30, tzinfo=datetime.UTC), tick=False)
def test_today_is_the_shanghai_date_of_the_clock_when_no_business_date_is_set():
    # 16:30 UTC is already the next day in Shanghai.
    assert clock.today() == datetime.date(2026, 11, 24)
    assert clock.now() == datetime.datetime(2026, 11, 24, 0, 30, tzinfo=SHANGHAI)


@override_settings(JIANDING_BUSINESS_DATE=datetime.date(2020, 9, 20))
def test_a_configured_business_date_replaces_the_clock():
    assert clock.today() == datetime.date(2020, 9, 20)


@time_machine.travel(datetime.datetime(2026, 11, 23, 16, 30, tzinfo=datetime.UTC), tick=False)
@override_settings(JIANDING_BUSINESS_DATE=datetime.date(2020, 9, 20))
def test_now_is_the_business_date_at_the_current_wall_time():
    moment = clock.now()
    assert moment == datetime.datetime(2020, 9, 20, 0, 30, tzinfo=SHANGHAI)
    assert clock.local_day(moment) == clock.today()


@pytest.mark.django_db
@override_settings(JIANDING_BUSINESS_DATE=datetime.date(2020, 9, 20))
def test_admin_header_shows_the_business_date(client, people):
    client.force_login(people["clerk"])
    assert "业务日期：2020年9月20日（设定）" in client.get(reverse("admin:index")).content.decode()
