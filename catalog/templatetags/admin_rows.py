"""The admin's result rows, rendered as Django's ``result_list`` renders them, for less.

Django's ``items_for_result`` works out every cell's column afresh: the model field looked
up (an exception for every admin method), the admin attribute found, its empty value and
boolean flag read, the link column decided, and ``format_html`` through its lazy wrappers.
That was about a third of a plain 100-row page's Python. Here each column is worked out
once per page and each cell computes only its value and its HTML: the same characters
(``tests/demo/test_demo_data.py`` compares every admin list with Django's own). A list
with ``list_editable`` (a formset) is left to Django.

Used by ``templates/admin/change_list.html`` as ``{% result_rows cl %}``."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django import template
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.utils import (  # type: ignore[attr-defined]
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    lookup_field,
)
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.template.base import Parser, Token
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

register = template.Library()

_DATE_OR_TIME = (datetime.date, datetime.time)


class _Column:
    """One column of ``list_display``: what all its cells share."""

    def __init__(self, cl: ChangeList, index: int, name: Any, link: bool) -> None:
        model_admin = cl.model_admin
        self.name = name
        self.link = link
        self.model_admin = model_admin
        # A cell whose related row is missing gets the plain class and the admin's empty value.
        self.plain_classes = self.classes = f"field-{admin_list._coerce_field_name(name, index)}"  # type: ignore[attr-defined]
        self.plain_empty = self.empty = model_admin.get_empty_value_display()
        self.field: Any = None
        self.method: Any = None  # a callable or an admin method, called with the row
        self.boolean = False
        try:
            self.field = _get_non_gfk_field(cl.lookup_opts, name)
        except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
            if callable(name):
                self.method = name
            elif hasattr(model_admin, name) and name != "__str__":
                self.method = getattr(model_admin, name)
            if self.method is not None:
                self.empty = getattr(self.method, "empty_value_display", self.empty)
                self.boolean = getattr(self.method, "boolean", False)
        # Django's two ways to show a value: by the model field's type, or by the value's.
        self.by_field = self.field is not None and not self.field.auto_created
        if self.by_field and isinstance(self.field, models.DateField | models.TimeField | models.ForeignKey):
            self.classes += " nowrap"
        if not self.by_field and name == "action_checkbox":
            self.classes = "action-checkbox"

    def cell(self, result: models.Model) -> tuple[str, Any]:
        """(the cell's classes, its representation not yet escaped)."""
        empty, boolean = self.empty, self.boolean
        try:
            if self.method is not None:
                value = self.method(result)
            elif self.field is not None:
                value = getattr(result, self.name)
            else:  # a model attribute, property or lookup: Django's own lookup per cell
                _field, attr, value = lookup_field(self.name, result, self.model_admin)
                empty = getattr(attr, "empty_value_display", empty)
                boolean = getattr(attr, "boolean", False)
                if isinstance(attr, property) and hasattr(attr, "fget"):
                    boolean = getattr(attr.fget, "boolean", False)
        except ObjectDoesNotExist:
            return self.plain_classes, self.plain_empty
        if isinstance(value, str) and value.strip() == "":
            value = ""
        if not self.by_field:
            nowrap = " nowrap" if isinstance(value, _DATE_OR_TIME) else ""
            return self.classes + nowrap, display_for_value(value, empty, boolean)
        if isinstance(self.field.remote_field, models.ManyToOneRel):
            return self.classes, empty if value is None else value
        return self.classes, display_for_field(value, self.field, empty, avoid_link=self.link)


def _columns(cl: ChangeList) -> list[_Column]:
    columns, first = [], True
    for index, name in enumerate(cl.list_display):
        if cl.list_display_links is None:
            link = False
        else:
            link = (first and not cl.list_display_links) or name in cl.list_display_links
        columns.append(_Column(cl, index, name, link))
        first = first and not link
    return columns


def _link(cl: ChangeList, result: models.Model, text: Any) -> Any:
    """The row's link to its change form, as Django writes it."""
    try:
        url = cl.url_for_result(result)
    except NoReverseMatch:
        return text
    url = add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url)
    value = result.serializable_value(str(cl.to_field) if cl.to_field else cl.lookup_opts.pk.attname)
    opener = format_html(' data-popup-opener="{}"', value) if cl.is_popup else ""
    return format_html('<a href="{}"{}>{}</a>', url, opener, text)


def results(cl: ChangeList) -> Iterator[admin_list.ResultList]:
    if cl.formset:
        yield from admin_list.results(cl)
        return
    columns = _columns(cl)
    links = [column.link for column in columns]
    first_link = links.index(True) if True in links else -1
    for result in cl.result_list:
        cells = []
        for position, column in enumerate(columns):
            classes, text = column.cell(result)
            if column.link:
                tag = "th" if position == first_link else "td"
                text = _link(cl, result, text)
            else:
                tag = "td"
            cells.append(SafeString(f'<{tag} class="{classes}">{conditional_escape(text)}</{tag}>'))
        yield admin_list.ResultList(None, cells)


def result_rows(cl: ChangeList) -> dict[str, Any]:
    """``admin_list.result_list``'s context, with the rows above."""
    headers = list(admin_list.result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(admin_list.result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": list(results(cl)),
    }


@register.tag(name="result_rows")
def result_rows_tag(parser: Parser, token: Token) -> InclusionAdminNode:
    return InclusionAdminNode(
        parser, token, func=result_rows, template_name="change_list_results.html", takes_context=False
    )
