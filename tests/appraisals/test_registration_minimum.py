"""A registration is taken with what the notices need (name, ID number, phone, occupation,
level, registration date); education, years in the trade and the diploma may be blank,
and the eligibility review asks for those its routes need rather than judging 不合格.

The importer takes a station's plain six-column list in every file kind, says a missing
required column once at the header, and its template's help sheet says which columns are
required exactly as it colours them."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from appraisals import services
from appraisals.importing import HEADER, REQUIRED_LABELS
from appraisals.models import EligibilityReview, Registration
from appraisals.resources import report_to_result
from appraisals.rules import Code
from appraisals.views_io import OPTIONAL_FILL, REQUIRED_FILL, template_workbook
from candidates.models import Candidate
from kit.errors import RuleError
from tests.candidates.factories import CandidateFactory, make_id_number

from .test_import_engine import csv_file, person, run, xlsx_file

pytestmark = pytest.mark.django_db
D = datetime.date
S = Registration.Status
SIX = ["姓名", "身份证号", "联系电话", "职业", "等级", "报名日期"]
YEARS = "本职业（工种）工作年限"
DIPLOMA = "学历证书类型"


@pytest.fixture
def station(orgs):
    return orgs["xm1"]


@pytest.fixture
def clerk(staff):
    return staff["clerk"]


# --- the eligibility review asks for what a route needs ---------------------------------------------


@pytest.fixture
def level_4(orgs, staff, hairdresser):
    return services.announcement_publish(
        actor=staff["clerk"], station=orgs["xm1"], occupation=hairdresser, level="4", publish_date=D(2020, 9, 1)
    )


def registered(staff, announcement, **facts) -> Registration:
    """A person entered with only the six columns, plus ``facts``."""
    candidate = CandidateFactory(**{"education": "", "years_in_trade": None, "diploma": "", **facts})
    return services.registration_accept(
        actor=staff["clerk"], candidate=candidate, announcement=announcement, registration_date=D(2020, 9, 5)
    )


def review(staff, registration) -> EligibilityReview:
    return services.eligibility_review(actor=staff["clerk"], registration=registration, review_date=D(2020, 9, 6))


def test_a_review_without_the_years_asks_for_them_and_records_nothing(staff, announcement):
    registration = registered(staff, announcement)  # level 5: one year, or an apprenticeship

    with pytest.raises(RuleError) as refused:
        review(staff, registration)

    assert refused.value.code == Code.ELIGIBILITY_DATA_MISSING
    [message] = refused.value.messages
    assert f"考生的{YEARS}尚未填写" in message and "补充" in message
    assert DIPLOMA not in message and "文化程度" not in message  # no level-5 route reads them
    registration.refresh_from_db()
    assert registration.status == S.REGISTERED  # not judged 不合格
    assert not EligibilityReview.objects.filter(registration=registration).exists()

    # Entered later, the review decides: 0 years is known, and not enough.
    candidate = registration.candidate
    candidate.years_in_trade = 0
    candidate.save()
    assert review(staff, registration).passed is False
    registration.refresh_from_db()
    assert registration.status == S.INELIGIBLE


def test_a_review_with_the_years_entered_later_passes(staff, announcement):
    registration = registered(staff, announcement)
    with pytest.raises(RuleError):
        review(staff, registration)
    registration.candidate.years_in_trade = 2
    registration.candidate.save()

    assert review(staff, registration).passed is True


@pytest.mark.parametrize(
    ("facts", "asked"),
    [
        ({}, [YEARS, DIPLOMA]),  # six years, or a diploma, could still make it
        ({"years_in_trade": 2}, [DIPLOMA]),  # two years rule out the year routes; a diploma may not
        ({"diploma": "none"}, [YEARS]),  # no diploma: only the six years may
        ({"prior_certificate_level": "5"}, [YEARS, DIPLOMA]),
    ],
)
def test_level_4_asks_only_for_what_could_still_make_the_candidate_eligible(staff, level_4, facts, asked):
    registration = registered(staff, level_4, **facts)
    with pytest.raises(RuleError) as refused:
        review(staff, registration)
    [message] = refused.value.messages
    assert message.split("尚未填写")[0].endswith("、".join(asked))


@pytest.mark.parametrize(
    ("facts", "eligible"),
    [
        ({"diploma": "technical_school"}, True),  # met on what is known: the years are not needed
        ({"years_in_trade": 8}, True),
        ({"years_in_trade": 2, "diploma": "none"}, False),  # everything a route reads is known
    ],
)
def test_level_4_decides_when_what_is_known_is_enough(staff, level_4, facts, eligible):
    assert review(staff, registered(staff, level_4, **facts)).passed is eligible


# --- the six columns, in every file kind ---------------------------------------------------------------


def six_column_rows(count: int) -> list[dict]:
    return [{key: person(i)[key] for key in SIX} for i in range(count)]


@pytest.mark.parametrize("kind", ["utf-8-sig", "gb18030", "xlsx"])
def test_a_plain_six_column_list_imports(kind, station, clerk, announcement):
    rows = six_column_rows(3)
    data = xlsx_file(rows, SIX) if kind == "xlsx" else csv_file(rows, kind, SIX)

    report = run(data, station, clerk)

    assert report.ok and report.saved, report.lines()
    assert (report.rows, report.candidates_created, report.registrations_created) == (3, 3, 3)
    candidate = Candidate.objects.get(id_number=rows[0]["身份证号"])
    # Not entered yet: blank, and the years unknown rather than 0.
    assert (candidate.education, candidate.years_in_trade, candidate.diploma) == ("", None, "")
    assert Registration.objects.filter(announcement=announcement, status=S.REGISTERED).count() == 3


def test_blank_optional_cells_import_too_and_a_known_person_keeps_what_is_on_record(station, clerk, announcement):
    # Born in 1985: never the factory's sequence meeting person(0)'s ID number (both 1990, seq 100).
    known = CandidateFactory(
        id_number=make_id_number(datetime.date(1985, 6, 1), 7), education="college", years_in_trade=7
    )
    rows = [
        person(0, 文化程度="", 工作年限=""),
        person(1, 身份证号=known.id_number, 姓名=known.name, 联系电话=known.phone, 文化程度="", 工作年限=""),
    ]

    report = run(csv_file(rows), station, clerk)

    assert report.ok, report.lines()
    assert Candidate.objects.get(id_number=rows[0]["身份证号"]).years_in_trade is None
    known.refresh_from_db()
    assert (known.education, known.years_in_trade) == ("college", 7)


# --- a missing required column: one message, at the header, first -------------------------------------------


def test_a_missing_id_number_column_is_said_once_at_the_header(station, clerk, announcement):
    headers = [h for h in SIX if h != "身份证号"]
    rows = six_column_rows(5)
    rows[2]["报名日期"] = "九月十日"  # a row error too: the header's message still comes first, once

    report = run(csv_file(rows, headers=headers), station, clerk)

    assert not report.ok and not report.saved
    assert report.errors[0] == report.errors[-1]
    [error] = report.errors
    assert (error.row, error.column) == (1, HEADER)
    assert error.rule.startswith("缺少必需的列：身份证号。")
    lines = report.lines()
    assert lines[0].startswith("导入被拒绝：文件的表头（第1行）与导入模板不符")
    assert lines[1].startswith("第1行（表头）：缺少必需的列：身份证号")
    assert Candidate.objects.count() == 0 and Registration.objects.count() == 0

    # The admin's preview shows it as the first (and only) refused row.
    result = report_to_result(report)
    assert [row.number for row in result.invalid_rows] == [1]


def test_missing_optional_columns_are_no_problem_and_several_required_ones_share_one_message(station, clerk):
    report = run(csv_file(six_column_rows(1), headers=["姓名", "职业", "等级", "文化程度"]), station, clerk)
    [error] = report.errors
    assert error.rule.startswith("缺少必需的列：身份证号、联系电话、报名日期。")


# --- the template: the help sheet says what the colours say --------------------------------------------------


def test_the_template_help_sheet_names_the_required_columns_as_coloured(station):
    book = openpyxl.load_workbook(io.BytesIO(template_workbook(station)))
    sheet, notes = book["报名"], book["填写说明"]
    fills = {cell.value: cell.fill.fgColor.rgb[-6:] for cell in sheet[1]}
    required = [label for label, fill in fills.items() if fill == REQUIRED_FILL]
    optional = [label for label, fill in fills.items() if fill == OPTIONAL_FILL]
    assert required == SIX == list(REQUIRED_LABELS)
    assert {"文化程度", "工作年限", "毕业证书", "已有证书等级"} <= set(optional)

    text = "\n".join(str(row[0]) for row in notes.iter_rows(values_only=True) if row[0])
    required_line = next(line for line in text.splitlines() if line.startswith("2. 必填列（浅红色表头）"))
    optional_line = next(line for line in text.splitlines() if line.startswith("3. 选填列（灰色表头）"))
    assert all(label in required_line for label in required)
    assert all(label in optional_line for label in optional)
    assert "文化程度" not in required_line
    assert "必填" not in text.replace("必填列", "")  # no other column called required
    assert "留空表示0" not in text


def test_the_template_download_answers_the_clerk(client, staff):
    client.force_login(staff["clerk"])
    response = client.get(reverse("appraisals:import_template"))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["报名", "填写说明"]


# --- 按身份证号报名 with the six only -------------------------------------------------------------------------


def test_the_add_form_registers_with_only_what_the_notices_need(client, staff, announcement):
    client.force_login(staff["clerk"])
    id_number = make_id_number(D(1994, 3, 8), 258)
    response = client.post(
        reverse("admin:appraisals_registration_add"),
        {
            "id_number": id_number,
            "name": "郑雅婷",
            "phone": "13912345670",
            "education": "",
            "years_in_trade": "",
            "diploma": "",
            "prior_certificate_level": "",
            "prior_certificate_number": "",
            "prior_certificate_date": "",
            "announcement": announcement.pk,
            "registration_date": "2020-09-10",
            "fee": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    candidate = Candidate.objects.get(id_number=id_number)
    assert (candidate.education, candidate.years_in_trade, candidate.diploma) == ("", None, "")
    assert Registration.objects.filter(candidate=candidate, announcement=announcement).exists()
