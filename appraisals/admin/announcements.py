"""Exam announcements (鉴定考试公告): published through ``announcement_publish``."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import admin
from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.http import HttpRequest

from catalog.admin_scope import ScopedAdmin, request_user
from catalog.selectors import RuleBook
from kit import clock
from kit.admin import ListDisplay

from .. import services
from ..admin_forms import ServiceForm, ServiceFormAdminMixin
from ..models import ExamAnnouncement, ExamSession


class AnnouncementForm(ServiceForm):
    class Meta:
        model = ExamAnnouncement
        fields = ["station", "occupation", "level", "title", "publish_date", "fee"]

    def perform(self) -> ExamAnnouncement:
        data = self.cleaned_data
        return services.announcement_publish(
            actor=self.actor,
            station=data["station"],
            occupation=data["occupation"],
            level=data["level"],
            publish_date=data["publish_date"],
            title=data["title"],
            fee=data["fee"],
        )


@admin.register(ExamAnnouncement)
class ExamAnnouncementAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "station"
    add_form = AnnouncementForm
    list_display = ["occupation", "level", "station", "publish_date", "fee", "registration_count"]
    list_filter = ["level", "station", ("occupation", admin.RelatedOnlyFieldListFilter), "publish_date"]
    search_fields = ["occupation__name", "title", "station__name"]
    list_select_related = ["occupation", "station"]
    autocomplete_fields = ["station", "occupation"]
    date_hierarchy = "publish_date"

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        # Once published, what the rules were checked against stays as it was.
        if obj is not None:
            return ["station", "occupation", "level", "publish_date", "published_by"]
        return []

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial: dict[str, Any] = super().get_changeform_initial_data(request)
        initial.setdefault("publish_date", clock.today())
        user = request_user(request)
        if user.station_id:
            initial.setdefault("station", user.station_id)
        return initial

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExamAnnouncement]:
        first_exam = ExamSession.objects.filter(
            application__station=OuterRef("station"),
            occupation=OuterRef("occupation"),
            level=OuterRef("level"),
            kind=ExamSession.Kind.EXAM,
        ).order_by("date")
        return (
            super()
            .get_queryset(request)
            .select_related("station__region")
            .annotate(first_exam_date=Subquery(first_exam.values("date")[:1]))
        )

    def get_list_display(self, request: HttpRequest) -> ListDisplay:
        """Beside each announcement, the last day it takes registrations (the deadline rule of
        its occupation in the station's region) and its first exam, if one is scheduled."""
        book = RuleBook()  # one per request: the rules are read once for the page

        @admin.display(description="报名截止")
        def registration_cutoff(obj: ExamAnnouncement) -> str:
            # With the notice that set the day (the resolver keeps each date's source).
            return book.deadlines_for(obj.occupation_id, obj.station.region).with_notice("last_registration_day")

        @admin.display(description="考试日期", ordering="first_exam_date")
        def exam_date(obj: ExamAnnouncement) -> str:
            first: datetime.date | None = getattr(obj, "first_exam_date", None)
            return f"{first:%Y-%m-%d}" if first else "未安排"

        columns: ListDisplay = ["occupation", "level", "station", "publish_date", registration_cutoff, exam_date]
        return [*columns, "fee", "registration_count"]

    @admin.display(description="报名人数")
    def registration_count(self, obj: ExamAnnouncement) -> int:
        return obj.registrations.count()
