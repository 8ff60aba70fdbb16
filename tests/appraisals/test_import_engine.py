"""The registration importer: every encoding and XLSX, every rule of the admin, the
row-level report, all or nothing, idempotence, and queries that grow with batches.

The helpers at the top (``registration_rows``, ``csv_file``, ``xlsx_file``) are shared
with the other import tests."""

import csv
import datetime
import io
from collections import defaultdict
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appraisals import services
from appraisals.importing import (
    ImportReport,
    RegistrationImporter,
    import_file,
    open_table,
    parse_date,
)
from appraisals.models import Registration
from candidates.models import Candidate
from candidates.validators import EXCEL_NUMBER_MESSAGE, mask_id_number
from kit import privacy
from tests.candidates.factories import CandidateFactory, make_id_number

pytestmark = pytest.mark.django_db
D = datetime.date

HEADERS = ["姓名", "身份证号", "联系电话", "职业", "等级", "报名日期", "文化程度", "工作年限"]
EXTRA_HEADERS = [
    "已有证书等级",
    "已有证书编号",
    "已有证书发证日期",
    "毕业证书",
    "培养类型",
    "学校或企业",
    "培养计划",
    "预计毕业日期",
    "培养职业",
]


def person(i: int, **changes) -> dict:
    """One row of a good file: a person born in 1990, registering for the hairdresser
    announcement of the fixtures (XM001, level 5, published 2020-09-01)."""
    row = {
        "姓名": f"考生{i:03d}",
        "身份证号": make_id_number(D(1990, 1, 1) + datetime.timedelta(days=i), 100 + i),
        "联系电话": f"1380013{i:04d}",
        "职业": "美发师",
        "等级": "五级/初级工",
        "报名日期": "2020-09-10",
        "文化程度": "高中/中专/技校",
        "工作年限": "3",
    }
    row.update(changes)
    return row


def registration_rows(count: int, **changes) -> list[dict]:
    return [person(i, **changes) for i in range(count)]


def csv_file(rows: list[dict], encoding: str = "utf-8-sig", headers: list[str] = HEADERS) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headers])
    return text.getvalue().encode(encoding)


def xlsx_file(rows: list[dict], headers: list[str] = HEADERS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "gbk"]
FILE_KINDS = [*ENCODINGS, "xlsx"]


def make_file(kind: str, rows: list[dict], headers: list[str] = HEADERS) -> bytes:
    return xlsx_file(rows, headers) if kind == "xlsx" else csv_file(rows, kind, headers)


@pytest.fixture
def station(orgs):
    return orgs["xm1"]


@pytest.fixture
def clerk(staff):
    return staff["clerk"]


@pytest.fixture
def level_four(station, clerk, hairdresser):
    """The same station's hairdresser announcement at level 4, beside the fixtures' level 5."""
    return services.announcement_publish(
        actor=clerk, station=station, occupation=hairdresser, level="4", publish_date=D(2020, 9, 1)
    )


def run(data: bytes, station, clerk, **kwargs) -> ImportReport:
    return import_file(data, station=station, actor=clerk, file_name="报名.csv", **kwargs)


# --- good files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_a_good_file_in_every_encoding_and_in_xlsx_creates_candidates_and_registrations(
    kind, station, clerk, announcement
):
    rows = registration_rows(3)
    report = run(make_file(kind, rows), station, clerk)

    assert report.ok and report.saved, report.lines()
    assert (report.rows, report.candidates_created, report.registrations_created) == (3, 3, 3)
    assert report.source.startswith("XLSX" if kind == "xlsx" else "CSV")
    registration = Registration.objects.select_related("candidate").get(candidate__id_number=rows[1]["身份证号"])
    assert registration.station == station  # copied from the announcement
    assert registration.announcement == announcement
    assert registration.registration_date == D(2020, 9, 10)
    assert registration.fee == Decimal("200.00")
    assert registration.registered_by == clerk
    candidate = registration.candidate
    assert (candidate.name, candidate.phone, candidate.education, candidate.years_in_trade) == (
        "考生001",
        "13800130001",
        "senior",
        3,
    )
    assert candidate.birth_date == D(1990, 1, 2) and candidate.sex == "M"
    assert candidate.created_by == clerk


