"""Screens for files in and out: the registration list's import (django-import-export's
upload → preview → confirm, or a background job for large files), the import template,
an import job's progress page, and the municipal report.

Permissions: importing needs ``appraisals.import_registration``, exporting (lists and the
municipal report's file) ``appraisals.export_registration``, marking registrations as
reported also ``appraisals.change_registration``. Station clerks and centre officers
hold them through ``appraisals.*``; supervisors only view (they see the report's counts
on screen, no personal data leaves the system through them).
"""

from __future__ import annotations

import datetime
import io
import os
import uuid
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.cache import never_cache
from import_export.admin import ImportMixin
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.tmp_storages import TempFolderStorage
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from candidates.models import Candidate
from catalog.admin_scope import request_user
from catalog.models import SkillLevel, Station
from catalog.selectors import visible_stations
from kit import clock, conf
from kit.responses import XLSX, file_response

from . import exporting, services
from .filters import MunicipalReportFilter
from .importing import (
    COLUMNS,
    OPTIONAL_LABELS,
    REQUIRED_LABELS,
    ImportRefused,
    ImportReport,
    import_job_start,
    job_with_live_progress,
    preview_dir,
)
from .models import ExamAnnouncement, ImportJob, LateEntryApproval, Registration
from .resources import RegistrationExportResource, RegistrationFileFormat, RegistrationImportResource

IMPORT_PERMISSION = "appraisals.import_registration"
EXPORT_PERMISSION = "appraisals.export_registration"
CHANGE_PERMISSION = "appraisals.change_registration"
VIEW_PERMISSION = "appraisals.view_registration"
VIEW_JOBS_PERMISSION = "appraisals.view_importjob"


# --- the admin's import ------------------------------------------------------------------------------


class PreviewFileStorage(TempFolderStorage):
    """Uploads waiting at the preview step, in their own folder under MEDIA_ROOT with
    random names, so that ``purge_import_files`` can remove those nobody confirmed."""

    name: str | None  # given to the constructor, or chosen by _open on the first write

    def get_full_path(self) -> str:
        if not self.name:
            raise ValueError("The preview file has no name yet: nothing was written.")
        return str(preview_dir() / os.path.basename(self.name))

    def _open(self, mode: str = "r") -> Any:
        if not self.name:
            preview_dir().mkdir(parents=True, exist_ok=True)
            self.name = f"{uuid.uuid4().hex}.upload"
            return open(self.get_full_path(), "wb")
        return open(self.get_full_path(), mode, encoding=self.encoding)


class RegistrationImportForm(ImportForm):
    station = forms.ModelChoiceField(label="导入到鉴定站", queryset=Station.objects.none())
    check_only = forms.BooleanField(
        label="仅检查，不保存",
        required=False,
        help_text="大文件在后台处理：勾选时只检查并给出报告；不勾选时检查全部通过即保存。",
    )
    late_entry_approval = forms.ModelChoiceField(
        label="补录批准",
        queryset=LateEntryApproval.objects.none(),
        required=False,
        help_text="报名日期在截止日之内、但截止日（及宽限期）已过才录入的文件，须选用指导中心审核员事先给出的补录批准。",
    )
    field_order = ["resource", "station", "import_file", "format", "check_only", "late_entry_approval"]

    def __init__(self, formats: Any, resources: Any, *, user: Any = None, **kwargs: Any) -> None:
        super().__init__(formats, resources, **kwargs)
        stations = visible_stations(user).filter(is_active=True) if user is not None else Station.objects.none()
        self.fields["station"].queryset = stations
        self.fields["late_entry_approval"].queryset = usable_approvals(stations)
        if user is not None and user.station_id:
            self.fields["station"].initial = user.station_id
        self.fields["import_file"].help_text = "CSV（UTF-8 或 GBK 编码均可）或 Excel 工作簿（.xlsx），表头见导入模板。"


