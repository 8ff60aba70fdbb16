"""What more than one certificate screen uses: links in list columns, the admin for rows
kept by a guidance centre, the batch lists' item count. Registers nothing."""

from __future__ import annotations

import datetime
from typing import TypedDict

from django.db.models import QuerySet
from django.http import HttpRequest

from catalog.admin_scope import ScopedAdmin, request_user
from catalog.selectors import station_scope, visible_centres
from kit.html import format_html


class ItemTotal(TypedDict):
    """A batch list's annotation: ``Count("items")`` as ``_items``."""

    _items: int


def link(url: str, text: str) -> str:
    return format_html('<a href="{}">{}</a>', url, text)


# A long name in a list cell: cut at seven characters with an ellipsis (put the whole
# name in the cell's title).
CUT = (
    "display:inline-block;max-width:7em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;vertical-align:bottom"
)


def short_level(label: str) -> str:
    """“五级/初级工” → “五级”: the national level, enough in a narrow column."""
    return label.split("/")[0]


CENTRE_SUFFIX = "职业技能鉴定指导中心"


def short_centre_name(name: str) -> str:
    """“厦门市职业技能鉴定指导中心” → “厦门市”: the place, enough in a narrow column."""
    return name.removesuffix(CENTRE_SUFFIX) or name


def iso(day: datetime.date | None) -> str:
    """A date in a narrow column: 2020-09-20 (blank: —)."""
    return f"{day:%Y-%m-%d}" if day else "—"


def nowrap(text: str, title: str = "") -> str:
    return format_html('<span style="white-space:nowrap" title="{}">{}</span>', title or text, text)


class CentreScopedAdmin(ScopedAdmin):
    """Rows kept by a guidance centre: centre users see their centres' rows, station users none."""

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        if station_scope(request.user) is None:
            return qs
        if request_user(request).station_id:
            return qs.none()
        return qs.filter(centre__in=visible_centres(request.user).values("pk"))
