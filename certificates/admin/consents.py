"""自愿书归档登记簿: every signed consent form, by guidance centre, archived when its case
ends. Officers archive in bulk with one action over the list's selection (Django's
“select all N” takes every row the filters leave, so a centre's 10,000 forms are one
click), each form through ``services.consent_archive``; forms without a scan are
refused by name and their stations reminded by the daily sweep."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse

from appraisals.exporting import ScopedExportAdminMixin
from catalog.admin_scope import ScopedAdmin, request_user
from kit import clock
from kit.admin import report_rows
from kit.html import format_html

from .. import selectors, services
from ..models import ConsentArchive
from ..resources import ConsentArchiveExportResource


class ArchiveStateFilter(admin.SimpleListFilter):
    title = "归档情况"
    parameter_name = "archive_state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("due", "待归档（已结案）"),
            ("no_scan", "缺扫描件无法归档"),
            ("archived", "已归档"),
            ("open", "案件未结"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        value = self.value()
        if value == "due":
            return selectors.consents_to_archive(queryset)
        if value == "no_scan":
            return selectors.consents_blocked_without_scan(queryset)
        if value == "archived":
            return queryset.filter(archived_at__isnull=False)
        if value == "open":
            return queryset.exclude(pk__in=selectors.consents_of_ended_cases().values("pk"))
        return None


@admin.register(ConsentArchive)
class ConsentArchiveAdmin(ScopedExportAdminMixin, ScopedAdmin):
    scope_station_path = "station"
    export_resource_classes = [ConsentArchiveExportResource]
    list_display = [
        "centre",
        "station",
        "registration",
        "case_status",
        "signed_date",
        "scan_state",
        "archived_at",
        "archived_by",
        "scan_sha256",
    ]
    list_filter = [ArchiveStateFilter, "station__centre", "signed_date"]
    search_fields = ["registration__candidate__name__nameprefix", "station__name", "scan_sha256"]
    list_select_related = [
        "registration__candidate",
        "registration__announcement__occupation",
        "station__centre",
        "archived_by",
    ]
    ordering = ["station__centre__code", "station__code", "pk"]
    actions = ["archive"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # forms are recorded by the station (自愿书); the register only archives

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_archive_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.archive_consentarchive")

    @admin.display(description="指导中心", ordering="station__centre__code")
    def centre(self, obj: ConsentArchive) -> str:
        return str(obj.station.centre)

    @admin.display(description="鉴定站", ordering="station__code")
    def station(self, obj: ConsentArchive) -> str:
        return obj.station.name

    @admin.display(description="案件状态")
    def case_status(self, obj: ConsentArchive) -> str:
        return obj.registration.get_status_display()

    @admin.display(description="扫描件")
    def scan_state(self, obj: ConsentArchive) -> str:
        if obj.scan:
            return format_html(
                '<a href="{}" target="_blank" rel="noopener">有</a>', reverse("appraisals:consent_scan", args=[obj.pk])
            )
        return format_html('<span style="color:#c62828">{}</span>', "无")

    @admin.action(description="归档所选自愿书（案件已结、有扫描件的；记录扫描件SHA-256）", permissions=["archive"])
    def archive(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        now = clock.now()
        report_rows(
            self,
            request,
            queryset.filter(archived_at__isnull=True).select_related("registration__candidate"),
            lambda consent: services.consent_archive(actor=actor, consent=consent, now=now),
            "归档自愿书",
            lambda consent: f"{consent.registration.candidate.name}（报名 #{consent.registration_id}）",
        )
