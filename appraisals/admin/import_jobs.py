"""Background imports of registration files (read only; started from the registration list)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from catalog.admin_scope import ScopedAdminMixin

from ..importing import job_with_live_progress
from ..models import ImportJob
from ..views_io import import_job_link, progress_bar


@admin.register(ImportJob)
class ImportJobAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Background imports of registration files: who, which station, progress, outcome.
    Created by the registration list's import; read here, never edited."""

    scope_station_path = "station"
    list_display = ["created_at", "file_name", "station", "user", "status", "progress", "outcome"]
    list_filter = ["status", "created_at"]
    list_select_related = ["station", "user"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # the record of an upload; its file is removed when the job ends

    @admin.display(description="文件", ordering="original_name")
    def file_name(self, obj: ImportJob) -> str:
        return import_job_link(obj)

    @admin.display(description="进度")
    def progress(self, obj: ImportJob) -> str:
        return progress_bar(job_with_live_progress(obj))

    @admin.display(description="结果")
    def outcome(self, obj: ImportJob) -> str:
        report = obj.report or {}
        if report.get("problem"):
            return report["problem"]
        if obj.status == ImportJob.Status.REFUSED:
            return f"{report.get('error_total', 0)} 处错误，未保存"
        if obj.status == ImportJob.Status.DONE:
            verb = "可新增" if report.get("dry_run") else "新增"
            created, unchanged = report.get("registrations_created", 0), report.get("registrations_unchanged", 0)
            return f"{verb}报名 {created} 条，未变更 {unchanged} 条"
        return "—"
