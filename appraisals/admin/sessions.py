"""Exam sessions, seats, results and score amendments."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from catalog.admin_scope import ScopedAdmin, request_user
from kit import clock
from kit.admin import report_rows

from .. import services
from ..admin_forms import ServiceForm, ServiceFormAdminMixin
from ..models import ExamResult, ExamRoom, ExamSession, ScoreAmendment, SeatAssignment
from .shared import candidate_label

# --- sessions, seats ---------------------------------------------------------------------------


class RoomInline(admin.TabularInline):
    model = ExamRoom
    extra = 1


class ExamSessionForm(ServiceForm):
    class Meta:
        model = ExamSession
        fields = [
            "application",
            "kind",
            "occupation",
            "level",
            "date",
            "start_time",
            "end_time",
            "place",
            "region",
            "paper_id",
            "examiners",
            "supervisor",
            "offsite_approval",
            "offsite_approved_by",
        ]

    def perform(self) -> ExamSession:
        data = dict(self.cleaned_data)
        return services.session_schedule(actor=self.actor, rooms=(), **data)


@admin.register(ExamSession)
class ExamSessionAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "application__station"
    add_form = ExamSessionForm
    list_display = [
        "occupation",
        "level",
        "kind",
        "date",
        "start_time",
        "place",
        "station",
        "held",
        "seat_total",
        "tickets",
    ]
    list_filter = ["kind", "held", "level", ("occupation", admin.RelatedOnlyFieldListFilter), "date"]
    search_fields = ["place", "occupation__name", "paper_id"]
    list_select_related = ["occupation", "application__station"]
    autocomplete_fields = ["application", "occupation", "region", "supervisor"]
    filter_horizontal = ["examiners"]
    inlines = [RoomInline]
    actions = ["assign_seats", "hold", "publish_results"]
    date_hierarchy = "date"

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is not None:  # what the rules were checked against stays as it was
            return [
                "application",
                "kind",
                "occupation",
                "level",
                "date",
                "start_time",
                "end_time",
                "region",
                "examiners",
                "supervisor",
                "offsite_approval",
                "offsite_approved_by",
                "held",
            ]
        return []

    @admin.display(description="鉴定站")
    def station(self, obj: ExamSession) -> str:
        return str(obj.application.station)

    @admin.display(description="已编排")
    def seat_total(self, obj: ExamSession) -> int:
        return obj.seats.count()

    @admin.display(description="准考证")
    def tickets(self, obj: ExamSession) -> str:
        try:
            url = reverse("appraisals:session_tickets", args=[obj.pk])
        except NoReverseMatch:
            return "—"
        return format_html('<a href="{}">下载</a>', url)

    @admin.action(description="自动编排考场座位", permissions=["change"])
    def assign_seats(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        report_rows(self, request, queryset, lambda s: services.seats_assign(actor=actor, session=s), "编排座位", str)

    @admin.action(description="登记考试已举行", permissions=["change"])
    def hold(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        report_rows(self, request, queryset, lambda s: services.session_hold(actor=actor, session=s), "登记举行", str)

    @admin.action(description="公示已复核的成绩（公示日期为今天）", permissions=["change"])
    def publish_results(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        today = clock.today()
        report_rows(
            self,
            request,
            queryset,
            lambda s: services.results_publish(actor=actor, session=s, published_on=today),
            "公示成绩",
            str,
        )


@admin.register(SeatAssignment)
class SeatAssignmentAdmin(ScopedAdmin):
    scope_station_path = "registration__station"
    list_display = ["ticket_number", "registration", "session", "room", "seat_number"]
    search_fields = ["ticket_number", "registration__candidate__name"]
    list_select_related = [
        "registration__candidate",
        "registration__announcement__occupation",
        "session__occupation",
        "room",
    ]
    list_filter = ["session__date"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # seats are assigned by the session's action

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


# --- results --------------------------------------------------------------------------------------


class ExamResultForm(ServiceForm):
    class Meta:
        model = ExamResult
        fields = ["registration", "theory_score", "practical_score", "review_score"]

    def perform(self) -> ExamResult:
        data = self.cleaned_data
        return services.result_enter(
            actor=self.actor,
            registration=data["registration"],
            theory_score=data["theory_score"],
            practical_score=data["practical_score"],
            review_score=data["review_score"],
        )


@admin.register(ExamResult)
class ExamResultAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "registration__station"
    add_form = ExamResultForm
    list_display = [
        "registration",
        "attempt",
        "theory_score",
        "practical_score",
        "review_score",
        "passed",
        "entered_by",
        "confirmed_by",
        "publicity_last_day",
    ]
    list_filter = ["attempt", "passed", ("confirmed_at", admin.EmptyFieldListFilter), "published_on"]
    search_fields = ["registration__candidate__name"]
    list_select_related = [
        "registration__candidate",
        "registration__announcement__occupation",
        "entered_by",
        "confirmed_by",
    ]
    autocomplete_fields = ["registration"]
    actions = ["confirm"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Scores change only through a new entry before confirmation or an amendment after.
        return obj is None and super().has_change_permission(request, obj)

    def has_confirm_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("appraisals.confirm_examresult")

    @admin.action(description="复核确认成绩（须由录入人以外的人操作）", permissions=["confirm"])
    def confirm(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        report_rows(
            self,
            request,
            queryset.select_related("registration__candidate"),
            lambda r: services.result_confirm(actor=actor, result=r),
            "复核确认",
            lambda r: candidate_label(r.registration),
        )


class ScoreAmendmentForm(ServiceForm):
    field = forms.ChoiceField(label="更正项目", choices=list(services.SCORE_FIELDS.items()))

    class Meta:
        model = ScoreAmendment
        fields = ["result", "field", "new_value", "reason"]

    def perform(self) -> ScoreAmendment:
        data = self.cleaned_data
        return services.result_amend(
            actor=self.actor,
            result=data["result"],
            field=data["field"],
            new_value=data["new_value"],
            reason=data["reason"],
        )


@admin.register(ScoreAmendment)
class ScoreAmendmentAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "result__registration__station"
    add_form = ScoreAmendmentForm
    list_display = ["result", "field", "old_value", "new_value", "reason", "amended_by", "amended_at"]
    search_fields = ["result__registration__candidate__name", "reason"]
    list_select_related = ["result__registration__candidate", "amended_by"]
    autocomplete_fields = ["result"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)
