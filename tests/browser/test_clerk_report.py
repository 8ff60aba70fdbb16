"""A Xiamen clerk's report to the municipal centre (厦人社〔2020〕141号), in a browser: the
period comes filled in (this month up to the business date) and the browser's date inputs
show it; the counts per occupation and level; the XLSX downloaded; the registrations then
count as reported, so a second report shows none as first reported."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from .conftest import BUSINESS_DATE, demo_rows

pytestmark = pytest.mark.browser


def table_totals(page) -> list[str]:
    return [cell.strip() for cell in page.locator("tfoot th").all_inner_texts()]


def test_the_clerk_reports_this_months_registrations(walk, demo_database):
    [(registered_this_month,)] = demo_rows(
        demo_database,
        "SELECT COUNT(*) FROM appraisals_registration r JOIN catalog_station s ON s.id = r.station_id "
        "WHERE s.code = 'XM001' AND r.registration_date BETWEEN ? AND ?",
        BUSINESS_DATE[:8] + "01",
        BUSINESS_DATE,
    )
    assert registered_this_month, "演示数据中 XM001 本月没有报名"

    clerk = walk()
    clerk.login("clerk_xm001")
    page = clerk.goto("/admin/appraisals/registration/")
    page.get_by_role("link", name="报市鉴定中心").click()
    page.wait_for_load_state()
    clerk.check("report-form")
    # The browser shows the prefilled period: a date input holds only ISO dates.
    assert page.input_value("#id_start") == BUSINESS_DATE[:8] + "01"
    assert page.input_value("#id_end") == BUSINESS_DATE

    page.get_by_role("button", name="统计").click()
    page.wait_for_load_state()
    clerk.check("report-counts")
    totals = table_totals(page)
    assert totals[0] == "合计"
    registrations, _withdrawn, first_reported = (int(n) for n in totals[1:4])  # then the refunds
    assert registrations == registered_this_month
    assert first_reported > 0

    with page.expect_download() as download:
        page.get_by_role("button", name="下载上报表（XLSX）").click()
    compact = BUSINESS_DATE.replace("-", "")
    assert download.value.suggested_filename == f"报名数据上报表-{compact[:6]}01-{compact}.xlsx"
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).worksheets[0]
    rows = [row for row in sheet.iter_rows(values_only=True)]
    assert "厦人社〔2020〕141号" in rows[0][0]
    assert f"制表时间：{BUSINESS_DATE}" in rows[1][0]  # the business date, not the wall clock
    assert rows[-1][5] == registrations

    page.get_by_role("button", name="统计").click()
    page.wait_for_load_state()
    clerk.check("report-after-download")
    assert int(table_totals(page)[3]) == 0  # all of them now reported