def test_gbk_and_utf8_are_told_apart_without_asking():
    rows = registration_rows(1)
    for encoding, name in [("gbk", "GB18030/GBK"), ("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8")]:
        table = open_table(csv_file(rows, encoding))
        assert table.source == f"CSV（{name}）"
        assert table.headers == HEADERS
        assert next(table.rows)[0] == "考生000"
        table.close()


def test_every_saved_row_has_its_trace_naming_the_clerk_and_the_file(station, clerk, announcement):
    rows = registration_rows(2)
    run(csv_file(rows), station, clerk)

    for model in (Candidate, Registration):
        records = list(model.history.all())
        assert len(records) == 2
        assert {r.history_type for r in records} == {"+"}
        assert {r.history_user for r in records} == {clerk}
        assert {r.history_change_reason for r in records} == {"批量导入报名：报名.csv"}


def test_headers_as_clerks_type_them_extra_columns_and_blank_rows(station, clerk, announcement):
    headers = ["序号", "姓名*", "身份证号码", "手机号", "职业（工种）", "申报等级", "报名日期", "学历", "备注"]
    rows = [
        {"序号": "1", "姓名*": "王芳", "身份证号码": make_id_number(D(1985, 5, 5), 202), "手机号": "138 0013 8000",
         "职业（工种）": "美发师", "申报等级": "五级", "报名日期": "2020年9月10日", "学历": "大专", "备注": "补录"},
        {},  # a blank line between the rows
        {"序号": "2", "姓名*": "李强", "身份证号码": make_id_number(D(1986, 6, 6), 303).lower(),
         "手机号": "+8613900139000", "职业（工种）": "美发师", "申报等级": "5", "报名日期": "2020/9/11",
         "学历": "本科"},
    ]  # fmt: skip
    report = run(csv_file(rows, headers=headers), station, clerk)

    assert report.ok, report.lines()
    assert report.rows == 2
    first = Candidate.objects.get(name="王芳")
    # No 工作年限 column: the years are not known yet (None), not 0 years.
    assert (first.phone, first.education, first.years_in_trade) == ("13800138000", "college", None)
    assert Registration.objects.get(candidate__name="李强").registration_date == D(2020, 9, 11)


def test_a_file_without_a_required_column_is_refused_as_a_whole(station, clerk, announcement):
    headers = ["姓名", "身份证号", "职业", "等级"]
    report = run(csv_file(registration_rows(2), headers=headers), station, clerk)

    assert not report.ok
    # One message at the header naming every missing column, not one per column or per row.
    [error] = report.errors
    assert (error.row, error.column) == (1, "表头")
    assert error.rule.startswith("缺少必需的列：联系电话、报名日期。")
    assert report.header_refused and "表头" in report.summary() and "0 行" not in report.summary()
    assert Candidate.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2020-09-10", D(2020, 9, 10)),
        ("2020/9/1", D(2020, 9, 1)),
        ("2020.09.10", D(2020, 9, 10)),
        ("2020年9月10日", D(2020, 9, 10)),
        ("20200910", D(2020, 9, 10)),
        ("2020-09-10 00:00:00", D(2020, 9, 10)),
        (datetime.datetime(2020, 9, 10, 8, 30), D(2020, 9, 10)),
        (44084, D(2020, 9, 10)),  # an Excel date serial in a number-formatted cell
        ("2020-02-30", None),
        ("九月十日", None),
        ("", None),
    ],
)
def test_dates_in_the_ways_clerks_type_them(raw, expected):
    assert parse_date(raw) == expected


# --- bad files: every rule, every row reported, nothing saved ------------------------------------------


def wrong_check_digit(number: str) -> str:
    return number[:17] + ("1" if number[17] != "1" else "2")


