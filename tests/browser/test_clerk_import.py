"""A Xiamen station clerk's registration work in a browser (desktop): finding people by
full ID number and by name, registering by ID number, downloading the import template,
and importing files: one refused for a bad row, the same file corrected, and a station's
plain six-column list as Excel writes it and as a GB18030 CSV.

Every file is made here (openpyxl, ``encode("gb18030")``) and uploaded through the import
page's file input; ID numbers are valid GB 11643 numbers made for the test."""

from __future__ import annotations

import csv
import datetime
import io
import re
from pathlib import Path

import openpyxl
import pytest
from stdnum.cn import ric

from .conftest import demo_rows

pytestmark = pytest.mark.browser

CLERK = "clerk_xm001"
STATION = "XM001"
SIX = ["姓名", "身份证号", "联系电话", "职业", "等级", "报名日期"]
LEVEL_WORDS = {"5": "五级", "4": "四级", "3": "三级", "2": "二级", "1": "一级"}
REGISTRATIONS = "/admin/appraisals/registration/"
CANDIDATES = "/admin/candidates/candidate/"
FULL_ID = re.compile(r"\d{17}[\dX]")


# --- data ------------------------------------------------------------------------------------------


def id_number(birth: datetime.date, sequence: int, address: str = "350203") -> str:
    """A valid resident ID number (GB 11643): its check digit computed."""
    body = f"{address}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def wrong_check_digit(number: str) -> str:
    digits = "0123456789X"
    return number[:17] + digits[(digits.index(number[17]) + 1) % len(digits)]


def fresh_people(database: Path, count: int, first: int) -> list[tuple[str, str, str]]:
    """(name, ID number, phone) of people the demo does not know."""
    known = {row[0] for row in demo_rows(database, "SELECT id_number FROM candidates_candidate")}
    people = []
    n = first
    while len(people) < count:
        number = id_number(datetime.date(1990, 1, 1) + datetime.timedelta(days=37 * n), 500 + n % 400)
        if number not in known:
            people.append((f"测试考生{n:03d}", number, f"1390592{n:04d}"))
        n += 1
    return people


def open_announcement(database: Path) -> tuple[str, str]:
    """(occupation, level word) of an announcement of the clerk's station published well
    before the business date (2020-09-20), within Fujian's registration window."""
    rows = demo_rows(
        database,
        "SELECT o.name, a.level FROM appraisals_examannouncement a "
        "JOIN catalog_occupation o ON o.id = a.occupation_id JOIN catalog_station s ON s.id = a.station_id "
        "WHERE s.code = ? AND a.publish_date <= '2020-09-01' AND a.level = '5' ORDER BY a.publish_date DESC, o.name",
        STATION,
    )
    assert rows, "the demo's Xiamen station has a level-5 announcement open for registration"
    occupation, level = rows[0]
    return occupation, LEVEL_WORDS[level]


def rows_of(people, occupation: str, level: str, day: str = "2020-09-15") -> list[list[str]]:
    return [[name, number, phone, occupation, level, day] for name, number, phone in people]


def write_xlsx(path: Path, headers: list[str], rows: list[list], *, as_excel: bool = False) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "报名"
    sheet.append(headers)
    for row in rows:
        if as_excel:
            # As Excel saves a clerk's typed list: the date a real date cell, the ID and
            # phone numbers text cells (the column formatted as text).
            row = [*row[:5], datetime.date.fromisoformat(row[5])]
        sheet.append(row)
    if as_excel:
        for cells in sheet.iter_rows(min_row=2, min_col=2, max_col=3):
            for cell in cells:
                cell.number_format = "@"
        for (cell,) in sheet.iter_rows(min_row=2, min_col=6, max_col=6):
            cell.number_format = "yyyy/m/d"
    book.save(path)
    return path


def write_csv(path: Path, headers: list[str], rows: list[list], encoding: str) -> Path:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(headers)
    writer.writerows(rows)
    path.write_bytes(text.getvalue().encode(encoding))
    return path


# --- steps ------------------------------------------------------------------------------------------


def search(clerk, path: str, term: str, step: str) -> list[str]:
    """Type into the list's search box and press Enter; the rows' texts."""
    page = clerk.goto(path)
    page.fill("#searchbar", term)
    page.press("#searchbar", "Enter")
    page.wait_for_load_state()
    clerk.check(step)
    return page.locator("#result_list tbody tr").all_inner_texts()


def import_file(clerk, path: Path, step: str):
    """From the registration list, 导入 → choose the file → 提交: the page with the report."""
    page = clerk.goto(REGISTRATIONS)
    page.locator(".object-tools").get_by_role("link", name="导入", exact=True).click()
    page.wait_for_load_state()
    clerk.check(f"{step}-form")
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="提交").click()
    page.wait_for_load_state()
    return clerk.check(step)


