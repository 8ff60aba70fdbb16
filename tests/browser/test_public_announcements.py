"""The public announcements of a station, opened on a phone from the certificate lookup:
no login, nothing wider than the screen, nobody named."""

from __future__ import annotations

import pytest

from .conftest import PHONE
from .test_phone import fits

pytestmark = pytest.mark.browser


def test_a_visitor_finds_a_stations_open_announcements_on_a_phone(walk):
    visitor = walk("phone-public-announcements", viewport=PHONE)
    page = visitor.goto("/verify/")
    page.click("text=各鉴定站（所）鉴定考试公告")
    page.wait_for_load_state()
    fits(visitor, "stations")
    page.locator("a[href='/stations/XM001/announcements/']").click()
    page.wait_for_load_state()
    page = fits(visitor, "announcements")
    text = page.inner_text("main")
    # At the demo's business date (2020-09-20) Fujian still takes registrations until 09-30.
    assert "报名中" in text and "2020年9月30日" in text
    assert "报名截止" in text and "考试日期" in text
