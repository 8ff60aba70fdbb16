"""What more than one admin screen uses: the case's read-only inlines, a candidate's label
in bulk-action reports, the announced-occupation filter. Registers nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from candidates.validators import mask_id_number
from catalog.selectors import visible_stations
from kit.permissions import FULL_ID_PERMISSION

from ..models import ExamAnnouncement, Registration


def candidate_label(registration: Registration, request: HttpRequest | None = None) -> str:
    candidate = registration.candidate
    if request is not None and request.user.has_perm(FULL_ID_PERMISSION):
        return f"{candidate.name}（{candidate.id_number}）"
    return f"{candidate.name}（{mask_id_number(candidate.id_number)}）"


class CaseReadOnlyInline(admin.TabularInline):
    """One part of the case shown on the registration's page; changed only by services."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return self.fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class AnnouncedOccupationFilter(admin.RelatedFieldListFilter):
    """The occupations announced at the user's stations, read from the announcements (a
    few thousand rows) rather than from the rows listed (registrations, certificates: a
    million)."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        announced = ExamAnnouncement.objects.filter(station__in=visible_stations(request.user).values("pk"))
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False, limit_choices_to={"pk__in": announced.values("occupation")}, ordering=ordering
        )