BAD_ROWS = {
    # row number in the spreadsheet → (the row's changes, the column refused, words of the rule)
    2: ({"报名日期": "2020-10-01"}, "报名日期", "最后受理日 2020-09-30"),
    3: ({"身份证号": wrong_check_digit(make_id_number(D(1990, 1, 4), 123))}, "身份证号", "校验码错误"),
    4: ({"职业": "美甲师"}, "职业", "不是国家职业资格目录中的职业"),
    5: ({"等级": "六级"}, "等级", "等级应为"),
    6: ({"身份证号": "3.50203199001011E+17"}, "身份证号", "设置为“文本”格式"),
    7: ({"报名日期": "2020-08-31"}, "报名日期", "早于公告发布日期 2020-09-01"),
    8: ({"身份证号": make_id_number(D(2005, 1, 1), 111)}, "身份证号", "未满16周岁"),
    9: ({"职业": "车工"}, "职业", "本站没有“车工（五级/初级工）”的鉴定考试公告"),
    10: ({"联系电话": "12345"}, "联系电话", "手机号应为11位"),
    11: ({"文化程度": "幼儿园"}, "文化程度", "文化程度应为"),
}


def bad_file_rows() -> list[dict]:
    rows = [person(number, **changes) for number, (changes, _, _) in BAD_ROWS.items()]
    rows.append(person(20))  # a good row...
    rows.append(person(20))  # ...and the same registration again: row 13
    rows.append(person(30))  # a good row that is not saved either
    return rows


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_a_bad_file_is_refused_as_a_whole_and_the_report_lists_every_bad_row(kind, station, clerk, announcement):
    report = run(make_file(kind, bad_file_rows()), station, clerk)

    assert not report.ok and not report.saved
    found = defaultdict(str)
    for error in report.errors:
        found[(error.row, error.column)] += error.rule
    for number, (_, column, words) in BAD_ROWS.items():
        assert words in found[(number, column)], (number, column, report.lines())
    assert found[(13, "身份证号")] == "该考生已报名这次鉴定，不能重复报名（与第12行重复）。"
    assert report.error_rows == len(BAD_ROWS) + 1
    assert report.rows == 13
    assert Candidate.objects.count() == 0 and Registration.objects.count() == 0
    assert "整个文件未保存任何数据" in report.lines()[0]


def test_an_id_number_stored_by_excel_as_a_number_is_refused_with_the_text_format_advice(station, clerk, announcement):
    good = person(1)
    rows = [dict(good, 身份证号=int(good["身份证号"][:15] + "000")), dict(person(2), 身份证号=3.50203199001011e17)]
    report = run(xlsx_file(rows), station, clerk)

    assert [(e.row, e.column, e.rule) for e in report.errors] == [
        (2, "身份证号", EXCEL_NUMBER_MESSAGE),
        (3, "身份证号", EXCEL_NUMBER_MESSAGE),
    ]


def test_the_report_masks_id_and_phone_numbers(station, clerk, announcement):
    row = person(1, 报名日期="2020-10-01", 联系电话="139")
    report = run(csv_file([row]), station, clerk)

    text = "\n".join(report.lines())
    assert row["身份证号"] not in text
    assert report.error_values[2][1] == mask_id_number(row["身份证号"])
    assert report.error_values[2][2] == "***"


def test_one_person_on_two_rows_must_agree_with_the_first(station, clerk, announcement, level_four):
    first = person(1)
    second = dict(first, 等级="四级/中级工", 姓名="别的名字")
    report = run(csv_file([first, second]), station, clerk)

    assert [(e.row, e.column) for e in report.errors] == [(3, "姓名")]
    assert "与第2行同一身份证号的考生“姓名”不一致" in report.errors[0].rule


def test_one_person_may_register_for_two_levels_in_one_file(station, clerk, announcement, level_four):
    first = person(1)
    report = run(csv_file([first, dict(first, 等级="四级/中级工")]), station, clerk)

    assert report.ok, report.lines()
    assert (report.candidates_created, report.registrations_created) == (1, 2)


