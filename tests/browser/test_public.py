"""The public: the certificate lookup typed into its form (number + name, ID number + name,
a miss), on a desktop and on a phone, the QR link, and the complaint form."""

import re

import pytest

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

# The demo's first certificate (load_demo prints it).
NUMBER, NAME = "FJ-XM-2020-000001", "蔡文鑫"


def lookup(person, key: str, name: str):
    page = person.goto("/verify/")
    page.fill("input[name=key]", key)
    page.fill("input[name=name]", name)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return person.check(f"lookup-{key[:6]}").inner_text("main")


def assert_masked(text: str) -> None:
    assert not re.search(r"\d{17}[\dXx]", text), "no full ID number on a public page"
    assert re.search(r"\d{4,6}\*{6,}[\dXx]{2,4}", text), "the ID number is shown masked"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_lookup_is_typed_and_submitted_by_number_and_by_id_number(walk, viewport, demo_certificate):
    person = walk(viewport=viewport)
    text = lookup(person, NUMBER, NAME)
    assert NUMBER in text and NAME in text and "有效" in text
    assert_masked(text)

    text = lookup(person, demo_certificate["id_number"], NAME)
    assert NUMBER in text and NAME in text
    assert_masked(text)


def test_a_miss_says_not_found_and_nothing_else(walk):
    person = walk()
    text = lookup(person, NUMBER, "张三")
    assert "未查询到" in text or "没有查询到" in text
    assert NUMBER not in text.split("查询")[0]


def test_the_qr_link_opens_the_certificate(walk, demo_certificate):
    person = walk(viewport=PHONE)
    person.goto(f"/verify/?no={demo_certificate['number']}&code={demo_certificate['code']}")
    text = person.page.inner_text("main")
    assert demo_certificate["number"] in text and NAME in text
    assert_masked(text)


def test_a_public_complaint_gets_a_reference_number_to_quote(walk):
    person = walk(viewport=PHONE)
    page = person.goto("/complaints/")
    assert "监督电话" in page.inner_text("header")
    page.fill("textarea[name=content]", "考点未核对身份证，有人替考。")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    text = person.check("complaint-sent").inner_text("main")
    assert re.search(r"受理编号 JB2020\d{6}", text)
