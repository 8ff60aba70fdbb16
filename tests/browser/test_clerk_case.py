"""The clerk's case after registration, in a browser at 1366×900: the consent form with its
scan, and a scan attached later to a consent recorded without one; giving up with a refund
through the confirmation page; the bulk eligibility review's report; a session scheduled
under an approved application, seated, its admission tickets downloaded, its paper from the
national question bank requested, issued and handed over, held on its day, scored by
an examiner and confirmed by a second person, and a retake requested for the failed case.

Cases are picked by state from the demo (``demo_rows``), never by name or id; a state the
demo does not have at the business date is made here through the screens."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from .conftest import BUSINESS_DATE, DESKTOP, demo_rows

pytestmark = pytest.mark.browser

TODAY = datetime.date.fromisoformat(BUSINESS_DATE)
FULL_ID = re.compile(r"\d{17}[\dXx]")
SCAN = b"%PDF-1.4\n% scanned consent form, signed\n%%EOF\n"


# --- finding cases in the demo ---------------------------------------------------------------


def cases(database: Path, status: str, station: str = "XM001") -> list[tuple[int, str, str]]:
    """(registration id, candidate name, occupation) of the station's cases in one state."""
    return demo_rows(
        database,
        "SELECT r.id, c.name, o.name FROM appraisals_registration r "
        "JOIN candidates_candidate c ON c.id = r.candidate_id "
        "JOIN catalog_station s ON s.id = r.station_id "
        "JOIN appraisals_examannouncement a ON a.id = r.announcement_id "
        "JOIN catalog_occupation o ON o.id = a.occupation_id "
        "WHERE s.code = ? AND r.status = ? ORDER BY r.id",
        station,
        status,
    )


def first_case(database: Path, status: str, station: str = "XM001") -> tuple[int, str, str]:
    found = cases(database, status, station)
    assert found, f"演示数据中 {station} 没有状态为 {status} 的报名"
    return found[0]


# --- what a person does on the admin's screens ------------------------------------------------


def messages(page) -> str:
    return page.inner_text("ul.messagelist") if page.locator("ul.messagelist").count() else ""


def case_page(person, registration_id: int):
    return person.goto(f"/admin/appraisals/registration/{registration_id}/change/")


def select_in_list(person, list_path: str, search: str, ids: list[int]):
    """Search the list as a person would, then tick the rows."""
    page = person.goto(list_path)
    page.fill("#searchbar", search)
    page.press("#searchbar", "Enter")
    page.wait_for_load_state()
    for pk in ids:
        page.check(f"input[name=_selected_action][value='{pk}']")
    return page


def run_action(person, label: str, step: str):
    page = person.page
    page.select_option("select[name=action]", label=label)
    page.get_by_role("button", name="执行").click()
    page.wait_for_load_state()
    return person.check(step)


def pick(page, field: str, typed: str, choice: str) -> None:
    """An autocomplete field (select2): open it, type, click the option."""
    page.click(f"#id_{field} + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", typed)
    page.locator(".select2-results__option", has_text=choice).first.click()


def right_edge(locator) -> float:
    box = locator.bounding_box()
    assert box is not None, "元素不可见"
    return box["x"] + box["width"]


def assert_on_screen(page, selectors: list[str]) -> None:
    """Each named column (its header and its first cell) is inside the 1366 px window and
    inside the list's own scrolling box: nobody has to scroll sideways to reach it."""
    results = page.locator("#changelist .results").bounding_box()
    assert results is not None
    for selector in selectors:
        for element in (
            page.locator(f"#result_list thead th.column-{selector}"),
            page.locator(f"#result_list tbody .field-{selector}").first,
        ):
            edge = right_edge(element)
            assert edge <= DESKTOP["width"], f"{selector} 列超出 1366 像素宽的窗口（右边缘 {edge}）"
            assert edge <= results["x"] + results["width"] + 1, f"{selector} 列要横向滚动才能看到"


# --- consent -------------------------------------------------------------------------------------


def test_a_consent_form_is_recorded_with_its_scan(walk, demo_database, tmp_path):
    registration_id, name, _ = first_case(demo_database, "eligible", "XM003")
    scan = tmp_path / "自愿书.pdf"
    scan.write_bytes(SCAN)
    clerk = walk()
    clerk.login("clerk_xm003")
    page = clerk.goto("/admin/appraisals/consentform/add/")
    pick(page, "registration", name, name)
    page.fill("#id_signed_date", BUSINESS_DATE)
    page.set_input_files("#id_scan", str(scan))
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_load_state()
    assert "成功" in messages(clerk.check("consent-saved"))

    text = case_page(clerk, registration_id).inner_text("#content")
    assert "已签自愿书" in text
    assert "已上传" in text and "未上传" not in text