def test_the_latest_announcement_published_by_the_registration_date_is_chosen(
    station, clerk, announcement, hairdresser
):
    later = services.announcement_publish(
        actor=clerk, station=station, occupation=hairdresser, level="5", publish_date=D(2020, 9, 15)
    )
    report = run(csv_file([person(1, 报名日期="2020-09-10"), person(2, 报名日期="2020-09-20")]), station, clerk)

    assert report.ok, report.lines()
    dates = dict(Registration.objects.values_list("registration_date", "announcement"))
    assert dates == {D(2020, 9, 10): announcement.pk, D(2020, 9, 20): later.pk}


# --- the same rules as the admin ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "column"),
    [
        ({"报名日期": "2020-10-01"}, "报名日期"),
        ({"报名日期": "2020-08-31"}, "报名日期"),
        ({"身份证号": make_id_number(D(2005, 1, 1), 111)}, "身份证号"),
    ],
)
def test_the_importer_refuses_with_the_same_words_as_the_service(changes, column, station, clerk, announcement):
    row = person(1, **changes)
    candidate = CandidateFactory(id_number=row["身份证号"], created_by=clerk)
    with pytest.raises(Exception) as refused:
        services.registration_accept(
            actor=clerk,
            candidate=candidate,
            announcement=announcement,
            registration_date=parse_date(row["报名日期"]),
        )
    report = run(csv_file([row]), station, clerk)

    assert [e.rule for e in report.errors if e.column == column] == refused.value.messages


def test_a_registration_made_in_the_admin_is_a_duplicate_for_the_importer(station, clerk, announcement, case):
    case.register(D(2020, 9, 5))
    row = person(1, 身份证号=case.candidate.id_number, 姓名=case.candidate.name, 联系电话=case.candidate.phone)
    report = run(csv_file([row]), station, clerk)

    assert [(e.column, e.rule) for e in report.errors] == [
        ("身份证号", "该考生已报名这次鉴定，不能重复报名（已于 2020-09-05 报名）。")
    ]


# --- idempotence, updates, dry runs --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["gb18030", "xlsx"])
def test_importing_the_same_file_again_changes_nothing(kind, station, clerk, announcement):
    data = make_file(kind, registration_rows(4))
    first = run(data, station, clerk)
    history = (Candidate.history.count(), Registration.history.count())

    again = run(data, station, clerk)

    assert first.registrations_created == 4
    assert again.ok and again.saved
    assert (again.registrations_created, again.registrations_unchanged) == (0, 4)
    assert (again.candidates_created, again.candidates_updated) == (0, 0)
    assert (Candidate.objects.count(), Registration.objects.count()) == (4, 4)
    assert (Candidate.history.count(), Registration.history.count()) == history


def test_a_known_candidate_is_updated_from_the_file_and_blank_cells_keep_what_is_known(station, clerk, announcement):
    known = CandidateFactory(name="陈美玲", phone="13700137000", education="junior", years_in_trade=7)
    row = person(1, 身份证号=known.id_number, 姓名="陈美玲", 联系电话="13911112222", 文化程度="", 工作年限="")
    report = run(csv_file([row]), station, clerk)

    assert report.ok, report.lines()
    assert (report.candidates_created, report.candidates_updated, report.registrations_created) == (0, 1, 1)
    known.refresh_from_db()
    assert (known.phone, known.education, known.years_in_trade) == ("13911112222", "junior", 7)
    latest = known.history.first()
    assert latest.history_type == "~" and latest.history_user == clerk


def test_a_dry_run_says_what_would_happen_and_saves_nothing(station, clerk, announcement):
    report = run(csv_file(registration_rows(3)), station, clerk, dry_run=True)

    assert report.ok and not report.saved
    assert (report.candidates_created, report.registrations_created) == (3, 3)
    assert "仅检查，未保存" in report.summary()
    assert Candidate.objects.count() == 0


