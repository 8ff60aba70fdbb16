"""Late entries (补录): the guidance centre's approvals, given before the clerk enters, and
the record of every late entry accepted under one (read only: the services write it)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from catalog.admin_scope import ScopedAdmin, request_user
from catalog.selectors import visible_stations
from kit.admin import ViewOnlyMixin

from .. import services
from ..admin_forms import ServiceForm, ServiceFormAdminMixin
from ..models import LateEntry, LateEntryApproval


class LateEntryApprovalForm(ServiceForm):
    """An officer approves late entries of one kind at one station, with a reason
    (``services.late_entry_approve``: four eyes, the officer's own centre only)."""

    class Meta:
        model = LateEntryApproval
        fields = ["station", "act", "candidates", "reason", "refused", "requested_by"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.actor is not None:
            station_field: forms.ModelChoiceField = self.fields["station"]  # type: ignore[assignment]
            station_field.queryset = visible_stations(self.actor)

    def perform(self) -> LateEntryApproval:
        data = self.cleaned_data
        decide = services.late_entry_refuse if data.get("refused") else services.late_entry_approve
        return decide(
            actor=self.actor,
            station=data["station"],
            act=data["act"],
            reason=data["reason"],
            candidates=data.get("candidates") or [],
            requested_by=data.get("requested_by"),
        )


@admin.register(LateEntryApproval)
class LateEntryApprovalAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "station"
    add_form = LateEntryApprovalForm
    list_display = [
        "pk",
        "station",
        "act",
        "refused",
        "reason",
        "approved_by",
        "approved_at",
        "expires_at",
        "used_at",
        "used_by",
    ]
    list_filter = ["act", "refused", "station"]
    list_select_related = ["station", "approved_by", "used_by"]
    autocomplete_fields = ["candidates"]
    readonly_fields = ["approved_by", "approved_at", "expires_at", "used_at", "used_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request_user(request).has_perm("appraisals.approve_lateentry")

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and self.has_add_permission(request)  # an approval is never edited

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(LateEntry)
class LateEntryAdmin(ViewOnlyMixin, ScopedAdmin):
    scope_station_path = "station"
    list_display = ["entered_at", "station", "act", "act_date", "deadline", "notice", "gap_days", "approval"]
    list_filter = ["act", "station"]
    list_select_related = ["station", "approval"]
