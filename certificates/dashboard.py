"""督导看板: per station registrations per day with the cut-off marked, pass rates, consent
coverage, pending applications and certificates issued per day, as charts. It reads through
the selectors, scoped to the user's stations."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from appraisals import selectors as appraisal_selectors
from catalog.models import Occupation, Region, Station
from catalog.selectors import RuleBook, visible_stations

from .charts import daily_bars, ratio_bar
from .models import Certificate


class DashboardFilter(forms.Form):
    region = forms.ModelChoiceField(
        label="地区", queryset=Region.objects.none(), required=False, empty_label="全部地区"
    )
    occupation = forms.ModelChoiceField(
        label="职业（工种）", queryset=Occupation.objects.none(), required=False, empty_label="全部职业"
    )
    date_from = forms.DateField(label="报名日期自", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="至", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: object, stations: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        region_ids = set(stations.values_list("region_id", flat=True))
        region_ids |= set(stations.values_list("region__parent_id", flat=True)) - {None}
        self.fields["region"].queryset = Region.objects.filter(pk__in=region_ids)
        self.fields["occupation"].queryset = Occupation.objects.filter(announcements__station__in=stations).distinct()


def cutoff_markers(stations, occupation: Occupation | None) -> list[tuple[datetime.date, str]]:
    """The last registration days that apply to the shown stations (and occupation)."""
    book = RuleBook()
    pairs = (
        stations.filter(announcements__isnull=False).values_list("region_id", "announcements__occupation_id").distinct()
    )
    if occupation is not None:
        pairs = pairs.filter(announcements__occupation=occupation)
    regions = {r.pk: r for r in Region.objects.select_related("parent")}
    days = {
        book.deadlines_for(occupation_id, regions[region_id]).last_registration_day
        for region_id, occupation_id in pairs
    }
    return [(day, f"报名截止 {day:%m-%d}") for day in sorted(d for d in days if d)]


@login_required(login_url="admin:login")
@permission_required("appraisals.view_registration", raise_exception=True)
def dashboard(request: HttpRequest) -> HttpResponse:
    stations = visible_stations(request.user)
    form = DashboardFilter(request.GET or None, stations=stations)
    filters = form.cleaned_data if form.is_valid() else {}
    region = filters.get("region")
    if region is not None:
        stations = stations.filter(region__in=[region, *region.children.all()])
    occupation = filters.get("occupation")
    registrations = appraisal_selectors.registration_filter(
        stations,
        occupation_id=occupation.pk if occupation else None,
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    per_day = appraisal_selectors.registrations_per_day(registrations)
    figures = appraisal_selectors.station_figures(registrations)
    certificates = Certificate.objects.filter(registration__station__in=stations)
    if occupation is not None:
        certificates = certificates.filter(registration__announcement__occupation=occupation)
    issued = [
        (row["issue_date"], row["n"])
        for row in certificates.values("issue_date").annotate(n=Count("*")).order_by("issue_date")
    ]
    station_names = dict(Station.objects.filter(pk__in=figures).values_list("pk", "name"))
    rows = [
        {
            "station": station_names[station_id],
            "figures": f,
            "pass_rate": ratio_bar(f.pass_rate),
            "consent": ratio_bar(f.consent_coverage, colour="#1565c0"),
        }
        for station_id, f in sorted(figures.items(), key=lambda item: -item[1].registrations)
    ]
    context = {
        **admin.site.each_context(request),
        "title": "督导看板",
        "form": form,
        "registrations_chart": daily_bars(per_day, markers=cutoff_markers(stations, occupation), label="每日报名人数"),
        "certificates_chart": daily_bars(issued, colour="#2e7d32", label="每日发证数"),
        "rows": rows,
        "total": sum(n for _, n in per_day),
    }
    return render(request, "supervision/dashboard.html", context)
