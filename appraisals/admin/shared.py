"""What more than one admin screen uses: the case's read-only inlines, a candidate's label
in bulk-action reports, the announced-occupation filter. Registers nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from candidates.validators import ID_NUMBER_SHAPE, PHONE_SHAPE, mask_id_number, normalise_id_number, normalise_phone
from catalog.selectors import visible_station_ids
from kit.admin import ViewOnlyMixin

from ..models import Registration
from ..selectors import announced_occupation_choices


def candidate_label(registration: Registration) -> str:
    """The candidate as bulk-action reports and messages name them: name and masked ID
    number, for everyone (PIPL: a message is shown, logged and copied on; even a user
    allowed to see full numbers sees them on the candidate's own page only)."""
    candidate = registration.candidate
    return f"{candidate.name}（{mask_id_number(candidate.id_number)}）"


class CaseReadOnlyInline(ViewOnlyMixin, admin.TabularInline):
    """One part of the case shown on the registration's page; changed only by services."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return self.fields


class AnnouncedOccupationFilter(admin.RelatedFieldListFilter):
    """The occupations announced at the user's stations, read from the announcements (a
    few thousand rows) rather than from the rows listed (registrations, certificates: a
    million), and kept between requests (``selectors.announced_occupation_choices``)."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        ordering = self.field_admin_ordering(field, request, model_admin) or ()
        return announced_occupation_choices(visible_station_ids(request.user), ordering)


def registrations_by_number(queryset: QuerySet, search_term: str) -> QuerySet | None:
    """A whole ID number or mobile number typed in a registration list's search box: the
    exact matches (an index lookup, and no partial ID number ever matches); None for any
    other text, which the list searches as it usually does."""
    id_number = normalise_id_number(search_term)
    if ID_NUMBER_SHAPE.fullmatch(id_number):
        return queryset.filter(candidate__id_number=id_number)
    phone = normalise_phone(search_term)
    if PHONE_SHAPE.fullmatch(phone):
        return queryset.filter(candidate__phone=phone)
    return None
