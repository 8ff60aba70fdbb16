"""The filters of the supervision screens outside the admin (django-filter), each built on
a queryset already scoped to the user's stations; their choices are scoped the same way."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from appraisals.models import Registration
from catalog.models import Occupation, Region, Station
from kit.widgets import IsoDateInput

from .models import ReviewItem


def in_region(stations: QuerySet[Station], region: Region) -> QuerySet[Station]:
    """A province takes in its cities' stations."""
    return stations.filter(region__in=[region, *region.children.all()])


class DashboardFilter(django_filters.FilterSet):
    """督导看板: registrations of the user's stations by region, occupation and date."""

    region = django_filters.ModelChoiceFilter(
        label="地区", queryset=Region.objects.none(), empty_label="全部地区", method="filter_region"
    )
    occupation = django_filters.ModelChoiceFilter(
        label="职业（工种）",
        field_name="announcement__occupation",
        queryset=Occupation.objects.none(),
        empty_label="全部职业",
    )
    date_from = django_filters.DateFilter(
        label="报名日期自", field_name="registration_date", lookup_expr="gte", widget=IsoDateInput
    )
    date_to = django_filters.DateFilter(
        label="至", field_name="registration_date", lookup_expr="lte", widget=IsoDateInput
    )

    class Meta:
        model = Registration
        fields: list[str] = []

    def __init__(self, data: Any = None, *, stations: QuerySet[Station], **kwargs: Any) -> None:
        self.stations = stations
        super().__init__(data, queryset=Registration.objects.filter(station__in=stations), **kwargs)
        region_ids = set(stations.values_list("region_id", flat=True))
        region_ids |= {pk for pk in stations.values_list("region__parent_id", flat=True) if pk is not None}
        self.filters["region"].queryset = Region.objects.filter(pk__in=region_ids)
        self.filters["occupation"].queryset = Occupation.objects.filter(announcements__station__in=stations).distinct()

    def filter_region(self, queryset: QuerySet, name: str, region: Region) -> QuerySet:
        return queryset.filter(station__in=in_region(self.stations, region))

    def choice(self, name: str) -> Any:
        """The value chosen for ``name`` if it is valid, as the registrations were filtered by
        it: the charts beside them (cut-off markers, certificates) narrow the same way."""
        if not self.is_bound:
            return None
        self.form.is_valid()  # builds cleaned_data, with the valid fields only
        return self.form.cleaned_data.get(name)

    def shown_stations(self) -> QuerySet[Station]:
        region = self.choice("region")
        return self.stations if region is None else in_region(self.stations, region)


class ReviewItemFilter(django_filters.FilterSet):
    """督导复核事项: the queue by status, kind, station and the day an item was flagged."""

    status = django_filters.ChoiceFilter(label="状态", choices=ReviewItem.Status.choices, empty_label="全部")
    kind = django_filters.ChoiceFilter(label="类型", choices=ReviewItem.Kind.choices, empty_label="全部")
    station = django_filters.ModelChoiceFilter(label="鉴定站", queryset=Station.objects.none(), empty_label="全部")
    flagged_from = django_filters.DateFilter(
        label="发现日期自", field_name="flagged_on", lookup_expr="gte", widget=IsoDateInput
    )
    flagged_to = django_filters.DateFilter(label="至", field_name="flagged_on", lookup_expr="lte", widget=IsoDateInput)

    class Meta:
        model = ReviewItem
        fields: list[str] = []

    def __init__(self, data: Any = None, *, queryset: QuerySet[ReviewItem], stations: QuerySet[Station]) -> None:
        super().__init__(data, queryset=queryset)
        self.filters["station"].queryset = stations
