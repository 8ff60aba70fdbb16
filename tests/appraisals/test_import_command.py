"""python manage.py import_registrations FILE --station CODE [--dry-run]: the same engine,
the same report, a non-zero exit when the file is refused."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from appraisals.models import Registration
from candidates.models import Candidate
from tests.appraisals.test_import_engine import bad_file_rows, csv_file, registration_rows, xlsx_file

pytestmark = pytest.mark.django_db


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_a_good_file_is_imported_and_the_summary_printed(tmp_path, staff, announcement):
    path = write(tmp_path, "报名.csv", csv_file(registration_rows(3), "gbk"))
    out = io.StringIO()
    call_command("import_registrations", path, "--station", "XM001", "--user", "clerk", stdout=out)

    assert "导入完成：共 3 行；新增报名 3 条" in out.getvalue()
    assert Registration.objects.count() == 3
    assert {r.history_user for r in Registration.history.all()} == {staff["clerk"]}

    again = io.StringIO()
    call_command("import_registrations", path, "--station", "XM001", stdout=again)
    assert "新增报名 0 条，已存在未变更 3 条" in again.getvalue()


def test_a_bad_file_exits_non_zero_prints_every_bad_row_and_saves_nothing(tmp_path, staff, announcement):
    path = write(tmp_path, "报名.xlsx", xlsx_file(bad_file_rows()))
    out = io.StringIO()
    with pytest.raises(CommandError, match="11 行有错误，未保存任何数据"):
        call_command("import_registrations", path, "--station", "XM001", stdout=out)

    printed = out.getvalue()
    assert printed.startswith("导入被拒绝：13 行中有 11 行不符合规则")
    assert "第3行 【身份证号】" in printed and "校验码错误" in printed
    assert "第13行 【身份证号】" in printed and "与第12行重复" in printed
    assert Candidate.objects.count() == 0


def test_a_dry_run_checks_and_saves_nothing(tmp_path, staff, announcement):
    path = write(tmp_path, "报名.csv", csv_file(registration_rows(2)))
    out = io.StringIO()
    call_command("import_registrations", path, "--station", "XM001", "--dry-run", stdout=out)
    assert "检查通过（仅检查，未保存）" in out.getvalue()
    assert Registration.objects.count() == 0


def test_unknown_station_user_or_file_are_refused(tmp_path, staff):
    path = write(tmp_path, "报名.csv", csv_file(registration_rows(1)))
    with pytest.raises(CommandError, match="没有编码为 NOPE 的鉴定站"):
        call_command("import_registrations", path, "--station", "NOPE")
    with pytest.raises(CommandError, match="没有用户 nobody"):
        call_command("import_registrations", path, "--station", "XM001", "--user", "nobody")
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("import_registrations", str(tmp_path / "missing.csv"), "--station", "XM001")
