"""The admin's date filters count 今天, 过去7天, 本月, 今年 from the business date (kit.clock),
at the edges of a day, a month and a year."""

import datetime

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.utils import timezone

from appraisals.models import Registration
from kit.admin import BusinessDateFieldListFilter

D = datetime.date
pytestmark = pytest.mark.django_db


def links(field_name: str) -> dict[str, dict]:
    request = RequestFactory().get("/admin/appraisals/registration/")
    field = Registration._meta.get_field(field_name)
    model_admin = admin.site._registry[Registration]
    spec = admin.FieldListFilter.create(field, request, {}, Registration, model_admin, field_path=field_name)
    assert isinstance(spec, BusinessDateFieldListFilter), "the business date filter is every date field's default"
    return {str(title): params for title, params in spec.links}


@pytest.mark.parametrize(
    ("business", "today", "week", "month", "year"),
    [
        # The last day of a year: this month and this year end at midnight of 1 January.
        (D(2020, 12, 31), D(2020, 12, 31), D(2020, 12, 24), (D(2020, 12, 1), D(2021, 1, 1)), D(2021, 1, 1)),
        # The first day of a year: the week reaches back into the last one.
        (D(2021, 1, 1), D(2021, 1, 1), D(2020, 12, 25), (D(2021, 1, 1), D(2021, 2, 1)), D(2022, 1, 1)),
        # Fujian's registration cut-off and the day after it.
        (D(2020, 9, 30), D(2020, 9, 30), D(2020, 9, 23), (D(2020, 9, 1), D(2020, 10, 1)), D(2021, 1, 1)),
        (D(2020, 10, 1), D(2020, 10, 1), D(2020, 9, 24), (D(2020, 10, 1), D(2020, 11, 1)), D(2021, 1, 1)),
    ],
)
def test_date_links_follow_the_business_date(settings, business, today, week, month, year):
    settings.JIANDING_BUSINESS_DATE = business
    found = links("registration_date")
    since, until = "registration_date__gte", "registration_date__lt"
    tomorrow = today + datetime.timedelta(days=1)
    assert found["今天"] == {since: today, until: tomorrow}
    assert found["过去7天"] == {since: week, until: tomorrow}
    assert found["本月"] == {since: month[0], until: month[1]}
    assert found["今年"] == {since: D(today.year, 1, 1), until: year}


def test_a_date_time_field_counts_from_local_midnight_of_the_business_date(settings):
    settings.JIANDING_BUSINESS_DATE = D(2020, 9, 20)
    found = links("reported_at")
    midnight = timezone.make_aware(datetime.datetime(2020, 9, 20))
    assert found["今天"] == {"reported_at__gte": midnight, "reported_at__lt": midnight + datetime.timedelta(days=1)}
    assert "没有日期" in found and "具有日期" in found  # a nullable field keeps Django's two extra links
