"""Supervision findings on an appraisal session: opened and closed by services."""

from __future__ import annotations

from typing import Any, TypeGuard

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from appraisals.admin_forms import ServiceForm, ServiceFormAdminMixin
from catalog.admin_scope import ScopedAdmin
from kit import clock

from .. import services
from ..models import SupervisionFinding


def _open(obj: Model | None) -> TypeGuard[SupervisionFinding]:
    return isinstance(obj, SupervisionFinding) and obj.is_open


class FindingOpenForm(ServiceForm):
    class Meta:
        model = SupervisionFinding
        fields = ["session", "summary"]

    def perform(self) -> SupervisionFinding:
        return services.finding_open(
            actor=self.actor,
            session=self.cleaned_data["session"],
            summary=self.cleaned_data["summary"],
            opened_at=clock.now(),
        )


class FindingCloseForm(ServiceForm):
    class Meta:
        model = SupervisionFinding
        fields = ["conclusion"]

    def perform(self) -> SupervisionFinding:
        return services.finding_close(
            actor=self.actor,
            finding=self.instance,
            conclusion=self.cleaned_data["conclusion"],
            closed_at=clock.now(),
        )


@admin.register(SupervisionFinding)
class SupervisionFindingAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "session__application__station"
    add_form = FindingOpenForm
    list_display = ["session", "summary", "opened_by", "opened_at", "is_open_display", "closed_at"]
    list_filter = [("closed_at", admin.EmptyFieldListFilter), "opened_at"]
    search_fields = ["summary", "session__occupation__name", "session__place"]
    list_select_related = ["session__occupation", "opened_by"]
    autocomplete_fields = ["session"]

    @admin.display(description="未办结", boolean=True)
    def is_open_display(self, obj: SupervisionFinding) -> bool:
        return obj.is_open

    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any) -> Any:
        if _open(obj):
            kwargs["form"] = FindingCloseForm
            kwargs["fields"] = ["conclusion"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is None:
            return []
        fields = ["session", "summary", "opened_by", "opened_at", "closed_by", "closed_at"]
        return fields if _open(obj) else [*fields, "conclusion"]

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is None:
            return ["session", "summary"]
        return ["session", "summary", "opened_by", "opened_at", "conclusion", "closed_by", "closed_at"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or _open(obj))

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
