"""The admin's result rows, rendered as Django's ``result_list`` renders them, for less.

Django's ``items_for_result`` works out every cell's column afresh: the model field looked
up (an exception for every admin method), the admin attribute found, its empty value and
boolean flag read, the link column decided, and ``format_html`` through its lazy wrappers.
That was about a third of a plain 100-row page's Python. Here each column is worked out
once per page and each cell computes only its value and its HTML: the same characters
(``tests/demo/test_demo_data.py`` compares every admin list with Django's own). A value
shown by its type (a score, a date, a 是/否 icon) or by its choice's label is formatted once
per page, text is shown as it is, each row goes to the template as one piece, and each
row's link is the page's one link with the row's id in it, not a ``reverse`` and a
``resolve`` per row. A list with ``list_editable`` (a formset) is left to Django.

Used by ``templates/admin/change_list.html`` as ``{% result_rows cl %}``."""

from __future__ import annotations

import datetime
import decimal
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
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

from kit.html import escaped, format_html

register = template.Library()

_DATE_OR_TIME = (datetime.date, datetime.time)
# Values whose display depends only on the value (and the request's language and time zone):
# formatted once per page. A Decimal is keyed by its text too (60.0 and 60.00 are equal).
_FORMATTED_ONCE = (bool, int, float, decimal.Decimal, datetime.date, datetime.time, type(None))
# Text that Django shows as it is (``str(value)``) unless it is empty: names, numbers, the
# admin methods' format_html() output.
_TEXT = (str, SafeString)
_PLAIN_TEXT_FIELDS = (models.CharField, models.TextField, models.SlugField, models.EmailField)
# An id no table reaches: the page's row link is reversed with it once, then filled per row.
_ID_MARKER = 918273645546372819


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
        self.formatted: dict[tuple[Any, ...], Any] = {}
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
        # A choice is shown by its label, looked up in a dict Django builds per cell: once per value here.
        self.choices = self.by_field and bool(getattr(self.field, "flatchoices", None))
        self.text_as_is = not self.by_field or (not self.choices and type(self.field) in _PLAIN_TEXT_FIELDS)
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
            return self.classes + nowrap, self._formatted(value, empty, boolean)
        if isinstance(self.field.remote_field, models.ManyToOneRel):
            return self.classes, empty if value is None else value
        return self.classes, self._formatted(value, empty, boolean)

    def _formatted(self, value: Any, empty: Any, boolean: bool) -> Any:
        if type(value) in _TEXT and value and self.text_as_is and not boolean:
            return value
        if not (isinstance(value, _FORMATTED_ONCE) or (self.choices and type(value) is str)):
            return self._format(value, empty, boolean)
        key = (type(value), str(value) if isinstance(value, decimal.Decimal) else value, empty, boolean)
        if key not in self.formatted:
            self.formatted[key] = self._format(value, empty, boolean)
        return self.formatted[key]

    def _format(self, value: Any, empty: Any, boolean: bool) -> Any:
        if self.by_field:
            return display_for_field(value, self.field, empty, avoid_link=self.link)
        return display_for_value(value, empty, boolean)


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


def _link_maker(cl: ChangeList) -> Any:
    """``_link`` for the whole page: the link reversed once, around a marker id, and each
    row's integer id put in its place (what ``reverse`` and the preserved filters make of
    it). None where that cannot be the same: a popup, a key that is not an integer."""
    if cl.is_popup or not isinstance(cl.lookup_opts.pk, models.IntegerField):
        return None
    marker = cl.lookup_opts.model(pk=_ID_MARKER)
    try:
        url = cl.url_for_result(marker)
    except NoReverseMatch:
        return None
    url = add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url)
    head, found, tail = conditional_escape(url).partition(str(_ID_MARKER))
    if not found or str(_ID_MARKER) in tail:
        return None
    attname = cl.pk_attname

    def link(result: models.Model, text: Any) -> SafeString:
        return SafeString(f'<a href="{head}{getattr(result, attname)}{tail}">{escaped(text)}</a>')

    return link


def results(cl: ChangeList) -> Iterator[admin_list.ResultList]:
    if cl.formset:
        yield from admin_list.results(cl)
        return
    columns = _columns(cl)
    links = [column.link for column in columns]
    first_link = links.index(True) if True in links else -1
    link = _link_maker(cl) if True in links else None
    for result in cl.result_list:
        cells = []
        for position, column in enumerate(columns):
            classes, text = column.cell(result)
            if column.link:
                tag = "th" if position == first_link else "td"
                text = link(result, text) if link is not None else _link(cl, result, text)
            else:
                tag = "td"
            cells.append(f'<{tag} class="{classes}">{escaped(text)}</{tag}>')
        # One item a row: the template's loop over a row's cells was a tenth of a page's time.
        yield admin_list.ResultList(None, [SafeString("".join(cells))])


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
