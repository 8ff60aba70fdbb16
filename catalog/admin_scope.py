"""Organisation scope for every admin page: lists, filters, forms, autocomplete, history.

A model admin says how its rows reach a station (``scope_station_path``); the mixin
filters the queryset by the user's scope and refuses objects outside it, so a crafted
URL or a crafted form value cannot reach another station's data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db.models import DateField, Model, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from simple_history.admin import SimpleHistoryAdmin

from kit import audit
from kit.admin import (
    MASKED_PERSON_FIELDS,
    BusinessDateFieldListFilter,
    CappedPaginator,
    display_value,
    mask_middle,
)
from kit.html import format_html
from kit.permissions import FULL_ID_PERMISSION

from . import roles, selectors
from .models import Station, User

# Every date filter of the admin (ours and the libraries') counts 今天 from the business date.
admin.FieldListFilter.register(
    lambda field: isinstance(field, DateField), BusinessDateFieldListFilter, take_priority=True
)

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


@dataclass(frozen=True)
class WorkQueue:
    """One kind of work waiting on a list (待资格审查, 待审批…): the home counts it and links
    to the list filtered by it (``?todo=<key>``), both through ``select``, so the count and
    the list agree by construction."""

    model: type[Model]
    key: str
    title: str
    select: Callable[[QuerySet], QuerySet]

    def changelist_url(self) -> str:
        opts = self.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        return f"{url}?{WorkQueueFilter.parameter_name}={self.key}"


_work_queues: dict[type[Model], dict[str, WorkQueue]] = {}


def register_work_queue(model: type[Model], key: str, title: str, select: Callable[[QuerySet], QuerySet]) -> WorkQueue:
    """Called by the app that assembles the home (the top one: it may read every app)."""
    queue = WorkQueue(model, key, title, select)
    _work_queues.setdefault(model, {})[key] = queue
    return queue


def work_queues(model: type[Model]) -> list[WorkQueue]:
    return list(_work_queues.get(model, {}).values())


class WorkQueueFilter(admin.SimpleListFilter):
    """The list's 待办 filter: one choice per work queue registered for its model."""

    title = "待办"
    parameter_name = "todo"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(queue.key, queue.title) for queue in work_queues(model_admin.model)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        queue = _work_queues.get(queryset.model, {}).get(self.value() or "")
        return queue.select(queryset) if queue is not None else queryset


def in_menu(request: HttpRequest, model: type[Model]) -> bool:
    """Whether the model is on the user's menu (the home's and the side menu's model list)."""
    menu: set[str] | None
    if hasattr(request, "_jianding_menu"):
        menu = request._jianding_menu
    else:
        user = request_user(request)
        # The role names memoised on the user (the scopes read them too): no extra query.
        names = selectors._role_names(user)
        menu = None if user.is_superuser else roles.menu_for(names)
        request._jianding_menu = menu  # type: ignore[attr-defined]
    return menu is None or model._meta.label_lower in menu


NUMBER_COLUMN = "row_number"


