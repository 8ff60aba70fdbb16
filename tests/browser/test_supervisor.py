"""The supervisor's day (supervisor_fj): the dashboard and its filters, the Xiamen batch held
as rushed released or refused from its review item (with a confirmation page), a closed
finding corrected with a reason, and a complaint handed to someone who may handle it,
investigated and closed with a finding."""

import re

import pytest

from .conftest import demo_rows

pytestmark = pytest.mark.browser


def held_batch(demo_database) -> tuple[int, int]:
    """The demo's batch held as rushed and its open review item: (batch id, item id)."""
    [(item_id, key)] = demo_rows(
        demo_database,
        "SELECT id, key FROM certificates_reviewitem WHERE kind = 'rushed_batch' AND status = 'open'",
    )
    batch_id = int(key.removeprefix("batch:"))
    [(status,)] = demo_rows(demo_database, "SELECT status FROM certificates_issuancebatch WHERE id = ?", batch_id)
    assert status == "held"
    return batch_id, item_id


def open_held_item(person, batch_id: int):
    """From the queue, as a person finds it: filter by kind, click the item."""
    page = person.goto("/admin/supervision/queue/")
    page.select_option("select[name=kind]", label="疑似突击发证（发证批次被暂扣）")
    page.click("input[type=submit][value=筛选]")
    page.wait_for_load_state()
    person.check("queue-rushed")
    page.click(f"a:has-text('发证批次 #{batch_id} ')")
    page.wait_for_load_state()
    return person.check("held-item")


def decide(person, button: str, finding: str) -> str:
    """Type the finding, press the decision, read and confirm the confirmation page."""
    page = person.page
    page.fill("#close-item textarea[name=finding]", finding)
    page.click(f"#close-item button:has-text('{button}')")
    page.wait_for_load_state()
    confirm = person.check(f"confirm-{button}").inner_text("#content")
    assert finding in confirm and button in confirm
    page.click("button[name=confirm]")
    page.wait_for_load_state()
    return person.check(f"closed-{button}").inner_text("#content")


def test_the_dashboard_opens_with_its_charts_and_filters_by_iso_dates(walk):
    person = walk()
    person.login("supervisor_fj")
    page = person.goto("/admin/supervision/")
    assert page.locator("svg.chart").count() >= 2 and page.locator("svg.chart").first.is_visible()
    assert "每日报名人数" in page.inner_text("#content")
    page.fill("input[name=date_from]", "2020-09-01")
    page.fill("input[name=date_to]", "2020-09-20")
    page.click("input[type=submit][value=筛选]")
    page.wait_for_load_state()
    person.check("dashboard-filtered")
    assert "date_from=2020-09-01" in page.url and "date_to=2020-09-20" in page.url
    assert page.input_value("input[name=date_from]") == "2020-09-01"
    assert page.locator("svg.chart").first.is_visible()


def test_the_held_batch_is_released_from_its_review_item(walk, demo_database):
    batch_id, _ = held_batch(demo_database)
    person = walk()
    person.login("supervisor_fj")
    page = open_held_item(person, batch_id)
    text = page.inner_text("#content")
    # The evidence in Chinese: the batch as a link, each sign of rushing as a sentence.
    assert "batch：" not in text and "signals" not in text
    assert "突击发证风险提示" in text and "考评员配备不足" in text
    assert page.locator(f"a[href$='/certificates/issuancebatch/{batch_id}/change/']").count() >= 1
    assert "待处理" in text

    # No finding: the Chinese error, nothing decided.
    page.click("#close-item button:has-text('放行（核发）')")
    page.wait_for_load_state()
    assert "办结复核事项必须写明督导结论。" in person.check("no-finding").inner_text("#content")
    page.go_back()
    page.wait_for_load_state()

    text = decide(person, "放行（核发）", "调取考场记录，实到考评员与考生比例经补充说明属实，同意核发。")
    assert "已办结" in text and "督导复核放行，已核发证书 6 本" in text
    page.click(f"a[href$='/certificates/issuancebatch/{batch_id}/change/']")
    page.wait_for_load_state()
    batch = person.check("batch-issued").inner_text("#content")
    assert "已审批核发" in batch and "调取考场记录" in batch