def confirm_import(clerk, step: str) -> str:
    page = clerk.page
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_load_state()
    clerk.check(step)
    return page.locator("ul.messagelist").inner_text()


def assert_listed(clerk, people, step: str) -> None:
    for name, number, _ in people:
        rows = search(clerk, REGISTRATIONS, number, f"{step}-{name}")
        assert len(rows) == 1 and name in rows[0], f"{name} is listed after the import"
        assert number not in rows[0]  # the list masks the number


def assert_not_listed(clerk, people, step: str) -> None:
    for name, number, _ in people:
        assert search(clerk, REGISTRATIONS, number, f"{step}-{name}") == [], f"{name} was not saved"


# --- the tests ------------------------------------------------------------------------------------------


def test_the_clerk_finds_a_person_by_full_id_number_and_by_name(walk, demo_database):
    [(name, number)] = demo_rows(
        demo_database,
        "SELECT c.name, c.id_number FROM appraisals_registration r "
        "JOIN candidates_candidate c ON c.id = r.candidate_id JOIN catalog_station s ON s.id = r.station_id "
        "WHERE s.code = ? AND c.name IN (SELECT name FROM candidates_candidate GROUP BY name HAVING COUNT(*) = 1) "
        "GROUP BY c.id HAVING COUNT(*) = 1 ORDER BY c.id LIMIT 1",
        STATION,
    )
    clerk = walk()
    clerk.login(CLERK)
    masked = number[:6] + "*" * 8 + number[-4:]
    for path, what in ((CANDIDATES, "candidates"), (REGISTRATIONS, "registrations")):
        rows = search(clerk, path, number, f"{what}-by-id-number")
        assert len(rows) == 1 and name in rows[0], f"{what}: the full ID number finds the one person"
        assert masked in rows[0] and number not in rows[0], f"{what}: the list shows the number masked"
        rows = search(clerk, path, name, f"{what}-by-name")
        assert len(rows) == 1 and name in rows[0], f"{what}: the name finds the person"
    # A part of someone's ID number finds nobody (no list of strangers).
    assert search(clerk, REGISTRATIONS, number[:10], "registrations-by-part") == []


def test_the_clerk_registers_by_id_number_and_a_wrong_check_digit_is_refused(walk, demo_database):
    [(name, number, phone)] = fresh_people(demo_database, 1, first=11)
    occupation, level = open_announcement(demo_database)
    clerk = walk()
    clerk.login(CLERK)
    page = clerk.goto(REGISTRATIONS)
    page.locator(".object-tools").get_by_role("link", name=re.compile("新增")).click()
    page.wait_for_load_state()
    clerk.check("add-form")

    page.get_by_label("公民身份号码").fill(wrong_check_digit(number))
    page.get_by_label("姓名").fill(name)
    page.get_by_label("手机号").fill(phone)
    # The announcement: an autocomplete, typed and picked as a person does.
    page.locator(".field-announcement .select2-selection").click()
    page.locator(".select2-search__field").fill(occupation)
    page.locator(".select2-results__option", has_text=f"{occupation}（{level}").first.click()
    registration_date = page.get_by_label("报名日期")
    assert re.sub(r"\D", "", registration_date.input_value()) == "20200920"  # the business date
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_load_state()
    clerk.check("add-wrong-check-digit")

    error = page.locator(".field-id_number .errorlist")
    assert "校验码错误" in error.inner_text(), "the rule is said next to the ID number"
    assert wrong_check_digit(number) not in page.locator(".errorlist").all_inner_texts()[0]
    assert search(clerk, REGISTRATIONS, number, "nothing-saved") == []
    assert search(clerk, CANDIDATES, number, "no-person-saved") == []

    page = clerk.goto(REGISTRATIONS)
    page.locator(".object-tools").get_by_role("link", name=re.compile("新增")).click()
    page.wait_for_load_state()
    page.get_by_label("公民身份号码").fill(number)
    page.get_by_label("姓名").fill(name)
    page.get_by_label("手机号").fill(phone)
    page.locator(".field-announcement .select2-selection").click()
    page.locator(".select2-search__field").fill(occupation)
    page.locator(".select2-results__option", has_text=f"{occupation}（{level}").first.click()
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_load_state()
    clerk.check("add-saved")
    assert "成功" in page.locator("ul.messagelist").inner_text()

    rows = search(clerk, REGISTRATIONS, number, "registered")
    assert len(rows) == 1 and name in rows[0] and occupation in rows[0] and "2020" in rows[0]


