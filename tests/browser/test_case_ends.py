"""The officer's new registers, walked as the Xiamen officer does on the demo data: the
consent archive register (filtered, exported to Excel, no full ID number in it), a late
entry approved for a station's clerk, a person's history found by the full ID number
(masked in every row shown), the recognised evaluation organisations; and the
supervisor's dashboard counting referrals."""

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from .conftest import demo_rows

pytestmark = pytest.mark.browser

FULL_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MASKED_ID = re.compile(r"\d{6}\*{8}[\dXx]{4}")
SHA256 = re.compile(r"\b[0-9a-f]{64}\b")


def messages(page) -> str:
    shown = page.locator("ul.messagelist")
    return shown.inner_text() if shown.count() else ""


def choose(select, pattern: str) -> None:
    """Pick the option whose text matches, as a person reads the list."""
    [text, *_] = [option for option in select.locator("option").all_inner_texts() if re.search(pattern, option)]
    select.select_option(label=text)


def test_the_consent_archive_register_lists_archived_forms_and_exports_them(walk):
    officer = walk("officer")
    officer.login("officer_xm")
    page = officer.goto("/admin/certificates/consentarchive/")
    page.get_by_role("link", name="已归档", exact=True).click()
    page.wait_for_load_state()
    text = officer.check("archived").inner_text("#result_list")
    assert SHA256.search(text), "an archived form shows its scan's SHA-256"
    assert not FULL_ID.search(page.inner_text("#content"))

    page.get_by_role("link", name="导出").first.click()
    page.wait_for_load_state()
    officer.check("export-form")
    page.select_option("select[name=format]", label="xlsx")
    with page.expect_download() as download:
        page.locator("#content input[type=submit]").first.click()
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).worksheets[0]
    rows = [[str(cell) for cell in row if cell is not None] for row in sheet.iter_rows(values_only=True)]
    assert len(rows) > 1 and "指导中心" in rows[0]
    assert not any(FULL_ID.search(cell) for row in rows for cell in row)


def test_an_officer_approves_a_late_entry_for_a_clerk(walk):
    officer = walk("officer")
    officer.login("officer_xm")
    page = officer.goto("/admin/appraisals/lateentryapproval/add/")
    choose(page.get_by_label("鉴定站"), "XM001|鹭岛")
    page.get_by_label("补录事项").select_option(index=1)
    page.get_by_label("补录理由").fill("9月20日纸质报名材料，因系统故障次日补录")
    choose(page.get_by_label("申请补录的考务员"), "林晓敏|clerk_xm001")
    page.locator("input[name=_save]").click()
    page.wait_for_load_state()
    shown = messages(officer.check("approved"))
    assert "成功" in shown or "已" in shown, shown
    assert "9月20日纸质报名材料" in page.inner_text("#result_list")


def test_a_persons_history_is_found_by_the_full_number_and_shown_masked(walk, demo_database):
    [(name, id_number)] = demo_rows(
        demo_database,
        "SELECT c.name, c.id_number FROM candidates_candidate c "
        "JOIN appraisals_registration r ON r.candidate_id = c.id "
        "JOIN catalog_station s ON s.id = r.station_id WHERE s.code = 'XM001' ORDER BY c.id LIMIT 1",
    )
    officer = walk("officer")
    officer.login("officer_xm")
    page = officer.goto("/admin/candidates/candidate/")
    page.get_by_role("link", name="按身份证号查历史记录").click()
    page.wait_for_load_state()
    page.locator("#history-by-id-number-form input[type=text]").first.fill(id_number)
    page.get_by_role("button", name="查找").click()
    page.wait_for_load_state()
    found = officer.check("found").inner_text("#history-by-id-number-results")
    assert name in found
    assert MASKED_ID.search(found) and id_number not in found
    assert id_number not in page.url  # posted, never in the address
    assert id_number not in page.content()  # nor echoed back in the form
    page.get_by_role("link", name=f"{name}的全部历史记录").click()
    page.wait_for_load_state()
    assert name in officer.check("history").inner_text("#content")


def test_the_supervisor_sees_referrals_counted_and_the_officer_the_organisations(walk):
    supervisor = walk("supervisor")
    supervisor.login("supervisor_fj")
    supervisor.goto("/admin/supervision/")
    counts = supervisor.check("dashboard").inner_text("#referrals")
    assert "待转介" in counts and re.search(r"\d", counts)

    officer = walk("officer")
    officer.login("officer_xm")
    officer.goto("/admin/catalog/evaluationorganisation/")
    rows = officer.check("organisations").locator("#result_list tbody tr")
    assert rows.count() > 0
