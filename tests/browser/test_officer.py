"""The guidance-centre officer's day: the work list says who can be certified and why the
others cannot (masked ID numbers only); a batch is prepared, approved by a second officer
(after the supervisor's review of its rush signs) and downloaded; the certificates are
grouped into an upload batch, audited, confirmed and the confirmation form downloaded;
the certificate list fits 1366 px; the whole-case page shows the certificate.

The demo's year-long cases are not certifiable on 2020-09-20 (their consent forms have no
scan, and most results are not published). The one certifiable group is the Xiamen
batch held as rushed (README): the supervisor refuses it, which frees its cases."""

import re
from pathlib import Path

import pytest

from .conftest import BUSINESS_DATE, demo_rows

pytestmark = pytest.mark.browser

FULL_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MASKED_ID = re.compile(r"\d{6}\*{8}[\dXx]{4}")
PREPARE = "制作发证批次（由另一名审核员审批后核发）"
APPROVE = "审批并核发证书（发证日期为今天；须由制单人以外的审核员操作）"
UPLOAD = "组成数据上报批次（逐条审核）"
CONFIRM = "审核确认（仅无问题数据的批次；确认后冻结）"
WORK_LIST = "/admin/certificates/passedregistration/"
REMOVE_PROBLEMS = "移出有问题的记录（更正后另行上报）"


# --- what a person does on an admin list -------------------------------------------------------


def tick(page, text: str) -> None:
    page.locator("#result_list tbody tr", has_text=text).first.locator("input.action-select").check()


def search(person, text: str):
    page = person.page
    page.fill("#searchbar", text)
    page.press("#searchbar", "Enter")
    page.wait_for_load_state()
    return person.check(f"search-{text}")


def run_action(person, label: str, step: str):
    page = person.page
    page.select_option("select[name=action]", label=label)
    page.get_by_role("button", name="执行").click()
    page.wait_for_load_state()
    return person.check(step)


def messages(page) -> str:
    shown = page.locator("ul.messagelist")
    return shown.inner_text() if shown.count() else ""


def assert_no_full_id(text: str) -> None:
    assert not FULL_ID.search(text), "a full ID number is shown"


def pdf_from_link(person, link) -> bytes:
    """Click a download link as a person does; the file arrives as a download."""
    with person.page.expect_download() as download:
        link.click(modifiers=["Alt"])  # Alt-click: save the target rather than open it
    return Path(download.value.path()).read_bytes()


def review_held_batch(person, batch_id: int, decision: str, opinion: str) -> str:
    page = person.goto(f"/admin/certificates/issuancebatch/{batch_id}/change/")
    assert "暂缓核发" in page.inner_text("#content")
    page.get_by_label("复核结论").select_option(label=decision)
    page.get_by_label("复核意见").fill(opinion)
    page.locator("input[name=_save]").click()
    page.wait_for_load_state()
    return messages(person.check(f"review-{batch_id}"))


def columns_fit(page, one_line: bool = True) -> dict:
    """Every column of the list within the page at its width (no sideways scrolling), one
    line a row unless told; returns what was measured, with the column headers."""
    box = page.evaluate(
        """() => { const table = document.querySelector('#result_list');
        const frame = table.closest('.results') || table.parentElement;
        const edge = Math.min(frame.getBoundingClientRect().right, window.innerWidth);
        return { edge, right: Math.max(...[...table.querySelectorAll('th')].map(h => h.getBoundingClientRect().right)),
                 scroll: frame.scrollWidth - frame.clientWidth,
                 tall: Math.max(...[...table.querySelectorAll('tbody tr')].map(r => r.getBoundingClientRect().height)),
                 headers: [...table.querySelectorAll('thead th')]
                     .map(h => h.innerText.trim().split('\\n').pop().trim()) }; }"""
    )
    assert box["right"] <= box["edge"] + 1 and box["scroll"] <= 1, box
    assert box["tall"] < 60 or not one_line, box  # no wrapping
    return box


# --- the demo, looked up by state -----------------------------------------------------------------


def held_xiamen_batch(database) -> int:
    [(batch_id,)] = demo_rows(
        database,
        "SELECT b.id FROM certificates_issuancebatch b JOIN catalog_guidancecentre c ON c.id = b.centre_id "
        "WHERE b.status = 'held' AND c.code = 'FJ-XM'",
    )
    return batch_id


