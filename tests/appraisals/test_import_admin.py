"""The registration list's import in the admin: permission, upload → preview → confirm
with the engine's Chinese row report, uploads cleaned up, large files in the background,
the template download, and the clean-up of forgotten uploads."""

import datetime
import io
import os
import time

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from appraisals.importing import preview_dir, purge_import_files
from appraisals.models import ImportJob, Registration
from candidates.models import Candidate
from tests.appraisals.test_import_engine import bad_file_rows, csv_file, registration_rows, xlsx_file

pytestmark = pytest.mark.django_db

IMPORT_URL = "admin:appraisals_registration_import"
CONFIRM_URL = "admin:appraisals_registration_process_import"
CHANGELIST_URL = "admin:appraisals_registration_changelist"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(client, data: bytes, station, name="报名.csv", **extra):
    return client.post(
        reverse(IMPORT_URL),
        {
            "resource": "0",
            "format": "0",
            "station": station.pk,
            "import_file": SimpleUploadedFile(name, data),
            **extra,
        },
    )


def confirm(client, preview):
    form = preview.context["confirm_form"]
    return client.post(reverse(CONFIRM_URL), {name: form.initial[name] for name in form.fields})


def preview_files():
    folder = preview_dir()
    return sorted(os.listdir(folder)) if folder.is_dir() else []


# --- who may import ---------------------------------------------------------------------------------


def test_a_clerk_sees_the_import_and_export_buttons_and_the_template_link(client, staff):
    client.force_login(staff["clerk"])
    page = client.get(reverse(CHANGELIST_URL)).content.decode()
    assert reverse(IMPORT_URL) in page
    assert reverse("admin:appraisals_registration_export") in page
    assert reverse("appraisals:import_template") in page
    form_page = client.get(reverse(IMPORT_URL))
    assert form_page.status_code == 200
    assert "姓名, 身份证号, 联系电话, 职业, 等级, 报名日期, 文化程度, 工作年限" in form_page.content.decode()
    assert list(form_page.context["form"].fields["station"].queryset) == [staff["clerk"].station]


@pytest.mark.parametrize("who", ["supervisor_fj", "examiner"])
def test_without_the_import_permission_there_is_no_button_and_no_way_in(client, staff, orgs, who):
    client.force_login(staff[who])
    page = client.get(reverse(CHANGELIST_URL)).content.decode()
    assert reverse(IMPORT_URL) not in page
    assert reverse("appraisals:import_template") not in page
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    assert upload(client, csv_file(registration_rows(1)), orgs["xm1"]).status_code == 403
    assert client.post(reverse(CONFIRM_URL), {"import_file_name": "x", "format": "0"}).status_code == 403
    assert client.get(reverse("appraisals:import_template")).status_code == 403


def test_the_import_permission_is_its_own(staff):
    clerk, supervisor = staff["clerk"], staff["supervisor_fj"]
    assert clerk.has_perm("appraisals.import_registration") and clerk.has_perm("appraisals.export_registration")
    assert not supervisor.has_perm("appraisals.import_registration")
    assert not supervisor.has_perm("appraisals.export_registration")


def test_a_clerk_can_only_import_into_their_own_station(client, staff, orgs, announcement):
    client.force_login(staff["clerk"])
    response = upload(client, csv_file(registration_rows(1)), orgs["xm2"])
    assert response.status_code == 200
    assert "station" in response.context["form"].errors
    assert Registration.objects.count() == 0


# --- upload → preview → confirm ---------------------------------------------------------------------


def test_upload_preview_and_confirm_a_gbk_file(client, staff, orgs, announcement):
    client.force_login(staff["clerk"])
    preview = upload(client, csv_file(registration_rows(3), "gbk"), orgs["xm1"])

    assert preview.status_code == 200
    assert preview.context["confirm_form"] is not None
    page = preview.content.decode()
    assert "检查通过（仅检查，未保存）：共 3 行；新增报名 3 条" in page
    assert "第2行 新增报名" in page
    assert Registration.objects.count() == 0
    assert len(preview_files()) == 1  # kept for the confirm step

    done = confirm(client, preview)

    assert done.status_code == 302 and done["Location"] == reverse(CHANGELIST_URL)
    assert Registration.objects.filter(station=orgs["xm1"]).count() == 3
    assert Registration.history.filter(history_user=staff["clerk"]).count() == 3
    assert preview_files() == []
    messages = [str(m) for m in client.get(reverse(CHANGELIST_URL)).context["messages"]]
    assert any("导入完成：共 3 行；新增报名 3 条" in m for m in messages)