def test_a_consent_recorded_without_its_scan_gets_it_later(walk, demo_database, tmp_path):
    registration_id, name, _ = first_case(demo_database, "eligible", "XM003")
    scan = tmp_path / "自愿书扫描件.pdf"
    scan.write_bytes(SCAN)
    clerk = walk()
    clerk.login("clerk_xm003")
    select_in_list(clerk, "/admin/appraisals/registration/", name, [registration_id])
    page = run_action(clerk, "登记已收到纸质自愿书（签署日期为今天）", "paper-consent")
    assert "登记自愿书：成功 1 条" in messages(page)

    page = case_page(clerk, registration_id)
    consent = page.locator("fieldset, .inline-group").filter(has_text="职业技能鉴定自愿书").first
    assert "未上传，不能发证" in consent.inner_text()
    page.get_by_role("link", name="上传扫描件").click()
    page.wait_for_load_state()
    clerk.check("attach-scan-page")
    page.set_input_files("#id_scan", str(scan))
    page.get_by_role("button", name="上传扫描件").click()
    page.wait_for_load_state()
    page = clerk.check("scan-attached")
    assert "的扫描件" in messages(page) and not FULL_ID.search(messages(page))
    text = page.inner_text("#content")
    assert "已上传" in text and "未上传" not in text
    # Opening the page again: the scan is there and cannot be replaced.
    page.go_back()
    page.reload()
    page = clerk.check("attach-again")
    page.set_input_files("#id_scan", str(scan))
    page.get_by_role("button", name="上传扫描件").click()
    page.wait_for_load_state()
    assert "自愿书扫描件已上传，不能替换" in clerk.check("attach-refused").inner_text("#content")


# --- refund ----------------------------------------------------------------------------------------


def test_giving_up_with_a_refund_is_confirmed_on_a_second_page(walk, demo_database):
    registration_id, name, _ = first_case(demo_database, "consented")
    [(fee,)] = demo_rows(demo_database, "SELECT fee FROM appraisals_registration WHERE id = ?", registration_id)
    action = "放弃鉴定并退费（先确认金额与原因）"
    clerk = walk()
    clerk.login("clerk_xm001")

    select_in_list(clerk, "/admin/appraisals/registration/", name, [registration_id])
    page = run_action(clerk, action, "refund-confirm-page")
    assert "确认放弃鉴定并退费" in page.inner_text("h1")
    amount = page.locator(f"#id_amount_{registration_id}")
    assert float(amount.input_value()) == float(fee)
    assert page.input_value("#id_refund_date").replace("/", "-") == BUSINESS_DATE
    assert not FULL_ID.search(page.inner_text("#content"))
    page.get_by_role("link", name="取消，不退费").click()
    page.wait_for_load_state()
    clerk.check("refund-cancelled")
    assert "已签自愿书" in case_page(clerk, registration_id).inner_text("#content")

    select_in_list(clerk, "/admin/appraisals/registration/", name, [registration_id])
    page = run_action(clerk, action, "refund-confirm-again")
    # More than the fee, or no reason: the page does not go (the browser names the field).
    page.fill(f"#id_amount_{registration_id}", str(float(fee) + 100))
    page.fill("#id_reason", "考生自愿放弃")
    page.get_by_role("button", name="确认退费").click()
    assert page.locator(f"#id_amount_{registration_id}").evaluate("field => field.validity.rangeOverflow")
    page.fill(f"#id_amount_{registration_id}", str(fee))
    page.fill("#id_reason", "")
    page.get_by_role("button", name="确认退费").click()
    assert page.locator("#id_reason").evaluate("field => field.validity.valueMissing")
    assert "确认放弃鉴定并退费" in clerk.check("refund-not-sent").inner_text("h1")

    refund = f"{float(fee) - 30:.2f}"
    page.fill(f"#id_amount_{registration_id}", refund)
    page.select_option("#id_method", label="银行转账")
    page.fill("#id_reason", "考生工作调动，不再参加鉴定")
    page.get_by_role("button", name="确认退费").click()
    page.wait_for_load_state()
    assert "放弃并退费：成功 1 条" in messages(clerk.check("refund-done"))

    text = case_page(clerk, registration_id).inner_text("#content")
    assert "已放弃（退费）" in text
    assert refund in text and "银行转账" in text and "考生工作调动，不再参加鉴定" in text


# --- eligibility review ------------------------------------------------------------------------------