def usable_approvals(stations: Any) -> Any:
    """Registration late-entry approvals of these stations not yet used nor expired."""
    return LateEntryApproval.objects.filter(
        station__in=stations,
        act=LateEntryApproval.Act.REGISTRATION,
        refused=False,
        used_at__isnull=True,
        expires_at__gte=clock.now(),
    ).select_related("station")


class RegistrationConfirmImportForm(ConfirmImportForm):
    station = forms.ModelChoiceField(queryset=Station.objects.none(), widget=forms.HiddenInput)
    late_entry_approval = forms.ModelChoiceField(
        queryset=LateEntryApproval.objects.none(), widget=forms.HiddenInput, required=False
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations = visible_stations(user).filter(is_active=True)
        self.fields["late_entry_approval"].queryset = usable_approvals(stations)


class RegistrationImportAdminMixin(ImportMixin):
    """The registration list's import, through django-import-export's views and templates:

    - only for holders of ``appraisals.import_registration`` (button, form and confirm);
    - the file is read by the engine (format and encoding detected), the preview is the
      engine's dry run, the confirm step checks again and saves all rows or none;
    - a large file goes to a background job instead, and the clerk is sent to its page;
    - uploads left at the preview step are removed (at once when the preview refuses the
      file, otherwise by ``purge_import_files`` after an hour)."""

    import_form_class = RegistrationImportForm
    confirm_form_class = RegistrationConfirmImportForm
    import_template_name = "appraisals/registration_import.html"
    tmp_storage_class = PreviewFileStorage
    skip_admin_log = True  # the trace records every row, attributed to the clerk

    def has_import_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('import', opts)}")

    def get_import_resource_classes(self, request: HttpRequest) -> list[type]:
        return [RegistrationImportResource]

    def get_import_formats(self) -> list[type]:
        return [RegistrationFileFormat]

    def get_import_form_kwargs(self, request: HttpRequest) -> dict[str, Any]:
        return {**super().get_import_form_kwargs(request), "user": request.user}

    def get_confirm_form_kwargs(self, request: HttpRequest, import_form: Any = None) -> dict[str, Any]:
        return {**super().get_confirm_form_kwargs(request, import_form), "user": request.user}

    def get_confirm_form_initial(self, request: HttpRequest, import_form: Any) -> dict[str, Any]:
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["station"] = import_form.cleaned_data["station"].pk
            approval = import_form.cleaned_data.get("late_entry_approval")
            initial["late_entry_approval"] = approval.pk if approval is not None else ""
        return initial

    def get_import_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        form = kwargs.get("form")
        cleaned = getattr(form, "cleaned_data", {}) if form is not None else {}
        return {
            "station": cleaned.get("station"),
            "actor": request.user,
            "late_entry_approval": cleaned.get("late_entry_approval"),
        }

    def get_import_data_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        # The engine needs nothing from the form; drop what the library passes along.
        kwargs.pop("form", None)
        kwargs.pop("request", None)
        return kwargs

    def get_import_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_import_context_data(**kwargs),
            "background_limit": conf.import_background_bytes(),
            "required_columns": "、".join(REQUIRED_LABELS),
        }

    def add_data_read_fail_error_to_form(self, form: Any, e: Exception) -> None:
        if isinstance(e, ImportRefused):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = self.create_import_form(request)
            if form.is_valid() and form.cleaned_data["import_file"].size > conf.import_background_bytes():
                return self._start_job(request, form)
        response = super().import_action(request, **kwargs)
        self._discard_refused_upload(response)
        return response

    def _start_job(self, request: HttpRequest, form: Any) -> HttpResponse:
        job = import_job_start(
            actor=request_user(request),
            station=form.cleaned_data["station"],
            upload=form.cleaned_data["import_file"],
            dry_run=form.cleaned_data["check_only"],
            late_entry_approval=form.cleaned_data.get("late_entry_approval"),
        )
        messages.info(
            request, f"文件较大，已转入后台处理（任务 {job.pk}）。可以离开本页，稍后在“报名导入任务”中查看结果。"
        )
        return redirect("appraisals:import_job", job_id=job.pk)

    def _discard_refused_upload(self, response: HttpResponse) -> None:
        """The preview refused the file: nobody will confirm it, so remove the upload now."""
        context = getattr(response, "context_data", None) or {}
        form = context.get("form")
        if context.get("confirm_form") is not None or form is None or not hasattr(form, "cleaned_data"):
            return
        upload = form.cleaned_data.get("import_file")
        name = getattr(upload, "tmp_storage_name", None)
        if name:
            PreviewFileStorage(name=name).remove()

    def process_result(self, result: Any, request: HttpRequest) -> HttpResponse:
        report = getattr(result, "jianding_report", None)
        if report is not None and not report.saved:
            # The file changed since the preview, or someone else saved the same rows meanwhile.
            messages.error(request, " ".join(report.lines()[:20]))
            url = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_import", current_app=self.admin_site.name
            )
            return HttpResponseRedirect(url)
        return super().process_result(result, request)

    def add_success_message(self, result: Any, request: HttpRequest) -> None:
        messages.success(request, result.jianding_report.summary())


