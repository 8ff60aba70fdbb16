"""Public pages (no login): each station's open announcements, with their cut-off and exam
dates, and an index of the stations by region. Nothing about any person is shown."""

from __future__ import annotations

from itertools import groupby

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from catalog.models import Station
from kit import clock, conf

from .selectors import open_announcements


@require_GET
@cache_control(max_age=300, public=True)
def stations(request: HttpRequest) -> HttpResponse:
    """Every station in use, grouped by its region."""
    active = Station.objects.filter(is_active=True).select_related("region__parent").order_by("region__code", "code")
    regions = [(region, list(rows)) for region, rows in groupby(active, key=lambda s: s.region)]
    return render(
        request, "appraisals/public_stations.html", {"regions": regions, "hotline": conf.supervision_hotline()}
    )


@require_GET
@cache_control(max_age=300, public=True)
def station_announcements(request: HttpRequest, code: str) -> HttpResponse:
    """The station's open announcements (see ``selectors.open_announcements``)."""
    station = get_object_or_404(Station.objects.select_related("region"), code=code, is_active=True)
    today = clock.today()
    return render(
        request,
        "appraisals/public_announcements.html",
        {
            "station": station,
            "announcements": open_announcements(station, today),
            "today": today,
            "hotline": conf.supervision_hotline(),
        },
    )