def test_the_bulk_review_reports_eligible_and_ineligible_apart(walk, demo_database):
    # The station with the most cases waiting for review that were registered by the
    # business date (one registered later is refused: a review cannot precede it).
    [(station, clerk_name)] = demo_rows(
        demo_database,
        "SELECT s.code, MIN(u.username) FROM appraisals_registration r JOIN catalog_station s ON s.id = r.station_id "
        "JOIN catalog_user u ON u.station_id = s.id AND u.username LIKE 'clerk%' "
        "WHERE r.status = 'registered' AND r.registration_date <= ? "
        "GROUP BY s.code ORDER BY COUNT(DISTINCT r.id) DESC LIMIT 1",
        BUSINESS_DATE,
    )
    waiting = cases(demo_database, "registered", station)
    clerk = walk()
    clerk.login(clerk_name)
    page = clerk.goto("/admin/appraisals/registration/?status__exact=registered")
    for registration_id, _, _ in waiting:
        page.check(f"input[name=_selected_action][value='{registration_id}']")
    page = run_action(clerk, "资格审查（按申报条件自动判定，审查日期为今天）", "bulk-review")
    report = messages(page)
    found = re.search(r"资格审查：通过 (\d+) 人，未通过 (\d+) 人", report)
    assert found, report
    passed, failed = int(found[1]), int(found[2])
    refused = re.search(r"拒绝 (\d+) 条", report)
    assert passed + failed + (int(refused[1]) if refused else 0) == len(waiting)
    assert "成功" not in report
    assert not FULL_ID.search(report)
    # Each ineligible candidate is named (masked ID) with the review's reason.
    summary = report[found.start() :].split("\n", 1)[0]
    named = [name for _, name, _ in waiting if f"{name}（" in summary]
    assert len(named) == failed
    assert passed + failed >= 1


# --- session, tickets, scores, retake --------------------------------------------------------------