def test_the_import_template_downloads_with_its_help_sheet(walk, tmp_path):
    clerk = walk()
    clerk.login(CLERK)
    page = clerk.goto(REGISTRATIONS)
    with page.expect_download() as download_info:
        page.locator(".object-tools").get_by_role("link", name="下载导入模板").click()
    download = download_info.value
    assert download.suggested_filename == "报名导入模板.xlsx"
    path = tmp_path / "模板.xlsx"
    download.save_as(path)
    clerk.check("template-downloaded")

    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["报名", "填写说明"]
    headers = [cell.value for cell in book["报名"][1]]
    assert headers[:6] == SIX and {"文化程度", "工作年限"} <= set(headers)
    fills = {cell.value: cell.fill.fgColor.rgb[-6:] for cell in book["报名"][1]}
    required = [header for header in headers if fills[header] == fills["姓名"]]
    assert required == SIX, "the six are coloured as required, nothing else"
    notes = [str(row[0]) for row in book["填写说明"].iter_rows(values_only=True) if row[0]]
    required_line = next(line for line in notes if "必填列" in line)
    optional_line = next(line for line in notes if "选填列" in line)
    assert all(header in required_line for header in SIX)
    assert "文化程度" not in required_line and "工作年限" not in required_line
    assert "文化程度" in optional_line and "工作年限" in optional_line
    assert "新考生必填" not in "".join(notes)


def test_a_file_with_one_bad_row_is_refused_whole_then_imported_corrected(walk, demo_database, tmp_path):
    people = fresh_people(demo_database, 3, first=41)
    occupation, level = open_announcement(demo_database)
    rows = rows_of(people, occupation, level)
    bad = wrong_check_digit(people[1][1])
    rows[1][1] = bad  # spreadsheet row 3 (the header is row 1)
    clerk = walk()
    clerk.login(CLERK)

    page = import_file(clerk, write_xlsx(tmp_path / "报名-有错.xlsx", SIX, rows), "import-bad-row")
    text = page.inner_text("#content")
    assert "导入被拒绝：3 行中有 1 行不符合规则" in text and "未保存任何数据" in text
    report = page.locator("table.jianding-errors tbody tr")
    assert report.count() == 1
    cells = report.first.locator("td").all_inner_texts()
    assert cells[:3] == ["3", "身份证号", bad[:6] + "*" * 8 + bad[-4:]], "row, column and the value masked"
    assert "校验码错误" in cells[3], "the rule"
    assert not FULL_ID.search(text), "no full ID number on the page"
    assert "某些行验数据证失败" not in text
    assert page.get_by_role("button", name="确认导入").count() == 0
    assert_not_listed(clerk, people, "after-refusal")

    rows[1][1] = people[1][1]
    page = import_file(clerk, write_xlsx(tmp_path / "报名-改正.xlsx", SIX, rows), "import-corrected-preview")
    assert "检查通过（仅检查，未保存）：共 3 行；新增报名 3 条" in page.inner_text("#content")
    message = confirm_import(clerk, "import-corrected-saved")
    assert "导入完成：共 3 行；新增报名 3 条" in message
    assert_listed(clerk, people, "after-import")


@pytest.mark.parametrize("kind", ["xlsx", "gb18030"])
def test_a_plain_six_column_list_imports(walk, demo_database, tmp_path, kind):
    people = fresh_people(demo_database, 2, first=71 if kind == "xlsx" else 81)
    occupation, level = open_announcement(demo_database)
    rows = rows_of(people, occupation, level, day="2020-09-18")
    if kind == "xlsx":
        path = write_xlsx(tmp_path / "站点名单.xlsx", SIX, rows, as_excel=True)
    else:
        path = write_csv(tmp_path / "站点名单.csv", SIX, rows, "gb18030")
    clerk = walk()
    clerk.login(CLERK)

    page = import_file(clerk, path, f"six-columns-{kind}-preview")
    text = page.inner_text("#content")
    assert "检查通过（仅检查，未保存）：共 2 行；新增报名 2 条" in text, "no optional column is asked for"
    assert "文化程度" not in text
    message = confirm_import(clerk, f"six-columns-{kind}-saved")
    assert "导入完成：共 2 行；新增报名 2 条，" in message
    assert_listed(clerk, people, f"six-columns-{kind}")


def test_a_list_without_the_id_number_column_is_told_once_at_the_header(walk, demo_database, tmp_path):
    people = fresh_people(demo_database, 4, first=91)
    occupation, level = open_announcement(demo_database)
    rows = [[name, phone, occupation, level, "2020-09-15"] for name, _, phone in people]
    headers = [header for header in SIX if header != "身份证号"]
    clerk = walk()
    clerk.login(CLERK)

    page = import_file(clerk, write_csv(tmp_path / "缺列.csv", headers, rows, "utf-8-sig"), "missing-column")
    summary = page.locator("p.errornote").first.inner_text()
    assert summary.startswith("导入被拒绝：文件的表头（第1行）与导入模板不符")
    report = page.locator("table.jianding-errors tbody tr")
    assert report.count() == 1, "one message, not one per row"
    cells = report.first.locator("td").all_inner_texts()
    assert cells[:2] == ["1", "表头"] and cells[3].startswith("缺少必需的列：身份证号")