def test_a_bad_xlsx_shows_every_refused_row_in_chinese_and_saves_nothing(client, staff, orgs, announcement):
    client.force_login(staff["clerk"])
    response = upload(client, xlsx_file(bad_file_rows()), orgs["xm1"], name="报名.xlsx")

    assert response.status_code == 200
    assert response.context.get("confirm_form") is None
    result = response.context["result"]
    assert [row.number for row in result.invalid_rows] == [*range(2, 12), 13]
    page = response.content.decode()
    for words in (
        "最后受理日 2020-09-30",
        "校验码错误",
        "不是国家职业资格目录中的职业",
        "设置为“文本”格式",
        "未满16周岁",
    ):
        assert words in page
    assert "整个文件未保存任何数据" in page
    # Every error spelled out in a plain table (row, column, value, rule), not only on hover.
    errors_table = page.split('class="jianding-errors"', 1)[1].split("</table>", 1)[0]
    assert errors_table.count("<tr>") == 1 + len(result.jianding_report.errors)
    assert "最后受理日 2020-09-30" in errors_table
    assert Candidate.objects.count() == 0
    assert preview_files() == []  # refused: nobody will confirm it


def test_a_file_that_is_not_a_spreadsheet_is_refused_on_the_form(client, staff, orgs):
    client.force_login(staff["clerk"])
    response = upload(client, b"\xd0\xcf\x11\xe0" + b"\0" * 64, orgs["xm1"], name="old.xls")
    assert ".xlsx" in str(response.context["form"].errors["import_file"])


def test_rows_changed_between_preview_and_confirm_are_refused_at_confirm(client, staff, orgs, announcement, case):
    client.force_login(staff["clerk"])
    rows = registration_rows(2)
    preview = upload(client, csv_file(rows), orgs["xm1"])
    # Meanwhile another clerk registers the second person on the same announcement.
    other = Candidate.objects.create(
        id_number=rows[1]["身份证号"], name=rows[1]["姓名"], phone=rows[1]["联系电话"], education="senior"
    )
    case.candidate = other
    case.register(datetime.date(2020, 9, 5))

    refused = confirm(client, preview)

    assert refused.status_code == 302 and refused["Location"] == reverse(IMPORT_URL)
    assert Registration.objects.count() == 1  # only the other clerk's


# --- large files: a background job ---------------------------------------------------------------


def test_a_large_file_becomes_a_background_job_with_a_progress_page(
    client, staff, orgs, announcement, settings, django_capture_on_commit_callbacks
):
    settings.JIANDING_IMPORT_BACKGROUND_BYTES = 100
    client.force_login(staff["clerk"])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, xlsx_file(registration_rows(5)), orgs["xm1"], name="大文件.xlsx")

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("appraisals:import_job", args=[job.pk])
    assert (job.status, job.user, job.station, job.original_name) == (
        "done",
        staff["clerk"],
        orgs["xm1"],
        "大文件.xlsx",
    )
    assert job.report["registrations_created"] == 5 and job.processed_rows == 5
    assert not job.file  # the upload is removed when the job ends
    assert Registration.objects.count() == 5

    page = client.get(response["Location"]).content.decode()
    assert "导入完成：共 5 行；新增报名 5 条" in page
    assert 'http-equiv="refresh"' not in page  # finished: no more refreshing
    listing = client.get(reverse("admin:appraisals_importjob_changelist")).content.decode()
    assert "大文件.xlsx" in listing and "100%" in listing


def test_a_job_still_running_refreshes_itself_and_is_hidden_from_other_stations(client, staff, orgs):
    job = ImportJob.objects.create(
        station=orgs["xm1"], user=staff["clerk"], original_name="a.csv", status="running", total_rows=100
    )
    ImportJob.objects.filter(pk=job.pk).update(processed_rows=50, phase="检查")
    client.force_login(staff["clerk"])
    page = client.get(reverse("appraisals:import_job", args=[job.pk])).content.decode()
    assert 'http-equiv="refresh"' in page and "25%" in page

    from catalog import roles
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="clerk_xm2", station=orgs["xm2"], role=roles.STATION_CLERK))
    assert client.get(reverse("appraisals:import_job", args=[job.pk])).status_code == 404


def test_a_refused_background_file_keeps_its_report_and_saves_nothing(
    client, staff, orgs, announcement, settings, django_capture_on_commit_callbacks
):
    settings.JIANDING_IMPORT_BACKGROUND_BYTES = 100
    client.force_login(staff["clerk"])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, csv_file(bad_file_rows(), "gb18030"), orgs["xm1"])

    job = ImportJob.objects.get()
    assert job.status == "refused" and job.report["error_total"] >= 11
    page = client.get(response["Location"]).content.decode()
    assert "校验码错误" in page and "未保存任何数据" in page
    assert Registration.objects.count() == 0


def test_the_task_runs_a_job_once(staff, orgs, announcement):
    from django.core.files.base import ContentFile

    from appraisals.tasks import import_registrations_task

    job = ImportJob(station=orgs["xm1"], user=staff["clerk"], original_name="a.csv")
    job.file.save("a.csv", ContentFile(csv_file(registration_rows(2))), save=True)

    first = import_registrations_task.delay(job.pk, staff["clerk"].pk).get()
    again = import_registrations_task.delay(job.pk, staff["clerk"].pk).get()

    assert first["registrations_created"] == 2 and again is None
    assert Registration.objects.count() == 2


