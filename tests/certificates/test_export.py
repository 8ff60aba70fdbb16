"""Certificates export like registrations: CSV and XLSX, the same headers, scoped, escaped."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from candidates.validators import mask_id_number
from tests.certificates.conftest import issue

pytestmark = pytest.mark.django_db
URL = "admin:certificates_certificate_export"
HEADERS = ["证书编号", "姓名", "身份证号", "职业", "等级", "发证日期", "发证机构", "鉴定站", "状态"]


def export(client, file_format):
    url = reverse(URL)
    form = client.get(url).context["form"]
    data = {"format": {"csv": "0", "xlsx": "1"}[file_format], "resource": "0"}
    data.update({name: "on" for name in form.fields if name.startswith("certificateexportresource_")})
    return client.post(url, data)


def rows_of(response, file_format):
    if file_format == "csv":
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_officer_exports_issued_certificates_with_the_same_headers(client, passed, officers, orgs, file_format):
    [certificate] = issue(officers, orgs, [passed.registration])
    client.force_login(officers["a"])
    rows = rows_of(export(client, file_format), file_format)
    assert rows[0] == HEADERS
    assert [rows[1][0], rows[1][1], rows[1][3]] == [certificate.number, certificate.holder_name, "美发师"]
    assert rows[1][2] == certificate.holder_id_number  # officers may see full numbers


def test_a_station_clerk_cannot_export_certificates(client, passed, officers, orgs, staff):
    issue(officers, orgs, [passed.registration])
    client.force_login(staff["clerk"])
    assert client.get(reverse(URL)).status_code == 403


def test_without_the_full_id_permission_numbers_are_masked_and_formulas_escaped(client, passed, officers, orgs, staff):
    from django.contrib.auth.models import Permission

    from certificates.models import Certificate

    [certificate] = issue(officers, orgs, [passed.registration])
    Certificate.objects.filter(pk=certificate.pk).update(holder_name="=HYPERLINK(1)")
    supervisor = staff["supervisor_fj"]  # reads the region, no full ID numbers
    supervisor.user_permissions.add(Permission.objects.get(codename="export_certificate"))
    client.force_login(supervisor)
    rows = rows_of(export(client, "csv"), "csv")
    assert rows[1][1] == "'=HYPERLINK(1)"
    assert rows[1][2] == mask_id_number(certificate.holder_id_number)
