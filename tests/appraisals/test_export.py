"""Registration exports: only with the export permission, only the user's stations,
CSV and XLSX with the import template's headers, formula-looking cells escaped in both,
and an export that imports back unchanged."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from appraisals import services
from appraisals.exporting import escape_formula
from appraisals.importing import import_file
from appraisals.models import Registration
from candidates.validators import mask_id_number
from tests.appraisals.test_import_engine import EXTRA_HEADERS, HEADERS
from tests.candidates.factories import CandidateFactory

pytestmark = pytest.mark.django_db
D = datetime.date
EXPORT_URL = "admin:appraisals_registration_export"
CHANGELIST_URL = "admin:appraisals_registration_changelist"
TEMPLATE_HEADERS = HEADERS + EXTRA_HEADERS
STATION_COLUMN = len(TEMPLATE_HEADERS)
FORMULAS = ["=1+2", "+8613800138000", "-5", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.fixture
def registrations(orgs, staff, announcement, hairdresser):
    """Registrations at XM001 (names that look like formulas), XM002 and FZ001."""
    made = {}
    for code in ("xm2", "fz1"):
        other = services.announcement_publish(
            actor=staff["sysadmin"], station=orgs[code], occupation=hairdresser, level="5", publish_date=D(2020, 9, 1)
        )
        made[code] = [
            services.registration_accept(
                actor=staff["sysadmin"],
                candidate=CandidateFactory(name=f"{code}考生"),
                announcement=other,
                registration_date=D(2020, 9, 12),
            )
        ]
    made["xm1"] = [
        services.registration_accept(
            actor=staff["clerk"],
            candidate=CandidateFactory(name=name, created_by=staff["clerk"]),
            announcement=announcement,
            registration_date=D(2020, 9, 10),
        )
        for name in [*FORMULAS, "陈美玲"]
    ]
    return made


def export(client, file_format: str, query: str = "", **extra):
    url = reverse(EXPORT_URL) + query
    form = client.get(url).context["form"]
    data = {"format": {"csv": "0", "xlsx": "1"}[file_format], "resource": "0"}
    data.update({name: "on" for name in form.fields if name.startswith("registrationexportresource_")})
    data.update(extra)
    return client.post(url, data)


def csv_rows(response) -> list[list[str]]:
    content = response.content
    assert content.startswith("\ufeff".encode())  # Excel on a Chinese Windows needs the BOM
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_escape_formula_prefixes_a_quote_to_text_that_would_start_a_formula():
    assert [escape_formula(v) for v in FORMULAS] == ["'" + v for v in FORMULAS]
    assert escape_formula("陈美玲") == "陈美玲"
    assert escape_formula("a=b") == "a=b"
    assert escape_formula(-5) == -5 and escape_formula(None) is None
    assert escape_formula(D(2020, 9, 10)) == D(2020, 9, 10)


def test_a_clerks_csv_has_the_template_headers_only_their_station_and_masked_ids(client, staff, registrations):
    client.force_login(staff["clerk"])
    response = export(client, "csv")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert rows[0][:STATION_COLUMN] == TEMPLATE_HEADERS  # imports back as it is
    assert rows[0][STATION_COLUMN:] == ["鉴定站", "状态", "鉴定费（元）", "上报市鉴定中心时间"]
    assert len(rows) == 1 + len(registrations["xm1"])
    assert {row[STATION_COLUMN] for row in rows[1:]} == {"XM001 厦门一站"}
    ids = {r.candidate.id_number for r in registrations["xm1"]}
    assert {row[1] for row in rows[1:]} == {mask_id_number(i) for i in ids}  # clerks do not see full numbers


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_cells_that_would_start_a_formula_are_escaped_in_csv_and_xlsx(client, staff, registrations, file_format):
    client.force_login(staff["clerk"])
    response = export(client, file_format)
    rows = csv_rows(response) if file_format == "csv" else xlsx_rows(response)

    names = {row[0] for row in rows[1:]}
    expected = {"'" + v for v in FORMULAS} | {"陈美玲"}
    if file_format == "xlsx":
        expected = {name.replace("\r", "\n") for name in expected}  # XML keeps a carriage return as a newline
    assert names == expected
    if file_format == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        assert all(sheet.cell(row=r, column=1).data_type == "s" for r in range(2, sheet.max_row + 1))


def test_an_officers_xlsx_covers_their_centres_stations_with_full_numbers(client, staff, registrations):
    client.force_login(staff["officer_xm"])
    rows = xlsx_rows(export(client, "xlsx"))

    stations = {row[STATION_COLUMN] for row in rows[1:]}
    assert stations == {"XM001 厦门一站", "XM002 厦门二站"}  # not Fuzhou's
    ids = {row[1] for row in rows[1:]}
    assert registrations["xm2"][0].candidate.id_number in ids
    assert rows[1][5] == datetime.datetime(2020, 9, 10) or isinstance(rows[1][5], datetime.datetime)


def test_without_the_export_permission_there_is_no_button_no_action_and_no_file(client, staff, registrations):
    client.force_login(staff["supervisor_fj"])
    listing = client.get(reverse(CHANGELIST_URL))
    assert reverse(EXPORT_URL) not in listing.content.decode()
    assert "export_admin_action" not in listing.content.decode()
    assert client.get(reverse(EXPORT_URL)).status_code == 403
    assert client.post(reverse(EXPORT_URL), {"format": "0", "resource": "0"}).status_code == 403


def test_the_export_action_exports_the_selected_rows_of_the_users_scope_only(client, staff, registrations):
    client.force_login(staff["clerk"])
    mine = registrations["xm1"][0]
    theirs = registrations["xm2"][0]
    page = client.post(reverse(CHANGELIST_URL), {"action": "export_admin_action", "_selected_action": [mine.pk]})
    assert page.status_code == 200 and page.context["form"].initial["export_items"] == [mine.pk]

    response = export(client, "csv", export_items=[mine.pk])
    rows = csv_rows(response)
    assert len(rows) == 2

    crafted = export(client, "csv", export_items=[mine.pk, theirs.pk])  # another station's row
    assert "xm2考生" not in crafted.content.decode("utf-8", errors="ignore")


def test_an_export_imports_back_unchanged(client, staff, orgs, registrations, hairdresser):
    from candidates.services import candidate_update

    client.force_login(staff["officer_xm"])
    station = orgs["xm1"]
    candidate_update(
        actor=staff["clerk"],
        candidate=registrations["xm1"][0].candidate,
        prior_certificate_level="5",
        prior_certificate_number="0012345",
        prior_certificate_date=datetime.date(2015, 6, 1),
        diploma="technical_school",
        trainee_kind="new_apprentice",
        school_or_enterprise="厦门某美发有限公司",
        expected_finish_date=datetime.date(2021, 6, 30),
        plan_occupation=hairdresser,
    )
    response = export(client, "xlsx", query=f"?station__id__exact={station.pk}")
    history = Registration.history.count()

    report = import_file(response.content, station=station, actor=staff["officer_xm"])

    assert report.ok, report.lines()
    assert (report.registrations_unchanged, report.registrations_created) == (len(registrations["xm1"]), 0)
    assert report.candidates_updated == 2  # "\tTAB" and "\rCR": the importer trims names
    assert Registration.history.count() == history


def test_the_export_does_not_query_per_row(client, staff, announcement, registrations):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(staff["officer_fj"])

    def queries_for_export():
        with CaptureQueriesContext(connection) as queries:
            response = export(client, "csv")
        return len(queries), len(csv_rows(response))

    queries_for_export()  # the first fills what lists keep between requests (the occupation filter)
    before, rows_before = queries_for_export()
    for _ in range(5):
        services.registration_accept(
            actor=staff["clerk"],
            candidate=CandidateFactory(),
            announcement=announcement,
            registration_date=D(2020, 9, 11),
        )
    after, rows_after = queries_for_export()

    assert rows_after == rows_before + 5
    assert after == before