# --- the template, forgotten uploads ---------------------------------------------------------------


def test_the_template_is_an_xlsx_with_the_id_column_as_text(client, staff):
    client.force_login(staff["clerk"])
    response = client.get(reverse("appraisals:import_template"))
    assert response.status_code == 200
    assert "filename*=utf-8''" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["报名", "填写说明"]
    assert book["报名"]["B2"].number_format == "@"


def test_uploads_left_at_the_preview_step_are_removed_after_an_hour(staff, orgs, media):
    folder = preview_dir()
    folder.mkdir(parents=True)
    old, fresh = folder / "old.upload", folder / "fresh.upload"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))

    assert purge_import_files() == 1
    assert not old.exists() and fresh.exists()

    out = io.StringIO()
    call_command("purge_import_files", stdout=out)
    assert "已删除 0 个导入文件" in out.getvalue()


def test_the_purge_task_also_removes_files_of_finished_jobs(staff, orgs):
    from django.core.files.base import ContentFile

    from appraisals.tasks import purge_import_files_task

    job = ImportJob(station=orgs["xm1"], user=staff["clerk"], original_name="a.csv", status="failed")
    job.file.save("a.csv", ContentFile(b"x"), save=True)
    path = job.file.path

    assert purge_import_files_task.delay().get() == 1
    assert not os.path.exists(path)
    job.refresh_from_db()
    assert not job.file


@pytest.mark.redis
@pytest.mark.postgres
def test_a_job_goes_through_redis_to_a_real_worker(committed_db, staff, orgs, announcement):
    from celery.contrib.testing.worker import start_worker
    from django.core.files.base import ContentFile

    from appraisals.tasks import import_registrations_task
    from config.celery import app

    job = ImportJob(station=orgs["xm1"], user=staff["clerk"], original_name="worker.csv")
    job.file.save("worker.csv", ContentFile(csv_file(registration_rows(30), "gbk")), save=True)
    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10):
            import_registrations_task.delay(job.pk, staff["clerk"].pk).get(timeout=60)
    finally:
        app.conf.task_always_eager = True

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.processed_rows == 30
    assert Registration.objects.filter(station=orgs["xm1"]).count() == 30


@pytest.mark.redis
@pytest.mark.postgres
def test_the_job_page_shows_progress_while_the_rows_are_being_saved(committed_db, client, staff, orgs, announcement):
    """The saving is one transaction; its progress reaches the page through the cache.
    Holding a lock that blocks inserts into the registration table stops the worker half
    way through the saving (candidates written, registrations waiting), deterministically."""
    import threading

    from django.core.files.base import ContentFile
    from django.db import connection, connections, transaction

    from appraisals.importing import job_with_live_progress, run_import_job

    job = ImportJob(station=orgs["xm1"], user=staff["clerk"], original_name="big.csv")
    job.file.save("big.csv", ContentFile(csv_file(registration_rows(30))), save=True)
    client.force_login(staff["clerk"])
    page_url = reverse("appraisals:import_job", args=[job.pk])

    def worker() -> None:
        try:
            run_import_job(job.pk, staff["clerk"].pk)
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Registration._meta.db_table} IN SHARE MODE")
        thread.start()
        deadline = time.monotonic() + 120  # a loaded CI machine: the worker thread may start late
        live = job_with_live_progress(ImportJob.objects.get(pk=job.pk))
        while not (live.phase == "保存" and live.processed_rows) and time.monotonic() < deadline:
            time.sleep(0.05)
            live = job_with_live_progress(ImportJob.objects.get(pk=job.pk))
        page = client.get(page_url).content.decode()
        stored = ImportJob.objects.get(pk=job.pk)
    thread.join(timeout=60)

    assert "保存：15 / 30 行" in page and "75%" in page  # candidates saved, registrations waiting
    assert stored.processed_rows == 0  # the row itself still says what it said before the transaction
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert "100%" in client.get(page_url).content.decode()
    assert Registration.objects.filter(station=orgs["xm1"]).count() == 30


def test_starting_a_job_stores_the_upload_and_queues_the_task_on_commit(
    staff, orgs, announcement, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from appraisals.importing import import_job_start

    upload = SimpleUploadedFile("名单.csv", csv_file(registration_rows(2)))
    with django_capture_on_commit_callbacks() as callbacks:
        job = import_job_start(actor=staff["clerk"], station=orgs["xm1"], upload=upload, dry_run=True)
        assert job.status == "queued" and job.file and job.original_name == "名单.csv"
    assert len(callbacks) == 1  # nothing runs before the job is committed

    callbacks[0]()
    job.refresh_from_db()
    assert (job.status, job.report["dry_run"], job.report["registrations_created"]) == ("done", True, 2)
    assert Registration.objects.count() == 0


def test_the_purge_is_on_the_beat_schedule_every_15_minutes():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="appraisals.tasks.purge_import_files_task")
    assert task.enabled and (task.interval.every, task.interval.period) == (15, "minutes")
