"""Organisation scope for every admin page: lists, filters, forms, autocomplete, history.

A model admin says how its rows reach a station (``scope_station_path``); the mixin
filters the queryset by the user's scope and refuses objects outside it, so a crafted
URL or a crafted form value cannot reach another station's data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from . import selectors
from .models import User

if TYPE_CHECKING:
    # For the type checker the mixin is a ModelAdmin (it is only ever mixed into one).
    _AdminBase = admin.ModelAdmin
else:
    _AdminBase = object


def request_user(request: HttpRequest) -> User:
    """The staff member behind an admin request (the admin lets no one else in)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


class ScopedAdminMixin(_AdminBase):
    # Lookup from this model to its Station ("pk" for Station itself); None: not scoped.
    scope_station_path: str | None = None

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        if self.scope_station_path is None:
            return qs
        scope = selectors.station_scope(request.user)
        if scope is None:
            return qs
        stations = selectors.visible_stations(request.user).values("pk")
        if self.scope_station_path == "pk":
            return qs.filter(pk__in=stations)
        return qs.filter(**{f"{self.scope_station_path}__in": stations})

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scope_queryset(request, super().get_queryset(request))

    def in_scope(self, request: HttpRequest, obj: Model) -> bool:
        if selectors.station_scope(request.user) is None:
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or self.in_scope(request, obj))

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self.in_scope(request, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self.in_scope(request, obj))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Choices (and the validation of posted ids) follow the related admin's scope.
        related_admin = self.admin_site._registry.get(db_field.related_model)
        if isinstance(related_admin, ScopedAdminMixin) and "queryset" not in kwargs:
            kwargs["queryset"] = related_admin.get_queryset(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related_admin = self.admin_site._registry.get(db_field.related_model)
        if isinstance(related_admin, ScopedAdminMixin) and "queryset" not in kwargs:
            kwargs["queryset"] = related_admin.get_queryset(request)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_list_filter(self, request: HttpRequest) -> Any:
        # A related-field filter lists only what the user may see: the related admin's
        # scoped rows (stations, centres: small tables) where it is scoped, else the values
        # present in the user's own rows.
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and "__" not in entry:
                field = self.model._meta.get_field(entry)
                if field.is_relation and field.many_to_one:
                    related_admin = self.admin_site._registry.get(field.related_model)
                    scoped = isinstance(related_admin, ScopedAdminMixin)
                    entry = (entry, ScopedRelatedFieldListFilter if scoped else admin.RelatedOnlyFieldListFilter)
            filters.append(entry)
        return filters


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """Choices from the related model's scoped admin queryset (the stations a user may
    see), not, as ``RelatedOnlyFieldListFilter`` does, a DISTINCT over the listed table:
    at a million registrations that costs a scan on every page of the list."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        related_admin = model_admin.admin_site._registry[field.related_model]
        ordering = self.field_admin_ordering(field, request, model_admin)
        visible = related_admin.get_queryset(request).values("pk")
        return field.get_choices(include_blank=False, limit_choices_to={"pk__in": visible}, ordering=ordering)


class ScopedAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """The base of every Jianding model admin: scoped, with the trace on each object."""

    history_list_display = ["history_change_reason"]