def test_a_conflict_while_saving_rolls_everything_back(station, clerk, announcement):
    rows = registration_rows(3)

    def someone_else_enters_a_candidate(phase, done, total):
        if phase == "检查" and done == total:
            CandidateFactory(id_number=rows[2]["身份证号"])

    importer = RegistrationImporter(station=station, actor=clerk, progress=someone_else_enters_a_candidate)
    table = open_table(csv_file(rows))
    report = importer.run(table.headers, table.rows)

    assert not report.ok and "未保存任何数据" in report.problem
    assert Registration.objects.count() == 0
    assert Candidate.objects.count() == 1  # only the other clerk's


def test_an_empty_or_unreadable_file_is_refused(station, clerk):
    assert "空的" in run(b"", station, clerk).problem
    assert "没有数据行" in run(csv_file([]), station, clerk).problem
    assert ".xls" in run(b"\xd0\xcf\x11\xe0" + b"\0" * 100, station, clerk).problem


# --- speed: queries grow with batches, never with rows ---------------------------------------------------


def count_queries(rows, station, clerk, batch_size):
    Registration.objects.all().delete()
    Candidate.objects.all().delete()
    importer = RegistrationImporter(station=station, actor=clerk, batch_size=batch_size)
    table = open_table(csv_file(rows))
    with CaptureQueriesContext(connection) as queries:
        report = importer.run(table.headers, table.rows)
    assert report.ok, report.lines()
    return len(queries)  # on PostgreSQL the debug cursor records the COPYs too


def test_the_number_of_queries_grows_with_batches_not_with_rows(station, clerk, announcement):
    # 35 rows fit in one statement per table even on SQLite (999 parameters at most; the
    # candidates' history table has 26 columns since the ID number's digest and retention).
    rows = registration_rows(35)
    one_batch_small = count_queries(rows[:5], station, clerk, batch_size=35)
    one_batch_full = count_queries(rows, station, clerk, batch_size=35)
    five_batches = count_queries(rows, station, clerk, batch_size=7)

    assert one_batch_full == one_batch_small  # 5 rows or 35: the same statements
    per_batch = (five_batches - one_batch_full) / 4
    assert 0 < per_batch <= 8


def test_the_xlsx_template_fills_and_imports(station, clerk, announcement):
    from appraisals.views_io import template_workbook

    book = openpyxl.load_workbook(io.BytesIO(template_workbook(station)))
    sheet = book["报名"]
    assert [c.value for c in sheet[1]][: len(HEADERS)] == HEADERS
    assert [c.value for c in sheet[1]][len(HEADERS) :] == EXTRA_HEADERS  # optional, after the usual ones
    assert sheet["B2"].number_format == "@" and sheet["C2"].number_format == "@"
    assert sheet["J2"].number_format == "@"  # a certificate number keeps its leading zeros
    assert "美发师" in " ".join(str(c.value) for c in book["填写说明"]["A"])
    row = person(1)
    for column, header in enumerate(HEADERS, start=1):
        sheet.cell(row=2, column=column, value=row[header])
    stream = io.BytesIO()
    book.save(stream)

    report = run(stream.getvalue(), station, clerk)
    assert report.ok and report.registrations_created == 1, report.lines()