class RegistrationImportExportMixin(RegistrationImportAdminMixin, exporting.ScopedExportAdminMixin):
    """Import and export on the registration list, with links to the template, the
    import jobs and the municipal report."""

    import_export_change_list_template = "appraisals/registration_change_list.html"
    export_resource_classes = [RegistrationExportResource]


# --- the import template -------------------------------------------------------------------------------

TEMPLATE_ROWS = 2000  # rows pre-formatted (ID number and phone as text) for typing or pasting
TEMPLATE_WIDTHS = {"name": 10, "id_number": 22, "phone": 15, "occupation": 22, "school_or_enterprise": 22}
REQUIRED_FILL = "FDE9D9"  # light red: the columns every row needs
OPTIONAL_FILL = "EDEDED"  # grey: the columns that may be left blank or deleted
TEMPLATE_NOTES = [
    "1. 第一张工作表“报名”第1行为表头，请勿修改；从第2行起每行一名考生的一次报名。",
    f"2. 必填列（浅红色表头）：{'、'.join(REQUIRED_LABELS)}。每一行都要填写；缺少其中任何一列，整个文件不会导入。",
    f"3. 选填列（灰色表头）：{'、'.join(OPTIONAL_LABELS)}。可以不填，也可以整列删除；"
    "只有姓名、身份证号、联系电话、职业、等级、报名日期六列的名单也可以直接导入。",
    "4. 身份证号、联系电话两列已设为“文本”格式。若从其他表格粘贴，请选择“只粘贴值”，"
    "不要把身份证号存成数字（Excel 会把第15位之后的数字变成0，这样的行会被拒绝）。",
    "5. 职业：按国家职业资格目录中的名称填写，须是本站已发布鉴定考试公告的职业；等级：五级/初级工、四级/中级工、"
    "三级/高级工、二级/技师、一级/高级技师（也可填5、4、3、2、1）。",
    "6. 报名日期：如 2020-09-10。报名日期须在公告发布日期之后、最后受理日之前（含当日），考生须年满16周岁。",
    "7. 文化程度：初中及以下、高中/中专/技校、大专、本科、研究生。工作年限：整年数，例如 3。"
    "毕业证书：没有请填“无”。这三项留空表示尚未填写（工作年限留空不等于0年），已登记的考生留空表示不变；"
    "资格审查时，申报条件需要而尚未填写的，系统会提示先补充。",
    "   已有证书等级、编号、发证日期：申报条件中的“取得本职业某级证书”，没有证书留空；"
    "按职业资格证书培养计划培养的学生或企业新型学徒填写培养类型、学校或企业、预计毕业日期（这三项须一起填写），"
    "以及培养计划和培养职业。",
    "8. 同一考生（同一身份证号）可在多行报名不同职业或等级；同一考生重复报名同一公告的行会被拒绝。",
    "9. 只要有一行不符合规则，整个文件都不会保存；报告会列出每一个错误所在的行号、列、内容和规则。"
    "同一文件再次导入不会重复保存。",
    "10. 也可另存为 CSV（UTF-8 或 GBK 编码均可）后导入。",
]


