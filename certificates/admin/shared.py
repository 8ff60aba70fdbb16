"""What more than one certificate screen uses: links in list columns, the admin for rows
kept by a guidance centre. Registers nothing."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from catalog.admin_scope import ScopedAdmin
from catalog.selectors import station_scope, visible_centres


def link(url: str, text: str) -> str:
    return format_html('<a href="{}">{}</a>', url, text)


class CentreScopedAdmin(ScopedAdmin):
    """Rows kept by a guidance centre: centre users see their centres' rows, station users none."""

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        if station_scope(request.user) is None:
            return qs
        if request.user.station_id:
            return qs.none()
        return qs.filter(centre__in=visible_centres(request.user).values("pk"))
