"""Off-site requests, national question-bank papers and the exam day's check-in.

Display only: each decision is an action whose few inputs (the reason, the paper's
number, who received it) come from the action bar's form, and every change is a service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from catalog.admin_scope import ScopedAdmin, request_user
from kit.admin import report_rows

from .. import services
from ..admin_forms import ServiceForm, ServiceFormAdminMixin
from ..models import ExamPaper, OffsiteRequest, SeatCheckIn


class NoteActionForm(ActionForm):
    note = forms.CharField(label="审批意见", required=False, max_length=300)


class OffsiteRequestForm(ServiceForm):
    class Meta:
        model = OffsiteRequest
        fields = ["station", "place", "region", "date", "candidate_count", "reason"]

    def perform(self) -> OffsiteRequest:
        return services.offsite_request_submit(actor=self.actor, **self.cleaned_data)


@admin.register(OffsiteRequest)
class OffsiteRequestAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "station"
    add_form = OffsiteRequestForm
    action_form = NoteActionForm
    list_display = [
        "station",
        "date",
        "region",
        "scope_label",
        "candidate_count",
        "status",
        "requested_by",
        "decided_by",
        "decision_note",
    ]
    list_filter = ["status", "date"]
    search_fields = ["place", "station__name", "region__name", "reason"]
    list_select_related = ["station__region__parent", "region__parent", "requested_by", "decided_by"]
    autocomplete_fields = ["station", "region"]
    actions = ["approve", "refuse"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)  # decided by actions only

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("appraisals.approve_offsiterequest")

    @admin.display(description="范围")
    def scope_label(self, obj: OffsiteRequest) -> str:
        return obj.scope

    def _decide(self, request: HttpRequest, queryset: QuerySet, approve: bool) -> None:
        actor = request_user(request)
        note = request.POST.get("note", "")
        report_rows(
            self,
            request,
            queryset,
            lambda r: services.offsite_request_decide(actor=actor, request=r, approve=approve, note=note),
            "批准" if approve else "不予批准",
            str,
        )

    @admin.action(description="批准异地鉴定申请（可填审批意见）", permissions=["approve"])
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, True)

    @admin.action(description="不予批准（须在审批意见中写明理由）", permissions=["approve"])
    def refuse(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, False)


class PaperActionForm(ActionForm):
    bank_paper_id = forms.CharField(label="试卷编号", required=False, max_length=30)
    received_by = forms.CharField(label="领卷人", required=False, max_length=50)
    seal_broken = forms.BooleanField(label="密封破损", required=False)
    note = forms.CharField(label="情况说明", required=False, max_length=300)


@admin.register(ExamPaper)
class ExamPaperAdmin(ScopedAdmin):
    scope_station_path = "session__application__station"
    action_form = PaperActionForm
    list_display = [
        "session",
        "status",
        "bank_paper_id",
        "requested_by",
        "issued_by",
        "handed_over_to",
        "seal_label",
    ]
    list_filter = ["status"]
    search_fields = ["session__occupation__name", "session__place", "bank_paper_id"]
    list_select_related = ["session__occupation", "requested_by", "issued_by"]
    actions = ["issue", "hand_over", "take_back"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # requested from the session's action

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_issue_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("appraisals.issue_exampaper")

    @admin.display(description="回收密封")
    def seal_label(self, obj: ExamPaper) -> str:
        if obj.seal_intact is None:
            return "未回收"
        return "完好" if obj.seal_intact else f"破损：{obj.note}"

    @admin.action(description="发放试卷（填写国家题库试卷编号，一次一份）", permissions=["issue"])
    def issue(self, request: HttpRequest, queryset: QuerySet) -> None:
        if queryset.count() != 1:
            self.message_user(request, "每份试卷的编号不同，请一次选择一份试卷发放。", messages.ERROR)
            return
        actor = request_user(request)
        number = request.POST.get("bank_paper_id", "")
        report_rows(
            self,
            request,
            queryset,
            lambda p: services.paper_issue(actor=actor, paper=p, bank_paper_id=number),
            "发放试卷",
            str,
        )

    @admin.action(description="交接试卷（填写领卷人）", permissions=["issue"])
    def hand_over(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        name = request.POST.get("received_by", "")
        report_rows(
            self,
            request,
            queryset,
            lambda p: services.paper_hand_over(actor=actor, paper=p, received_by=name),
            "交接试卷",
            str,
        )

    @admin.action(description="密封回收试卷（破损须勾选并说明）", permissions=["issue"])
    def take_back(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        intact = not request.POST.get("seal_broken")
        note = request.POST.get("note", "")
        report_rows(
            self,
            request,
            queryset,
            lambda p: services.paper_return(actor=actor, paper=p, seal_intact=intact, note=note),
            "回收试卷",
            str,
        )


@admin.register(SeatCheckIn)
class SeatCheckInAdmin(ScopedAdmin):
    scope_station_path = "seat__registration__station"
    list_display = ["seat", "candidate", "attendance", "voided_part", "note", "recorded_by", "recorded_at"]
    list_filter = ["attendance", "seat__session__date"]
    search_fields = ["seat__ticket_number", "seat__registration__candidate__name__nameprefix"]
    list_select_related = ["seat__registration__candidate", "recorded_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # recorded from the seats list's actions

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description="考生", ordering="seat__registration__candidate__name")
    def candidate(self, obj: SeatCheckIn) -> Any:
        return obj.seat.registration.candidate.name
