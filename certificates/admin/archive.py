"""The archive: viewed and exported only; a correction is a new record."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html_join

from appraisals.admin_forms import ServiceForm, ServiceFormAdminMixin
from appraisals.models import (
    AppraisalApplication,
    ConsentForm,
    EligibilityReview,
    ExamResult,
    ExamSession,
    Registration,
)
from catalog.admin_scope import ScopedAdmin, request_user
from kit import audit, clock
from kit.admin import snapshot_text
from kit.html import format_html
from kit.responses import ZIP, file_response

from .. import exports, services
from ..models import ArchiveRecord, Certificate


class ArchiveCorrectForm(ServiceForm):
    class Meta:
        model = ArchiveRecord
        fields = ["corrects", "correction_reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["corrects"].required = True
        self.fields["correction_reason"].required = True

    def perform(self) -> ArchiveRecord:
        return services.archive_correct(
            actor=self.actor,
            record=self.cleaned_data["corrects"],
            reason=self.cleaned_data["correction_reason"],
            now=clock.now(),
        )


@admin.register(ArchiveRecord)
class ArchiveRecordAdmin(ServiceFormAdminMixin, ScopedAdmin):
    """View and export only. A correction is a new record (the add form), never an edit."""

    scope_station_path = "registration__station"
    add_form = ArchiveCorrectForm
    list_display = ["certificate", "centre", "created_at", "created_by", "consent_sha256", "corrects", "superseded"]
    list_filter = ["centre", "created_at"]
    search_fields = ["certificate__number", "certificate__holder_name__nameprefix"]
    list_select_related = ["certificate", "centre", "created_by", "corrects__certificate", "corrected_by"]
    autocomplete_fields = ["corrects"]
    readonly_fields = [
        "certificate",
        "centre",
        "registration",
        "consent_scan_link",
        "consent_sha256",
        "created_at",
        "created_by",
        "corrects",
        "correction_reason",
        "contents_display",
    ]
    actions = ["export_zip"]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return self.readonly_fields if obj is not None else ["corrects", "correction_reason"]

    @admin.display(description="自愿书扫描件")
    def consent_scan_link(self, obj: ArchiveRecord) -> str:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">查看</a>', reverse("certificates:archive_scan", args=[obj.pk])
        )

    @admin.display(description="已被更正", boolean=True)
    def superseded(self, obj: ArchiveRecord) -> bool:
        return hasattr(obj, "corrected_by")

    @admin.display(description="归档内容")
    def contents_display(self, obj: ArchiveRecord) -> str:
        rows = _flatten(obj.contents)
        return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None) -> Any:
        response = super().change_view(request, object_id, form_url, extra_context)
        record = getattr(response, "context_data", {}).get("original")
        if response.status_code == 200 and record is not None:
            audit.record(
                request,
                action=audit.ARCHIVE,
                subject=f"档案：证书 {record.certificate.number} {record.certificate.holder_name}",
                reason="打开档案记录",
            )
        return response

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # 档案只能新增

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        user = request_user(request)
        return user.has_perm("certificates.add_archiverecord") and not user.station_id

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.view_archiverecord")

    @admin.action(description="导出档案（ZIP：归档内容、自愿书扫描件及其SHA-256、证书PDF）", permissions=["export"])
    def export_zip(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        records = queryset.select_related(
            "certificate__candidate",
            "certificate__occupation",
            "certificate__centre",
            "certificate__result",
            "centre",
            "created_by",
        )
        content = exports.archive_zip(records)
        audit.record(
            request,
            action=audit.EXPORT,
            subject=f"档案导出 {len(records)} 份：" + "、".join(r.certificate.number for r in records[:10]),
            reason="导出档案（含完整身份证号）",
        )
        return file_response(content, f"档案导出-{clock.today():%Y%m%d}.zip", ZIP)


LABELS = {
    "certificate": "证书",
    "registration": "报名",
    "eligibility_review": "资格审查",
    "consent": "自愿书",
    "application": "鉴定申请",
    "results": "鉴定成绩",
}


# Where each section's keys come from (their verbose names label them), and the keys of no field.
ARCHIVE_MODELS: dict[str, list[type[Model]]] = {
    "certificate": [Certificate],
    "registration": [Registration],
    "eligibility_review": [EligibilityReview],
    "consent": [ConsentForm],
    "application": [AppraisalApplication],
    "results": [ExamResult, ExamSession],
}
ARCHIVE_LABELS = {"id": "报名编号", "exam_date": "考试日期"}


def _flatten(contents: dict) -> list[tuple[str, str]]:
    rows = []
    for section, value in contents.items():
        title = LABELS.get(section, section)
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items, start=1):
            prefix = f"{title}{index}" if isinstance(value, list) else title
            if not item:
                rows.append((prefix, "无"))
                continue
            rows.append((prefix, snapshot_text(item, ARCHIVE_MODELS.get(section, []), ARCHIVE_LABELS)))
    return rows