def template_workbook(station: Station | None) -> bytes:
    """The import template: headers, the ID and phone columns formatted as text ('@'),
    drop-down lists for level and education, and notes with the station's announcements."""
    book = Workbook()
    sheet = book.worksheets[0]  # a new workbook has one sheet
    sheet.title = "报名"
    sheet.append([column.label for column in COLUMNS])
    required = PatternFill("solid", fgColor=REQUIRED_FILL)
    optional = PatternFill("solid", fgColor=OPTIONAL_FILL)
    for cell, column in zip(sheet[1], COLUMNS, strict=True):
        cell.font = Font(bold=True)
        cell.fill = required if column.required else optional
    letters = {column.key: get_column_letter(index) for index, column in enumerate(COLUMNS, start=1)}
    formats = {"id_number": "@", "phone": "@", "prior_certificate_number": "@"}
    formats.update(dict.fromkeys(("registration_date", "prior_certificate_date", "expected_finish_date"), "yyyy-mm-dd"))
    for key, number_format in formats.items():
        sheet.column_dimensions[letters[key]].number_format = number_format
        for row in range(2, TEMPLATE_ROWS + 2):
            sheet[f"{letters[key]}{row}"].number_format = number_format
    for column in COLUMNS:
        sheet.column_dimensions[letters[column.key]].width = TEMPLATE_WIDTHS.get(column.key, 14)
    drop_downs = {
        "level": SkillLevel.labels,
        "education": Candidate.Education.labels,
        "prior_certificate_level": SkillLevel.labels,
        "diploma": Candidate.Diploma.labels,
        "trainee_kind": Candidate.TraineeKind.labels,
    }
    for key, labels in drop_downs.items():
        validation = DataValidation(type="list", formula1='"' + ",".join(labels) + '"')
        validation.error = "请从下拉列表中选择。"
        validation.showErrorMessage = False  # pasted values in other spellings are still accepted
        sheet.add_data_validation(validation)
        validation.add(f"{letters[key]}2:{letters[key]}{TEMPLATE_ROWS + 1}")
    sheet.freeze_panes = "A2"

    notes = book.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 110
    notes.append(["报名导入模板 · 填写说明"])
    notes["A1"].font = Font(bold=True, size=13)
    for line in TEMPLATE_NOTES:
        notes.append([line])
    if station is not None:
        notes.append([])
        notes.append([exporting.escape_formula(f"{station} 已发布的鉴定考试公告（职业、等级、发布日期）：")])
        announcements = ExamAnnouncement.objects.filter(station=station).select_related("occupation")
        for announcement in announcements.order_by("occupation__name", "-level", "publish_date"):
            notes.append(
                [
                    exporting.escape_formula(
                        f"{announcement.occupation.name}　{announcement.get_level_display()}　"
                        f"{announcement.publish_date:%Y-%m-%d}"
                    )
                ]
            )
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


@never_cache
@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not user.has_perm(IMPORT_PERMISSION):
        raise PermissionDenied
    station = user.station if user.station_id else None
    return file_response(template_workbook(station), "报名导入模板.xlsx", XLSX)


# --- an import job's page ----------------------------------------------------------------------------------


def progress_bar(job: ImportJob) -> str:
    """A small progress bar: checking is the first half, saving the second."""
    if job.is_finished:
        percent = 100
    elif job.total_rows:
        part = min(job.processed_rows / job.total_rows, 1)
        percent = int(50 * part) if job.phase != "保存" else 50 + int(50 * part)
    else:
        percent = 0
    return format_html(
        '<span style="display:inline-block;width:140px;height:10px;background:var(--hairline-color,#ddd);'
        'border-radius:5px;overflow:hidden;vertical-align:middle" role="progressbar" aria-valuenow="{}" '
        'aria-valuemin="0" aria-valuemax="100"><span style="display:block;height:100%;width:{}%;'
        'background:var(--primary,#79aec8)"></span></span> {}%',
        percent,
        percent,
        percent,
    )


