"""The data audit before upload: upload batches, their problems, confirmation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html_join

from catalog.admin_scope import request_user
from kit import clock
from kit.admin import ViewOnlyMixin, report_rows
from kit.html import format_html

from .. import selectors, services
from ..models import UploadBatch, UploadItem
from .shared import CentreScopedAdmin, ItemTotal, iso, nowrap, short_centre_name

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class UploadItemInline(ViewOnlyMixin, admin.TabularInline):
    model = UploadItem
    fields = ["certificate", "problems"]
    readonly_fields = ["certificate", "problems"]
    extra = 0
    max_num = 0
    can_delete = False

    def get_formset(self, request: HttpRequest, obj: Model | None = None, **kwargs: Any) -> Any:
        self._report = (
            selectors.audit_batch(obj)
            if isinstance(obj, UploadBatch) and obj.status == UploadBatch.Status.DRAFT
            else None
        )
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="审核发现的问题")
    def problems(self, obj: UploadItem) -> str:
        if self._report is None:
            return "已确认"
        found = self._report.problems.get(obj.pk, [])
        if not found:
            return "无"
        return format_html(
            '<ul style="color:#c62828;margin:0">{}</ul>', format_html_join("", "<li>{}</li>", ((p,) for p in found))
        )


@admin.register(UploadBatch)
class UploadBatchAdmin(CentreScopedAdmin):
    # Fits 1366 px beside the menu and the filters, one line a row (who grouped and who
    # confirmed are on the batch's page).
    list_display = ["number", "short_centre", "status", "item_total", "short_created_on", "short_confirmed_on", "files"]
    list_filter = ["status", "centre", "created_on"]
    search_fields = ["centre__name", "note", "items__certificate__number"]
    list_select_related = ["centre", "created_by", "confirmed_by"]
    readonly_fields = ["centre", "note", "created_by", "created_on", "status", "confirmed_by", "confirmed_on", "files"]
    inlines = [UploadItemInline]
    actions = ["confirm", "remove_problem_records"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(_items=Count("items"))

    @admin.display(description="批次", ordering="pk")
    def number(self, obj: UploadBatch) -> str:
        return f"#{obj.pk}"

    @admin.display(description="填报单位", ordering="centre__name")
    def short_centre(self, obj: UploadBatch) -> str:
        return nowrap(short_centre_name(obj.centre.name), obj.centre.name)

    @admin.display(description="组批日期", ordering="created_on")
    def short_created_on(self, obj: UploadBatch) -> str:
        return iso(obj.created_on)

    @admin.display(description="确认日期", ordering="confirmed_on")
    def short_confirmed_on(self, obj: UploadBatch) -> str:
        return iso(obj.confirmed_on)

    @admin.display(description="证书数", ordering="_items")
    def item_total(self, obj: WithAnnotations[UploadBatch, ItemTotal]) -> int:
        return obj._items

    @admin.display(description="审核确认表与数据文件")
    def files(self, obj: UploadBatch) -> str:
        if obj.status != UploadBatch.Status.CONFIRMED:
            return "确认后生成"
        links = [
            (reverse("certificates:audit_form_pdf", args=[obj.pk]), "确认表PDF"),
            (reverse("certificates:audit_form_xlsx", args=[obj.pk]), "确认表XLSX"),
            (reverse("certificates:upload_data_file", args=[obj.pk]), "上报数据文件"),
        ]
        return format_html(
            '<span style="white-space:nowrap">{}</span>', format_html_join(" · ", '<a href="{}">{}</a>', links)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # grouped from the certificate list

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_confirm_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.confirm_uploadbatch")

    def has_remove_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.change_uploadbatch")

    @admin.action(description="审核确认（仅无问题数据的批次；确认后冻结）", permissions=["confirm"])
    def confirm(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor, today = request_user(request), clock.today()
        report_rows(
            self,
            request,
            queryset,
            lambda b: services.upload_batch_confirm(actor=actor, batch=b, confirmed_on=today),
            "审核确认",
            lambda b: f"上报批次 #{b.pk}",
        )

    @admin.action(description="移出有问题的记录（更正后另行上报）", permissions=["remove"])
    def remove_problem_records(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        report_rows(
            self,
            request,
            queryset,
            lambda b: services.upload_batch_remove_problems(actor=actor, batch=b),
            "移出问题记录",
            lambda b: f"上报批次 #{b.pk}",
        )
