"""The filters of the case's screens outside the admin (django-filter), on querysets already
scoped to the user's stations; their choices are scoped the same way."""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django import forms

from catalog.models import Station, User
from catalog.selectors import visible_stations
from kit.widgets import IsoDateInput

from .models import Registration


class MunicipalReportForm(forms.Form):
    """The filter's form: a period runs forwards."""

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("开始日期不能晚于结束日期。")
        return data


class MunicipalReportFilter(django_filters.FilterSet):
    """报市鉴定中心: the user's registrations dated in a period (both days included), of one
    station or all; the period starts as this month up to today (the business date)."""

    start = django_filters.DateFilter(
        label="报名日期自", field_name="registration_date", lookup_expr="gte", required=True, widget=IsoDateInput
    )
    end = django_filters.DateFilter(
        label="至", field_name="registration_date", lookup_expr="lte", required=True, widget=IsoDateInput
    )
    station = django_filters.ModelChoiceFilter(label="鉴定站", queryset=Station.objects.none(), empty_label="全部")

    class Meta:
        model = Registration
        fields: list[str] = []
        form = MunicipalReportForm

    def __init__(self, data: Any = None, *, user: User, today: datetime.date) -> None:
        stations = visible_stations(user)
        super().__init__(data, queryset=Registration.objects.filter(station__in=stations.values("pk")))
        self.filters["station"].queryset = stations
        self.filters["start"].extra["initial"] = today.replace(day=1)
        self.filters["end"].extra["initial"] = today