@pytest.mark.postgres
def test_on_postgresql_copy_writes_the_same_rows_and_history_as_bulk_create(orgs, staff, hairdresser):
    clerk = staff["clerk"]
    stations = (orgs["xm1"], orgs["xm2"])
    for station in stations:
        services.announcement_publish(
            actor=clerk, station=station, occupation=hairdresser, level="5", publish_date=D(2020, 9, 1)
        )
    optional = {"已有证书等级": "五级", "已有证书编号": "X1", "已有证书发证日期": "2015-06-01", "毕业证书": "高职"}
    optional |= {"培养类型": "学徒", "学校或企业": "某公司", "预计毕业日期": "2021-06-30", "培养职业": "美发师"}
    rows = registration_rows(6, **optional)
    headers = HEADERS + EXTRA_HEADERS
    from appraisals.importing.writing import CopyWriter

    assert CopyWriter(clerk).usable  # the history's derived columns (the ID number's hash) do not stop COPY
    assert run(csv_file(rows[:3], headers=headers), stations[0], clerk, writer="copy").saved
    assert run(csv_file(rows[3:], headers=headers), stations[1], clerk, writer="orm").saved

    # When each file was entered differs between the two imports, as the history's date does.
    identity = {"id", "history_id", "history_date", "entered_at", "candidate_id", "announcement_id", "station_id"}
    identity |= {"name", "id_number", "id_number_digest", "phone", "birth_date", "sex"}

    def shape(model, station):
        registrations = Registration.objects.filter(station=station)
        if model is Candidate:
            records = Candidate.history.filter(id__in=registrations.values("candidate"))
        else:
            records = Registration.history.filter(station=station)
        fields = [f.attname for f in model.history.model._meta.concrete_fields if f.attname not in identity]
        return set(records.values_list(*fields)), records.count()

    for model in (Candidate, Registration):
        assert shape(model, stations[0]) == shape(model, stations[1])
        assert shape(model, stations[0])[1] == 3
    # COPY's history, like the ORM's, keeps the number masked and its keyed hash beside it.
    for row in rows:
        person = Candidate.objects.get(id_number=row["身份证号"])
        [record] = person.history.all()
        assert record.id_number == mask_id_number(person.id_number)
        assert record.id_number_digest == privacy.id_number_digest(person.id_number)
    copied = Candidate.objects.get(id_number=rows[0]["身份证号"])
    assert (copied.trainee_kind, copied.plan_occupation, copied.diploma) == (
        "new_apprentice",
        hairdresser,
        "higher_vocational",
    )


# --- the optional columns: earlier certificates, diplomas, trainees ----------------------------------


def test_optional_columns_fill_the_eligibility_and_trainee_fields(station, clerk, announcement):
    rows = [
        person(
            1,
            已有证书等级="五级",
            已有证书编号="0012345",
            已有证书发证日期="2015年6月1日",
            毕业证书="技工学校毕业",
        ),
        person(2, 培养类型="学徒", 学校或企业="厦门某美发有限公司", 预计毕业日期="2021-06-30", 培养职业="美发师"),
        person(3),
    ]
    for kind in ("gb18030", "xlsx"):
        report = run(make_file(kind, rows, HEADERS + EXTRA_HEADERS), station, clerk)
        assert report.ok, report.lines()

    certified = Candidate.objects.get(id_number=rows[0]["身份证号"])
    assert (certified.prior_certificate_level, certified.prior_certificate_number) == ("5", "0012345")
    assert certified.prior_certificate_date == D(2015, 6, 1)
    assert certified.diploma == Candidate.Diploma.TECHNICAL_SCHOOL
    apprentice = Candidate.objects.get(id_number=rows[1]["身份证号"])
    assert apprentice.trainee_kind == Candidate.TraineeKind.NEW_APPRENTICE
    assert apprentice.school_or_enterprise == "厦门某美发有限公司"
    assert apprentice.expected_finish_date == D(2021, 6, 30)
    assert apprentice.plan_occupation.name == "美发师"
    plain = Candidate.objects.get(id_number=rows[2]["身份证号"])  # blank optional cells: the defaults
    # Not a trainee, no prior certificate; the diploma not entered yet (blank, not “无”).
    assert (plain.trainee_kind, plain.diploma, plain.prior_certificate_level) == ("none", "", "")
    assert Candidate.objects.count() == 3  # the second run found everything in place


