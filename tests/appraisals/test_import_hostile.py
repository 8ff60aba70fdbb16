"""Hostile input to the registration importer, fuzzed: random bytes, text in the wrong
encoding, 10,000 columns, a megabyte in one cell, formulas, empty files. Always a clean
Chinese answer — a refusal of the file or a report of its rows — never a traceback, and
nothing saved."""

import csv
import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appraisals.importing import ImportRefused, import_file
from appraisals.models import Registration
from candidates.models import Candidate

from .test_import_engine import HEADERS, csv_file, registration_rows

pytestmark = pytest.mark.django_db
CHINESE = re.compile(r"[\u4e00-\u9fff]")
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def answer(data: bytes, station, clerk) -> str:
    """What the clerk is told: the refusal, or the report's first line."""
    try:
        report = import_file(data, station=station, actor=clerk, file_name="报名.csv")
    except ImportRefused as refused:
        return str(refused)
    assert not report.saved or report.ok
    return report.lines()[0]


def assert_nothing_saved() -> None:
    assert Registration.objects.count() == 0 and Candidate.objects.count() == 0


@pytest.fixture
def station(orgs):
    return orgs["xm1"]


@pytest.fixture
def clerk(staff):
    return staff["clerk"]


@FUZZ
@given(data=st.binary(max_size=4096))
def test_random_bytes_get_a_chinese_answer_and_save_nothing(station, clerk, data):
    assert CHINESE.search(answer(data, station, clerk))
    assert_nothing_saved()


@FUZZ
@given(
    cells=st.lists(st.lists(st.text(max_size=40), min_size=1, max_size=12), min_size=1, max_size=20),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "big5", "shift_jis", "latin-1"]),
)
def test_any_table_in_any_encoding_under_the_real_header(station, clerk, cells, encoding):
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADERS)
    writer.writerows(cells)
    data = text.getvalue().encode(encoding, errors="replace")
    assert CHINESE.search(answer(data, station, clerk))
    assert_nothing_saved()


@pytest.mark.parametrize("years", ["²", "³年", "½", "Ⅲ"])
def test_digits_that_are_not_decimal_are_refused_as_years(station, clerk, announcement, years):
    """Found by the fuzzing above: “²” passed str.isdigit() and then broke int()."""
    message = answer(csv_file(registration_rows(1, 工作年限=years)), station, clerk)
    assert message.startswith("导入被拒绝")
    assert_nothing_saved()


def test_ten_thousand_columns_are_answered_at_the_header(station, clerk):
    headers = [*HEADERS, *(f"列{n}" for n in range(10_000))]
    message = answer(csv_file(registration_rows(3), headers=headers), station, clerk)
    assert CHINESE.search(message)
    assert_nothing_saved()


def test_a_megabyte_in_one_cell_refuses_the_file_naming_its_line(station, clerk, announcement):
    rows = registration_rows(2)
    rows[1]["姓名"] = "张" * 1_000_000
    message = answer(csv_file(rows), station, clerk)
    assert message.startswith("导入被拒绝：第3行无法按 CSV 读取")
    assert_nothing_saved()


@pytest.mark.parametrize("formula", ["=1+1", "+cmd|' /C calc'!A0", "@SUM(A1:A2)", '=HYPERLINK("http://x")'])
def test_a_formula_in_a_name_is_kept_as_text(station, clerk, announcement, formula):
    """Stored as typed, never evaluated; every export escapes it (test_export)."""
    message = answer(csv_file(registration_rows(1, 姓名=formula)), station, clerk)
    assert message.startswith("导入完成")
    assert Candidate.objects.get().name == formula


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n\r\n", "姓名,身份证号\n".encode()])
def test_empty_and_header_only_files(station, clerk, data):
    assert CHINESE.search(answer(data, station, clerk))
    assert_nothing_saved()
