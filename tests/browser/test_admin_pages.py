"""Each role's home and everything it links to, as the person would click through it: the
day's counts (each equal to the list it opens), every list on the role's menu, the first
object of each list and its history page — no HTTP error, console error or English on any
of them (``Walk.check``). Also: the clerk's home is short and shows no complaints or
issuance batches; a clerk of another station cannot open a Xiamen object; the date
widget's 今天 is the business date.

With ``JIANDING_README_SCREENSHOTS=1`` the README's screenshots (docs/admin.png,
docs/dashboard.png, docs/register.png) are written from the same walk."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .conftest import BUSINESS_DATE, DESKTOP, ROOT, demo_rows

pytestmark = pytest.mark.browser

ROLES = ["clerk_xm001", "officer_xm", "supervisor_fj", "admin"]
README_SHOTS = os.environ.get("JIANDING_README_SCREENSHOTS") == "1"
DOCS = ROOT / "docs"


def tiles(page) -> list[dict]:
    """The home's day: title, link and count (None for a link with no count) of each tile."""
    found = []
    for link in page.locator(".jianding-tiles a").all():
        count = link.get_attribute("data-count")
        found.append(
            {
                "title": link.locator(".label").inner_text().strip(),
                "href": link.get_attribute("href"),
                "count": int(count) if count else None,
            }
        )
    return found


def menu(page) -> list[str]:
    return [link.get_attribute("href") for link in page.locator(".jianding-menu li > a:not(.addlink)").all()]


def list_count(page) -> int:
    return int(page.locator(".paginator .result-count").inner_text())


def open_first_object_and_its_history(person, list_path: str) -> None:
    """From a list, open its first row (if it has rows and a link) and then that row's 历史."""
    page = person.page
    first = page.locator("#result_list tbody tr").first.locator("th a")
    if not first.count():
        return
    first.first.click()
    page.wait_for_load_state()
    person.check(f"object {list_path}")
    history = page.locator("a.historylink")
    if history.count():
        history.first.click()
        page.wait_for_load_state()
        person.check(f"history {list_path}")
        text = page.inner_text("#content")
        # The trace (django-simple-history) lists field-level changes; a library's own model
        # (the beat schedule) has Django's log, empty here.
        assert "变更内容" in text or "没有修改历史" in text


@pytest.mark.parametrize("user", ROLES)
def test_every_role_walks_its_home_and_every_list_it_links(walk, user):
    person = walk(f"home-{user}")
    person.login(user)
    page = person.goto("/admin/")
    assert "业务日期：2020年9月20日" in page.inner_text("#header"), "the header keeps the business date"
    day = tiles(page)
    assert day, "the home starts with the day's work"
    assert any(tile["count"] is not None for tile in day)
    links = menu(page)
    assert links, "the home lists the role's models"

    opened: set[str] = set()
    for tile in day:
        target = person.goto(tile["href"])
        if tile["count"] is not None:
            assert list_count(target) == tile["count"], f"{tile['title']}：首页的数与列表的条数一致"
            if tile["count"]:  # else the whole list is opened from the menu
                opened.add(tile["href"].split("?")[0])
                open_first_object_and_its_history(person, tile["href"])
    for href in links:
        if href in opened:
            continue
        opened.add(href)
        person.goto(href)
        open_first_object_and_its_history(person, href)


def test_the_clerk_home_is_short_and_only_the_station_s_work(walk):
    person = walk()
    person.login("clerk_xm001")
    page = person.goto("/admin/")
    titles = [tile["title"] for tile in tiles(page)]
    for expected in (
        "待资格审查",
        "缺自愿书",
        "自愿书缺扫描件",
        "待申请鉴定",
        "待录入成绩",
        "待复核成绩",
        "补考待安排",
    ):
        assert expected in titles
    text = page.inner_text("#content")
    assert "举报" not in text and "发证批次" not in text
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 1300, f"the clerk's home fits about one screen ({height}px)"
    # The side menu of every other page is the same short list.
    page = person.goto("/admin/appraisals/registration/")
    assert "举报" not in page.inner_text("#nav-sidebar")