def batch_people(database, batch_id: int) -> list[tuple[int, str]]:
    return demo_rows(
        database,
        "SELECT r.id, c.name FROM certificates_issuanceitem i "
        "JOIN appraisals_registration r ON r.id = i.registration_id "
        "JOIN candidates_candidate c ON c.id = r.candidate_id WHERE i.batch_id = ? ORDER BY r.id",
        batch_id,
    )


def refused_xiamen_case(database) -> str:
    """A passed Fujian case with no certificate whose publicity period is still running on
    the business date (the demo's September exams at Fuzhou)."""
    rows = demo_rows(
        database,
        "SELECT c.name FROM appraisals_registration r JOIN candidates_candidate c ON c.id = r.candidate_id "
        "JOIN catalog_station s ON s.id = r.station_id JOIN catalog_guidancecentre g ON g.id = s.centre_id "
        "JOIN appraisals_examresult e ON e.registration_id = r.id "
        "WHERE r.status = 'passed' AND g.code LIKE 'FJ%' AND e.passed AND e.publicity_last_day >= ? "
        "AND NOT EXISTS (SELECT 1 FROM certificates_issuanceitem i WHERE i.registration_id = r.id) "
        "ORDER BY r.id",
        BUSINESS_DATE,
    )
    names = [name for (name,) in rows]
    # One whose name no other listed case shares, so the row is found by it.
    return next(name for name in names if names.count(name) == 1)


def second_officer(database) -> str:
    """An officer other than officer_xm of the Xiamen centre or of a centre above it."""
    rows = demo_rows(
        database,
        "SELECT u.username FROM catalog_user u JOIN catalog_user_groups ug ON ug.user_id = u.id "
        "JOIN auth_group g ON g.id = ug.group_id JOIN catalog_guidancecentre c ON c.id = u.centre_id "
        "WHERE g.name = '指导中心审核员' AND u.username <> 'officer_xm' "
        "AND (c.code = 'FJ-XM' OR c.id = (SELECT parent_id FROM catalog_guidancecentre WHERE code = 'FJ-XM')) "
        "ORDER BY c.code DESC, u.username",
    )
    return rows[0][0]


# --- the day --------------------------------------------------------------------------------------------