def import_job_link(job: ImportJob) -> str:
    return format_html('<a href="{}">{}</a>', reverse("appraisals:import_job", args=[job.pk]), job.original_name)


@never_cache
@login_required
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """Progress and outcome of a background import; refreshes itself until it ends."""
    if not request.user.has_perm(VIEW_JOBS_PERMISSION):
        raise PermissionDenied
    jobs = ImportJob.objects.filter(station__in=visible_stations(request.user).values("pk"))
    job = job_with_live_progress(get_object_or_404(jobs.select_related("station", "user"), pk=job_id))
    report = ImportReport.from_dict(job.report) if job.report.get("station") is not None else None
    context = {
        **_admin_context(request, f"报名导入任务 {job.pk}"),
        "job": job,
        "report": report,
        "problem": job.report.get("problem", ""),
        "errors": report.errors[:1000] if report else [],
        "more_errors": max(report.error_total - min(len(report.errors), 1000), 0) if report else 0,
        "progress": progress_bar(job),
        "refresh": not job.is_finished,
    }
    return TemplateResponse(request, "appraisals/import_job.html", context)


def _admin_context(request: HttpRequest, title: str) -> dict[str, Any]:
    return {**admin.site.each_context(request), "title": title, "opts": Registration._meta}


# --- the municipal report ----------------------------------------------------------------------------------


class MunicipalDownloadForm(forms.Form):
    """What the download adds to the filter (``filters.MunicipalReportFilter``)."""

    mark_reported = forms.BooleanField(
        label="下载后将这些报名标记为已上报（记录上报人和时间）", required=False, initial=True
    )


@never_cache
@login_required
def municipal_report(request: HttpRequest) -> HttpResponse:
    """Registrations per station, occupation and level for a date range: counts on the
    page, the XLSX to send to the municipal appraisal centre, and the registrations
    marked as reported (who, when)."""
    user = request_user(request)
    if not user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else (request.GET if "start" in request.GET else None)
    filterset = MunicipalReportFilter(data, user=user, today=clock.today())
    form = filterset.form
    lines: list[exporting.MunicipalLine] = []
    if filterset.is_bound and filterset.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        registrations = filterset.qs
        lines = exporting.municipal_lines(registrations)
        if request.method == "POST":
            return _municipal_download(request, MunicipalDownloadForm(request.POST), registrations, lines, start, end)
    context = {
        **_admin_context(request, "报名数据上报（市鉴定中心）"),
        "form": form,
        "download_form": MunicipalDownloadForm(),
        "lines": lines,
        "totals": [
            sum(getattr(line, name) for line in lines)
            for name in ("registrations", "withdrawn", "unreported", "refunds", "refunded", "refunds_unconfirmed")
        ],
        "can_download": user.has_perm(EXPORT_PERMISSION),
        "can_mark": user.has_perm(EXPORT_PERMISSION) and user.has_perm(CHANGE_PERMISSION),
    }
    return TemplateResponse(request, "appraisals/municipal_report.html", context)


def _municipal_download(
    request: HttpRequest,
    form: MunicipalDownloadForm,
    registrations: Any,
    lines: list[exporting.MunicipalLine],
    start: datetime.date,
    end: datetime.date,
) -> HttpResponse:
    user = request_user(request)
    if not user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied
    now = clock.now()
    content = exporting.municipal_report_xlsx(
        lines,
        start=start,
        end=end,
        prepared_by=user,
        prepared_at=now,
        refunds=exporting.municipal_refunds(registrations),
    )
    if form.is_valid() and form.cleaned_data["mark_reported"]:
        if not user.has_perm(CHANGE_PERMISSION):
            raise PermissionDenied
        services.registrations_mark_reported(actor=user, registrations=registrations, now=now)
    return file_response(content, f"报名数据上报表-{start:%Y%m%d}-{end:%Y%m%d}.xlsx", XLSX)