def test_the_held_batch_is_refused_and_its_finding_corrected_with_a_reason(walk, demo_database):
    batch_id, _ = held_batch(demo_database)
    person = walk()
    person.login("supervisor_fj")
    page = open_held_item(person, batch_id)
    old = "考评员配备不足，不予核发。"
    text = decide(person, "不予放行", old)
    assert "已办结" in text and "督导复核不予放行" in text

    page.click("a:has-text('更正督导结论')")
    page.wait_for_load_state()
    person.check("correct")
    new = "一名考评员考核六名考生，少于三名考评员的最低配备，不予核发，须重新组织考核。"
    page.fill("textarea[name=finding]", new)
    page.fill("input[name=reason]", "原结论未写明配备标准")
    page.click("button:has-text('下一步：确认更正')")
    page.wait_for_load_state()
    confirm = person.check("confirm-correction").inner_text("#content")
    assert old in confirm and new in confirm and "原结论未写明配备标准" in confirm
    page.click("button[name=confirm]")
    page.wait_for_load_state()
    text = person.check("corrected").inner_text("#content")
    # The new finding shown, the old one kept in the trail with the reason.
    trail = page.inner_text("table.trail")
    assert new in text and old in trail and "更正督导结论：原结论未写明配备标准" in trail

    page.click(f"a[href$='/certificates/issuancebatch/{batch_id}/change/']")
    page.wait_for_load_state()
    assert "不予核发" in person.check("batch-refused").inner_text("#content")


def test_a_complaint_goes_to_a_handler_and_is_closed_only_with_a_finding(walk, demo_database):
    [(complaint_id,)] = demo_rows(
        demo_database,
        "SELECT c.id FROM certificates_complaint c JOIN catalog_station s ON s.id = c.station_id "
        "WHERE c.status = 'investigating' AND s.code = 'FZ001'",
    )
    clerks = [
        name
        for (name,) in demo_rows(
            demo_database, "SELECT last_name || first_name FROM catalog_user WHERE station_id IS NOT NULL"
        )
    ]
    hunan = [
        name
        for (name,) in demo_rows(
            demo_database,
            "SELECT u.last_name || u.first_name FROM catalog_user u JOIN catalog_guidancecentre g "
            "ON g.id = u.centre_id WHERE g.code LIKE 'HN%'",
        )
    ]
    person = walk()
    person.login("supervisor_fj")
    page = person.goto("/admin/supervision/complaint/")
    page.click(f"a[href$='/supervision/complaint/{complaint_id}/change/']")
    page.wait_for_load_state()
    person.check("complaint")
    options = page.locator("select[name=assignee] option").all_inner_texts()
    offered = [o for o in options if o.strip() and not o.startswith("-")]
    assert offered, "someone may handle it"
    assert not [o for o in offered for name in clerks + hunan if name and o.startswith(name)], offered
    assert any(o.startswith("陈淑华（指导中心审核员") for o in offered)  # Fuzhou's officer covers FZ001

    page.select_option("select[name=assignee]", label=next(o for o in offered if o.startswith("陈淑华")))
    page.click("input[name=_continue]")
    page.wait_for_load_state()
    text = person.check("assigned").inner_text("#content")
    assert "调查中" in text and "陈淑华" in text

    # Closing without a finding: refused in Chinese.
    page.click("input[name=_continue]")
    page.wait_for_load_state()
    assert "举报必须写明查处结论才能办结。" in person.check("no-finding").inner_text("#content")

    page.fill("textarea[name=conclusion]", "调取远程监控录像属实，已责令该站整改并对考评员通报批评。")
    page.click("input[name=_continue]")
    page.wait_for_load_state()
    text = person.check("closed").inner_text("#content")
    assert "已办结" in text and "责令该站整改" in text
    assert re.search(r"办结人", text)