def test_optional_columns_are_checked_with_the_candidates_rules(station, clerk, announcement):
    rows = [
        person(1, 已有证书编号="0012345"),  # a number without a level
        person(2, 培养类型="职业院校学生"),  # a student without school or finish date
        person(3, 毕业证书="博士后"),
        person(4, 已有证书发证日期="去年"),
        person(5, 培养职业="宇航员", 培养类型="学生", 学校或企业="某技校", 预计毕业日期="2021-07-01"),
        person(6, 工作年限="三年"),
    ]
    report = run(csv_file(rows, headers=HEADERS + EXTRA_HEADERS), station, clerk)

    lines = report.lines()
    assert not report.saved and Candidate.objects.count() == 0
    assert "第2行 【已有证书等级】（空）：填写了已有职业资格证书的编号或发证日期，就必须选择证书等级。" in lines
    assert "第3行 【学校或企业】（空）：按培养计划培养的学生或学徒必须填写学校或企业。" in lines
    assert "第3行 【预计毕业日期】（空）：按培养计划培养的学生或学徒必须填写预计毕（结）业日期。" in lines
    assert any(line.startswith("第4行 【毕业证书】“博士后”：毕业证书应为无、技工学校毕业") for line in lines)
    assert "第5行 【已有证书发证日期】“去年”：已有证书发证日期应为日期，例如 2021-07-01。" in lines
    assert "第6行 【培养职业】“宇航员”：不是国家职业资格目录中的职业（工种），请按目录中的名称填写。" in lines
    assert "第7行 【工作年限】“三年”：工作年限应为整年数，例如 3。" in lines
    assert report.error_rows == 6


def test_a_known_person_gains_a_certificate_from_a_later_file_and_blanks_keep_it(station, clerk, announcement):
    first = person(1, 已有证书等级="四级/中级工", 已有证书编号="A-1")
    report = run(csv_file([first], headers=HEADERS + EXTRA_HEADERS), station, clerk)
    assert report.ok, report.lines()

    again = person(1, 已有证书编号="", 毕业证书="高职")
    report = run(csv_file([again], headers=HEADERS + EXTRA_HEADERS), station, clerk)

    assert report.ok and report.candidates_updated == 1 and report.registrations_unchanged == 1, report.lines()
    candidate = Candidate.objects.get(id_number=first["身份证号"])
    assert (candidate.prior_certificate_level, candidate.prior_certificate_number) == ("4", "A-1")
    assert candidate.diploma == Candidate.Diploma.HIGHER_VOCATIONAL


def test_the_same_person_on_two_rows_must_agree_on_optional_columns(station, clerk, announcement, hairdresser):
    services.announcement_publish(
        actor=clerk, station=station, occupation=hairdresser, level="4", publish_date=D(2020, 9, 1)
    )
    rows = [person(1, 培养类型="学徒", 学校或企业="甲公司", 预计毕业日期="2021-06-30"), person(1, 等级="四级")]
    rows[1]["学校或企业"] = "乙公司"
    report = run(csv_file(rows, headers=HEADERS + EXTRA_HEADERS), station, clerk)

    assert "第3行 【学校或企业】“乙公司”：与第2行同一身份证号的考生“学校或企业”不一致。" in report.lines()