def test_the_officer_certifies_a_case_and_audits_the_upload(walk, demo_database):
    held = held_xiamen_batch(demo_database)
    freed = batch_people(demo_database, held)
    registration_id, name = freed[0]
    refused_name = refused_xiamen_case(demo_database)
    approver = second_officer(demo_database)

    # The supervisor refuses the batch held as rushed: its cases go back to the work list.
    supervisor = walk("supervisor")
    supervisor.login("supervisor_fj")
    review_held_batch(supervisor, held, "不予核发", "考评员配备不足，退回重新组织。")

    # The work list: who can be certified today, and why the others cannot.
    officer = walk("officer_xm")
    officer.login("officer_xm")
    page = officer.goto(WORK_LIST)
    table = page.inner_text("#result_list")
    assert "能否发证" in table
    assert "能否发证" in columns_fit(page, one_line=False)["headers"]  # a refusal a line
    assert MASKED_ID.search(table)
    assert_no_full_id(page.inner_text("body"))
    page = search(officer, name)
    assert "✓ 可以发证" in page.locator("#result_list tbody tr", has_text=name).first.inner_text()
    # The province's officer sees a case still in its publicity period, and why it waits.
    province = walk("officer_fj")
    province.login(approver)
    province.goto(WORK_LIST)
    page = search(province, refused_name)
    refused_row = page.locator("#result_list tbody tr", has_text=refused_name).first.inner_text()
    assert "公示期未满" in refused_row and "✓" not in refused_row
    assert_no_full_id(page.inner_text("body"))

    # The filter keeps the certifiable ones; one of them makes a batch.
    page = officer.goto(WORK_LIST)
    page.get_by_role("link", name="可以发证").click()
    page.wait_for_load_state()
    certifiable = officer.check("work-list-certifiable").inner_text("#result_list")
    assert name in certifiable and refused_name not in certifiable and "公示期未满" not in certifiable
    tick(officer.page, name)
    said = messages(run_action(officer, PREPARE, "prepare-batch"))
    assert "制作发证批次：厦门市职业技能鉴定指导中心（1人），待另一名审核员审批。" in said
    page = officer.goto("/admin/certificates/issuancebatch/?status__exact=prepared")
    batch_label = page.locator("#result_list tbody tr").first.locator("th").inner_text().strip()
    batch_id = int(batch_label.lstrip("#"))
    assert batch_id != held

    # The preparer cannot approve their own batch.
    tick(page, batch_label)
    assert "制单人以外的另一名审核员" in messages(run_action(officer, APPROVE, "approve-own-batch"))

    # A second officer approves: the rush signs hold it for the supervisor, who releases it.
    second = walk("approver")
    second.login(approver)
    page = second.goto("/admin/certificates/issuancebatch/?status__exact=prepared")
    tick(page, batch_label)
    said = messages(run_action(second, APPROVE, "approve-held"))
    assert "暂缓核发" in said and "考评员配备不足" in said
    # Released, the batch is issued on the approval it was held at.
    review_held_batch(supervisor, batch_id, "放行（按原审批核发证书）", "已核实考评员配备，准予核发。")

    # The batch PDF and the certificate's PDF download.
    page = second.goto("/admin/certificates/issuancebatch/?status__exact=approved")
    assert "证书PDF" in columns_fit(page)["headers"]
    row = page.locator("#result_list tbody tr", has_text=batch_label).first
    assert pdf_from_link(second, row.get_by_role("link", name="下载打印")).startswith(b"%PDF")
    page = officer.goto("/admin/certificates/certificate/")
    row = page.locator("#result_list tbody tr", has_text=name).first
    number = row.locator("th").inner_text().strip()
    assert number.startswith("FJ-XM-2020-") and "有效" in row.inner_text()
    assert pdf_from_link(officer, row.get_by_role("link", name="下载")).startswith(b"%PDF")

    # At 1366 px every column of the certificate list is on screen, one line a row.
    box = columns_fit(page)
    assert {"证书编号", "效力", "证书PDF", "发证机构"} <= set(box["headers"]), box
    assert_no_full_id(page.inner_text("body"))

    # The whole-case page shows the certificate, its status and its PDF.
    page = officer.goto(f"/admin/appraisals/registration/{registration_id}/change/")
    section = page.locator("fieldset, .inline-group", has_text="证书编号").last.inner_text()
    assert number in section and "有效" in section
    assert page.get_by_role("link", name="下载").count() >= 1

    # Upload audit: the Xiamen certificates into an upload batch, audited, confirmed, and
    # the confirmation form downloaded.
    page = officer.goto("/admin/certificates/certificate/")
    page.locator("#action-toggle").check()
    said = messages(run_action(officer, UPLOAD, "upload-batch"))
    assert "组成上报批次：成功 1 条" in said
    page = officer.goto("/admin/certificates/uploadbatch/")
    upload_label = page.locator("#result_list tbody tr").first.locator("th").inner_text().strip()
    page.locator("#result_list tbody tr").first.locator("th a").click()
    page.wait_for_load_state()
    audit = officer.check("upload-audit").inner_text("#content")
    assert "审核发现的问题" in audit
    assert_no_full_id(audit)
    page = officer.goto("/admin/certificates/uploadbatch/")
    tick(page, upload_label)
    said = messages(run_action(officer, CONFIRM, "confirm-upload"))
    if "拒绝" in said:  # problem records: taken out, corrected later, the rest confirmed
        tick(officer.page, upload_label)
        run_action(officer, REMOVE_PROBLEMS, "remove-problems")
        tick(officer.page, upload_label)
        said = messages(run_action(officer, CONFIRM, "confirm-upload-again"))
    assert "审核确认：成功 1 条" in said
    assert "审核确认表与数据文件" in columns_fit(officer.page)["headers"]
    row = officer.page.locator("#result_list tbody tr", has_text=upload_label).first
    assert pdf_from_link(officer, row.get_by_role("link", name="确认表PDF")).startswith(b"%PDF")
    assert pdf_from_link(officer, row.get_by_role("link", name="确认表XLSX")).startswith(b"PK")