def test_a_session_from_scheduling_to_a_retake(walk, demo_database, tmp_path):
    # The demo's consented cases of one occupation and level at the station are applied for
    # today, approved by the centre, and examined in a session scheduled here.
    registration_id, name, occupation = first_case(demo_database, "consented")
    [(level,)] = demo_rows(
        demo_database,
        "SELECT a.level FROM appraisals_registration r "
        "JOIN appraisals_examannouncement a ON a.id = r.announcement_id WHERE r.id = ?",
        registration_id,
    )
    [(signed,)] = demo_rows(
        demo_database, "SELECT signed_date FROM appraisals_consentform WHERE registration_id = ?", registration_id
    )
    # Held on the business date itself: a session is never recorded as held before its day.
    exam_day = TODAY
    assert datetime.date.fromisoformat(signed) <= exam_day

    clerk = walk("session-clerk")
    clerk.login("clerk_xm001")
    select_in_list(clerk, "/admin/appraisals/registration/", name, [registration_id])
    page = run_action(clerk, "向指导中心提交鉴定申请（按鉴定站各提交一份）", "apply")
    assert "提交鉴定申请：成功 1 条" in messages(page)

    officer = walk("session-officer")
    officer.login("officer_xm")
    page = officer.goto("/admin/appraisals/appraisalapplication/?status__exact=submitted")
    row = page.locator("#result_list tbody tr", has_text=f"{TODAY:%Y}").filter(has_text="XM001").first
    row.locator("input[name=_selected_action]").check()
    page = run_action(officer, "批准（审批日期为今天）", "approve")
    assert "批准鉴定申请：成功 1 条" in messages(page)

    # Schedule the session.
    page = clerk.goto("/admin/appraisals/examsession/add/")
    pick(page, "application", "XM001", f"{BUSINESS_DATE}（已批准）")
    page.select_option("#id_kind", label="鉴定考试")
    pick(page, "occupation", occupation, occupation)
    page.select_option("#id_level", value=level)
    page.fill("#id_date", exam_day.isoformat())
    page.fill("#id_start_time", "19:00")  # an evening slot: the demo's examiners are free
    page.fill("#id_end_time", "21:00")
    page.fill("#id_place", "厦门市思明区湖滨南路考点晚场")
    pick(page, "region", "厦门", "厦门市")
    # From the registry (考评员、督导员名册): the station's three examiners, two of them invigilating.
    examiners = ("黄建国（考评员 KPY-XM001-01）", "陈美华（考评员 KPY-XM001-02）", "洪志明（考评员 KPY-XM001-03）")
    for examiner in examiners:
        page.select_option("#id_examiners_from", label=examiner)
        page.click("#id_examiners_add")
    page.fill("#id_rooms-0-name", "第1考场")
    page.fill("#id_rooms-0-capacity", "30")
    page.select_option("#id_rooms-0-invigilators", label=list(examiners[:2]))
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_load_state()
    page = clerk.check("session-saved")
    assert "成功" in messages(page), page.inner_text("#content")[:2000]

    # Seat, tickets, hold: the new session found by its place (the demo's are day sessions).
    page = clerk.goto("/admin/appraisals/examsession/?q=晚场")
    row = page.locator("#result_list tbody tr").first
    assert "未编排" in row.inner_text()
    row.locator("input[name=_selected_action]").check()
    page = run_action(clerk, "自动编排考场座位", "seat")
    assert "编排座位：成功 1 条" in messages(page)
    assert_on_screen(page, ["occupation", "level_short", "when", "held", "seat_total", "tickets"])
    assert "/" not in page.inner_text("#result_list tbody td.field-level_short")

    # The tickets open as a PDF (one page per seat) in the browser.
    link = page.get_by_role("link", name="下载准考证").first
    with page.expect_response(lambda response: "tickets.pdf" in response.url) as ticket:
        link.click()
    assert ticket.value.status == 200
    assert ticket.value.headers["content-type"] == "application/pdf"
    # The viewer wraps what it shows; the file itself, fetched with the clerk's session:
    pdf = clerk.context.request.get(ticket.value.url)
    assert pdf.ok and pdf.body().startswith(b"%PDF")

    # The paper: the clerk requests it, the centre issues it with its bank number and
    # hands it over; without it the session cannot be held.
    page = clerk.goto("/admin/appraisals/examsession/?q=晚场")
    page.locator("#result_list tbody tr").first.locator("input[name=_selected_action]").check()
    page = run_action(clerk, "登记考试已举行", "hold-refused")
    assert "国家题库试卷" in messages(page)
    page.locator("#result_list tbody tr").first.locator("input[name=_selected_action]").check()
    page = run_action(clerk, "申请国家题库试卷", "paper")
    assert "申请试卷：成功 1 条" in messages(page)
    page = officer.goto("/admin/appraisals/exampaper/?q=晚场")
    page.locator("#result_list tbody tr").first.locator("input[name=_selected_action]").check()
    page.fill("input[name=bank_paper_id]", "123")
    page = run_action(officer, "发放试卷（填写国家题库试卷编号，一次一份）", "paper-bad-id")
    assert "格式应为" in messages(page)
    page.locator("#result_list tbody tr").first.locator("input[name=_selected_action]").check()
    page.fill("input[name=bank_paper_id]", "GJTK-2020-0999")
    page = run_action(officer, "发放试卷（填写国家题库试卷编号，一次一份）", "paper-issued")
    assert "发放试卷：成功 1 条" in messages(page)
    page.locator("#result_list tbody tr").first.locator("input[name=_selected_action]").check()
    page.fill("input[name=received_by]", "厦门一站考务员")
    page = run_action(officer, "交接试卷（填写领卷人）", "paper-handed-over")
    assert "交接试卷：成功 1 条" in messages(page)

    page = clerk.goto("/admin/appraisals/examsession/?q=晚场")
    page.locator("#result_list tbody tr").first.locator("input[name=_selected_action]").check()
    page = run_action(clerk, "登记考试已举行", "hold")
    assert "登记举行：成功 1 条" in messages(page)

    # The examiner enters the scores; the clerk, a second person, confirms them.
    examiner = walk("session-examiner")
    examiner.login("examiner_xm001")
    page = examiner.goto("/admin/appraisals/examresult/add/")
    pick(page, "registration", name, name)
    page.fill("#id_theory_score", "45")
    page.fill("#id_practical_score", "82")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_load_state()
    assert "成功" in messages(examiner.check("scores-entered"))

    page = select_in_list(clerk, "/admin/appraisals/examresult/", name, [])
    row = page.locator("#result_list tbody tr", has_text="待复核").first
    assert "45.0" in row.inner_text() and "82.0" in row.inner_text()
    row.locator("input[name=_selected_action]").check()
    page = run_action(clerk, "复核确认成绩（须由录入人以外的人操作）", "confirm")
    assert "复核确认：成功 1 条" in messages(page)
    assert_on_screen(page, ["candidate", "theory", "practical", "passed", "people"])

    # The failed case asks for a retake of the theory exam only.
    assert "不合格" in case_page(clerk, registration_id).inner_text("#content")
    select_in_list(clerk, "/admin/appraisals/registration/", name, [registration_id])
    page = run_action(clerk, "考生自愿申请补考（只补不合格科目）", "retake")
    assert "申请补考：成功 1 条" in messages(page)
    text = case_page(clerk, registration_id).inner_text("#content")
    assert "补考中" in text and "理论知识" in text
