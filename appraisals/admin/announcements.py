"""Exam announcements (鉴定考试公告): published through ``announcement_publish``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from catalog.admin_scope import ScopedAdmin, request_user
from kit import clock

from .. import services
from ..admin_forms import ServiceForm, ServiceFormAdminMixin
from ..models import ExamAnnouncement


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

    @admin.display(description="报名人数")
    def registration_count(self, obj: ExamAnnouncement) -> int:
        return obj.registrations.count()