def test_an_xlsx_whose_sheet_declares_xml_entities_is_refused_as_a_file(station, clerk, announcement):
    """openpyxl reads uploads through defusedxml: entity expansion (“billion laughs”) is
    refused before anything is expanded."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(xlsx_file(registration_rows(2))))
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                declaration = (
                    '<!DOCTYPE worksheet [<!ENTITY a "笑笑笑笑笑笑笑笑"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                )
                data = (declaration + text.replace("考生000", "&b;", 1)).encode()  # openpyxl writes inline strings
            target.writestr(item, data)

    report = run(bomb.getvalue(), station, clerk)

    assert not report.saved and "含有不允许的 XML 内容" in report.summary()
    assert Candidate.objects.count() == 0


def test_a_junk_file_keeps_the_first_errors_and_counts_them_all(station, clerk, announcement, settings):
    """A file of thousands of bad rows: the report holds the first errors only (memory stays
    small), and says how many rows and errors there were in all."""
    settings.JIANDING_IMPORT_KEPT_ERRORS = 50
    rows = registration_rows(3000, 身份证号="不是身份证号")
    report = run(csv_file(rows), station, clerk)

    assert not report.ok and not report.saved
    assert len(report.errors) == 50 and len(report.error_values) <= 50
    assert report.error_rows == 3000 and report.error_total >= 3000
    assert report.lines()[0].startswith("导入被拒绝：3000 行中有 3000 行不符合规则")
    assert report.lines()[-1] == f"……另有 {report.error_total - 50} 处错误未列出。"
    assert Registration.objects.count() == 0


def test_a_value_the_model_refuses_is_named_on_every_row_that_carries_it(station, clerk, announcement):
    # The field's clean() of a value is worked out once per file: the second row with it
    # must still be refused, and a good value after it still taken.
    rows = [person(1, 工作年限="61"), person(2, 工作年限="61"), person(3, 工作年限="60")]
    report = run(csv_file(rows), station, clerk)

    lines = report.lines()
    assert not report.saved and report.error_rows == 2
    refused = [line for line in lines if "【工作年限】“61”" in line]
    assert [line.split(" ", 1)[0] for line in refused] == ["第2行", "第3行"]
    assert all("60" in line for line in refused)  # the model's limit, in its own words


# --- a re-import remembers people and registrations as integers (issue #15) ---------------------


def run_in_chunks(rows: list[dict], station, clerk, batch_size: int = 2) -> ImportReport:
    """The importer in chunks of ``batch_size`` rows: a later row is checked in another
    chunk than the first one of its person."""
    importer = RegistrationImporter(station=station, actor=clerk, batch_size=batch_size)
    table = open_table(csv_file(rows))
    return importer.run(table.headers, table.rows, file_name="报名.csv")


def test_a_re_import_still_tells_a_later_row_of_an_unchanged_person_that_disagrees(station, clerk, announcement):
    rows = registration_rows(3)
    assert run(csv_file(rows), station, clerk).saved
    blank_phone = dict(rows[1], 联系电话="")
    other_phone = dict(rows[0], 联系电话="13999990000", 等级="五级/初级工")
    phone_again = dict(blank_phone, 联系电话=rows[1]["联系电话"])

    report = run_in_chunks([rows[0], blank_phone, rows[2], other_phone, phone_again], station, clerk)

    # Row 5 repeats row 2's person with another phone; row 6 sets the phone row 3 left
    # blank (the saved phone, but the first row said nothing of it); each also repeats a
    # registration already saved.
    problems = {(e.row, e.column, e.rule) for e in report.errors}
    assert (5, "联系电话", "与第2行同一身份证号的考生“联系电话”不一致。") in problems
    assert (6, "联系电话", "与第3行同一身份证号的考生“联系电话”不一致。") in problems
    assert not report.saved
    assert Registration.objects.count() == 3


def test_a_re_import_tells_a_repeated_row_of_a_saved_registration_in_another_chunk(station, clerk, announcement):
    rows = registration_rows(3)
    assert run(csv_file(rows), station, clerk).saved

    report = run_in_chunks([*rows, rows[0]], station, clerk)

    assert [(e.row, e.column) for e in report.errors] == [(5, "身份证号")]
    assert "（与第2行重复）" in report.errors[0].rule


def test_an_unchanged_person_s_new_registration_in_a_re_import_is_saved(station, clerk, announcement, level_four):
    rows = registration_rows(3)
    assert run(csv_file(rows), station, clerk).saved
    higher = dict(rows[1], 等级="四级/中级工")

    report = run_in_chunks([*rows, higher], station, clerk)

    assert report.saved, report.lines()
    assert (report.registrations_unchanged, report.registrations_created, report.candidates_updated) == (3, 1, 0)
    candidate = Candidate.objects.get(name=rows[1]["姓名"])
    assert sorted(candidate.registrations.values_list("announcement__level", flat=True)) == ["4", "5"]