class ScopedAdminMixin(_AdminBase):
    # Lookup from this model to its Station ("pk" for Station itself); None: not scoped.
    scope_station_path: str | None = None
    # A list counts its rows once and at most up to a cap (kit.admin.CappedPaginator), not
    # also the whole scope: at a million cases each exact count is a scan.
    paginator = CappedPaginator
    show_full_result_count = False
    # No “显示计数” link: it counts every choice of every filter over the whole scope.
    show_facets = admin.ShowFacets.NEVER

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> Any:
        if not issubclass(self.paginator, CappedPaginator):
            return super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)
        try:
            page_asked = max(int(request.GET.get(PAGE_VAR, 1)), 1)
        except ValueError:
            page_asked = 1
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page, page_asked=page_asked)

    def response_action(self, request: HttpRequest, queryset: QuerySet) -> Any:
        # “All” of a list longer than its cap is a number nobody was shown (the page says
        # 1000+), and a thousand cases' steps in one request: narrow the list first, unless
        # the action runs on a whole list as one set (kit.admin.whole_list_action).
        across = forms.BooleanField(required=False).to_python(request.POST.get("select_across"))
        chosen = self.get_actions(request).get(request.POST.get("action", ""))
        whole_list = chosen is not None and getattr(chosen[0], "acts_on_the_whole_list", False)
        capped = issubclass(self.paginator, CappedPaginator)
        if across and capped and not whole_list and self.paginator.longer_than_cap(queryset):
            limit = self.paginator.CAP
            self.message_user(
                request,
                f"列表超过 {limit} 条，不能对全部一次执行操作：请先筛选或搜索，缩小到 {limit} 条以内，"
                "或只勾选本页的记录。",
                messages.ERROR,
            )
            return None
        return super().response_action(request, queryset)

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj: Model) -> SafeString:
        """The row's box for the actions, the same HTML as Django's (its CheckboxInput
        rendered through the form renderer's template cost a tenth of a page of 100 rows;
        Django's ``format_html`` through its lazy-string wrappers, 4 ms more: kit.html's here)."""
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            obj.pk,
            label,
        )

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        if self.scope_station_path is None:
            return qs
        stations = selectors.visible_station_ids(request.user)
        if stations is None:
            return qs
        if self.scope_station_path == "pk":
            return qs.filter(pk__anyof=stations)
        return qs.filter(**{f"{self.scope_station_path}__anyof": stations})

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scope_queryset(request, super().get_queryset(request))

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        # A filter picked by typing needs the admin's autocomplete scripts on the list.
        typed = [
            entry[0]
            for entry in self.get_list_filter(request)
            if isinstance(entry, tuple) and entry[1] is AutocompleteRelatedFieldListFilter
        ]
        if typed:
            field = self.model._meta.get_field(typed[0])
            media = self.media + AutocompleteSelect(field, self.admin_site).media
            extra_context = {"media": media, **(extra_context or {})}
        # The actions that may run on all of a list longer than the cap (templates/admin/actions.html).
        whole_list = [
            entry[2]
            for entry in self.get_actions(request).values()
            if entry is not None and getattr(entry[0], "acts_on_the_whole_list", False)
        ]
        extra_context = {"whole_list_actions": whole_list, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

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

    def get_list_display(self, request: HttpRequest) -> Any:
        # "pk" or "id" as a column is headed PK/ID by Django: shown as 编号 instead.
        return [NUMBER_COLUMN if c in ("pk", "id") else c for c in super().get_list_display(request)]

    def get_list_display_links(self, request: HttpRequest, list_display: Any) -> Any:
        links = super().get_list_display_links(request, list_display)
        return links if links is None else [NUMBER_COLUMN if c in ("pk", "id") else c for c in links]

    @admin.display(description="编号", ordering="pk")
    def row_number(self, obj: Model) -> Any:
        return obj.pk

    def has_module_permission(self, request: HttpRequest) -> bool:
        # The home and the side menu list only the models the user's role works with
        # (catalog.roles.ROLE_MENUS); the others stay reachable by their links.
        return super().has_module_permission(request) and in_menu(request, self.model)

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
                    chooser: type[admin.RelatedFieldListFilter] = (
                        ScopedRelatedFieldListFilter if scoped else admin.RelatedOnlyFieldListFilter
                    )
                    if field.related_model is Station:
                        stations = selectors.visible_station_ids(request.user)
                        if stations is not None and len(stations) == 1:
                            continue  # a clerk's own station: nothing to choose
                        if stations is None or len(stations) > STATION_CHOICES_UP_TO:
                            chooser = AutocompleteRelatedFieldListFilter
                    entry = (entry, chooser)
            filters.append(entry)
        if work_queues(self.model):
            filters.insert(0, WorkQueueFilter)
        return filters


# Up to this many stations the filter lists them; beyond, the officer types a code or a name.
STATION_CHOICES_UP_TO = 30


class FilterAutocompleteSelect(AutocompleteSelect):
    """The admin's autocomplete box, saying what to type (Django's leaves it blank)."""

    def build_attrs(self, base_attrs: Any, extra_attrs: Any = None) -> Any:
        return {**super().build_attrs(base_attrs, extra_attrs), "data-placeholder": "输入编号或名称查找"}


class AutocompleteRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related-field filter one picks by typing (the admin's own autocomplete, answered by
    the related admin's scoped search): a province's 741 stations are not a list to read,
    and listing them cost a query and hundreds of links on every page. Only the chosen
    one is read."""

    template = "admin/autocomplete_filter.html"

    def __init__(
        self, field: Any, request: HttpRequest, params: Any, model: Any, model_admin: Any, field_path: str
    ) -> None:
        super().__init__(field, request, params, model, model_admin, field_path)
        chosen = self.lookup_val[-1] if self.lookup_val else None
        related_admin = model_admin.admin_site._registry[field.related_model]
        chooser = forms.ModelChoiceField(
            queryset=related_admin.get_queryset(request),
            required=False,
            widget=FilterAutocompleteSelect(field, model_admin.admin_site, attrs={"style": "width: 100%"}),
        )
        self.widget_html = chooser.widget.render(self.lookup_kwarg, chosen, attrs={"id": f"filter-{field_path}"})
        self.media = chooser.widget.media

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        return []  # the widget reads the chosen one itself

    def has_output(self) -> bool:
        return True

    def choices(self, changelist: Any) -> Any:
        yield {
            "selected": not self.lookup_val and not self.lookup_val_isnull,
            "query_string": changelist.get_query_string(remove=[self.lookup_kwarg, self.lookup_kwarg_isnull]),
            "display": "全部",
            "widget": self.widget_html,
        }


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """Choices from the related model's scoped admin queryset (the stations a user may
    see), not, as ``RelatedOnlyFieldListFilter`` does, a DISTINCT over the listed table:
    at a million registrations that costs a scan on every page of the list."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        related_admin = model_admin.admin_site._registry[field.related_model]
        ordering = self.field_admin_ordering(field, request, model_admin)
        visible = related_admin.get_queryset(request).values("pk")
        return field.get_choices(include_blank=False, limit_choices_to={"pk__in": visible}, ordering=ordering)


HISTORY_ACTIONS = {"+": "新增", "~": "修改", "-": "删除"}


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


class ScopedAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """The base of every Jianding model admin: scoped, with the trace on each object.

    The history page (templates/simple_history/object_history_list.html) shows, per
    change, when, who, what kind, why and each field's old and new value as a person
    reads it, non-editable fields included (the state machine's status is one)."""

    history_list_display: list[str] = []

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        # A work list over a proxy model (待发证的合格考生, 待转介的学生和学徒) has no trace
        # of its own: the object's history is its concrete model's.
        opts = self.model._meta
        if opts.proxy:
            concrete = opts.concrete_model
            if concrete is None or concrete not in self.admin_site._registry:
                raise Http404
            label = concrete._meta
            return redirect(f"admin:{label.app_label}_{label.model_name}_history", object_id)
        # Outside a scoped user's scope (or gone): the same answer as the object's own page,
        # which neither shows the trace nor tells a deleted object from another station's.
        # The system administrator still reads a deleted object's trace.
        scoped = selectors.station_scope(request.user) is not None
        if scoped and self.get_object(request, object_id) is None:
            return self._get_obj_does_not_exist_redirect(request, opts, object_id)
        if not hasattr(opts, "simple_history_manager_attribute"):
            # An untraced log (考生告知短信): Django's own page, which says it has no changes.
            response = admin.ModelAdmin.history_view(self, request, object_id, extra_context)
            if isinstance(response, TemplateResponse):  # not yet rendered: its template can change
                response.template_name = ["admin/object_history.html"]
            return response
        return super().history_view(request, object_id, extra_context)

    def set_history_delta_changes(
        self, request: HttpRequest, historical_records: Any, foreign_keys_are_objs: bool = True
    ) -> None:
        """Every record of the page gets ``action`` (新增/修改/删除) and ``field_changes``
        against the record before it (the last one of a page against its predecessor)."""
        records = list(historical_records)
        if not records:
            return
        earlier = [*records[1:], records[-1].prev_record]
        fields = [f for f in records[0].tracked_fields if not f.primary_key]
        reveal = request.user.has_perm(FULL_ID_PERMISSION)
        if reveal and any(f.name in MASKED_PERSON_FIELDS for f in fields):
            audit.record(
                request,
                action=audit.UNMASK,
                subject=f"{records[0].instance._meta.verbose_name}的历史记录：{records[0].instance}",
                reason="查看历史记录",
            )
        related: dict[tuple[Any, Any], str] = {}

        def show(field: Any, value: Any) -> str:
            if value is None or value == "":
                return ""
            if field.is_relation:
                key = (field.related_model, value)
                if key not in related:
                    found = field.related_model._base_manager.filter(pk=value).first()
                    gone = f"已删除的{field.related_model._meta.verbose_name}"
                    related[key] = str(found) if found is not None else gone
                return related[key]
            if field.name in MASKED_PERSON_FIELDS and not reveal:
                return mask_middle(str(value), *MASKED_PERSON_FIELDS[field.name])
            if hasattr(field, "attr_class"):  # a file: the stored name
                return display_value(field, str(value).rsplit("/", 1)[-1])
            return display_value(field, value)

        for record, before in zip(records, earlier, strict=True):
            record.action = HISTORY_ACTIONS.get(record.history_type, "")
            record.field_changes = []
            if before is None or record.history_type != "~":
                continue
            for field in fields:
                old, new = getattr(before, field.attname), getattr(record, field.attname)
                if old != new:
                    label = str(field.verbose_name)
                    record.field_changes.append(FieldChange(label, show(field, old), show(field, new)))