def test_the_home_counts_only_the_user_s_own_stations(walk, demo_database):
    [(xiamen_review,)] = demo_rows(
        demo_database,
        "SELECT count(*) FROM appraisals_registration r JOIN catalog_station s ON s.id = r.station_id "
        "WHERE s.code = 'XM001' AND r.status = 'eligible'",
    )
    person = walk()
    person.login("clerk_xm001")
    page = person.goto("/admin/")
    [missing_consent] = [tile for tile in tiles(page) if tile["title"] == "缺自愿书"]
    assert missing_consent["count"] == xiamen_review


def test_a_clerk_of_another_station_cannot_open_a_xiamen_object(walk, demo_database):
    [(registration_id, name)] = demo_rows(
        demo_database,
        "SELECT r.id, c.name FROM appraisals_registration r JOIN catalog_station s ON s.id = r.station_id "
        "JOIN candidates_candidate c ON c.id = r.candidate_id WHERE s.code = 'XM001' ORDER BY r.id LIMIT 1",
    )
    person = walk()
    person.login("clerk_cs001")
    for path in (
        f"/admin/appraisals/registration/{registration_id}/change/",
        f"/admin/appraisals/registration/{registration_id}/history/",
    ):
        person.expected_statuses = {403, 404}
        page = person.goto(path)
        text = page.inner_text("#content")
        assert name not in text, "nothing of the Xiamen case is shown"
        assert "不存在" in page.inner_text("body") or "403" in text or "无权" in text


def test_the_date_widget_today_and_the_today_filter_are_the_business_date(walk):
    person = walk()
    person.login("clerk_xm001")
    page = person.goto("/admin/appraisals/registration/add/")
    page.fill("#id_registration_date", "")
    page.locator(".field-registration_date").get_by_role("link", name="今天").click()
    assert page.input_value("#id_registration_date").replace("/", "-") == BUSINESS_DATE
    person.check("today-widget")

    page = person.goto("/admin/appraisals/registration/")
    page.locator("#changelist-filter").get_by_role("link", name="今天").first.click()
    page.wait_for_load_state()
    person.check("today-filter")
    assert f"__gte={BUSINESS_DATE}" in page.url


def test_the_readme_screenshots(walk, demo_database):
    """The README's three pictures, from the demo as a person sees it (written only with
    JIANDING_README_SCREENSHOTS=1; otherwise the same pages are just checked)."""
    person = walk(viewport=DESKTOP)
    person.login("clerk_xm001")
    shots: list[tuple[Path, str]] = [
        (DOCS / "admin.png", "/admin/"),
        (DOCS / "register.png", "/admin/appraisals/registration/add/"),
    ]
    for target, path in shots:
        page = person.goto(path)
        if README_SHOTS:
            page.screenshot(path=target)
    supervisor = walk("readme-supervisor")
    supervisor.login("supervisor_fj")
    page = supervisor.goto("/admin/supervision/")
    assert re.search(r"报名|合格率", page.inner_text("#content"))
    if README_SHOTS:
        page.screenshot(path=DOCS / "dashboard.png", full_page=True)


def test_a_station_is_picked_by_typing_and_a_name_found_by_its_given_name(walk, demo_database):
    """The system administrator sees every station: the registration list offers no list of
    them but a box that finds one by a few characters; choosing it filters the list."""
    [(station_id, code, station_name)] = demo_rows(
        demo_database, "SELECT id, code, name FROM catalog_station WHERE code = 'XM001'"
    )
    [(full_name,)] = demo_rows(
        demo_database,
        "SELECT c.name FROM candidates_candidate c JOIN appraisals_registration r ON r.candidate_id = c.id"
        " WHERE r.station_id = ? AND length(c.name) = 3 ORDER BY c.id LIMIT 1",
        station_id,
    )
    person = walk()
    person.login("admin")
    page = person.goto("/admin/appraisals/registration/")
    box = page.locator("#changelist-filter .autocomplete-filter .select2-selection")
    assert box.is_visible()
    box.click()
    page.locator(".select2-search__field").fill(code)
    option = page.locator(".select2-results__option", has_text=station_name)
    option.wait_for()
    with page.expect_navigation():
        option.click()
    person.check("station-chosen")
    assert f"station__id__exact={station_id}" in page.url
    stations = set(page.locator("#result_list tbody td.field-station").all_inner_texts())
    assert stations == {f"{code} {station_name}"}

    # The given name alone (the name without its surname) finds the person.
    page.fill("#searchbar", full_name[1:])
    page.press("#searchbar", "Enter")
    page.wait_for_load_state()
    person.check("given-name")
    assert full_name in page.locator("#result_list").inner_text()
