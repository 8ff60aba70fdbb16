"""The back office on a phone (390×844), logged in: each role opens its home, follows the
day's first count to its list, and the pages fit the screen's width (only a list's table
scrolls sideways, inside its own box). The clerk finds a person by name from the phone."""

from __future__ import annotations

import pytest

from .conftest import PHONE, demo_rows

pytestmark = pytest.mark.browser

# Wider than this and the page itself scrolls sideways: text is cut off at the right.
FITS = """() => {
    const width = document.documentElement.clientWidth;
    return [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > width + 1)
        .filter(el => !el.closest('.results, .jianding-wide, table'))
        .filter(el => getComputedStyle(el).position !== 'fixed' && el.offsetParent !== null)
        .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : ''))
        .slice(0, 5);
}"""


def fits(person, step: str):
    page = person.check(step)
    overflow = page.evaluate(FITS)
    assert not overflow, f"{step}：在手机屏幕上超出屏幕宽度：{overflow}"
    return page


@pytest.mark.parametrize("username", ["clerk_xm001", "officer_xm", "supervisor_fj"])
def test_each_role_works_from_a_phone(walk, username):
    person = walk(f"phone-{username}", viewport=PHONE)
    person.login(username)
    page = fits(person, "home")
    counted = page.locator(".jianding-tiles a[data-count]")
    assert counted.count(), "手机上首页没有今日工作"
    counted.first.click()
    page.wait_for_load_state()
    fits(person, "first-tile")


def test_the_clerk_finds_a_person_by_name_on_a_phone(walk, demo_database):
    [(name,)] = demo_rows(
        demo_database,
        "SELECT c.name FROM appraisals_registration r JOIN candidates_candidate c ON c.id = r.candidate_id "
        "JOIN catalog_station s ON s.id = r.station_id WHERE s.code = 'XM001' ORDER BY r.id LIMIT 1",
    )
    clerk = walk("phone-clerk-search", viewport=PHONE)
    clerk.login("clerk_xm001")
    page = clerk.goto("/admin/appraisals/registration/")
    page.fill("#searchbar", name)
    page.press("#searchbar", "Enter")
    page.wait_for_load_state()
    fits(clerk, "search")
    assert page.locator("#result_list tbody tr").filter(has_text=name).count() >= 1
