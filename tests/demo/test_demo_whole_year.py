"""The demo without a business date: the clock is past 2020, so the whole year is told
(every act of the plan has happened, all in 2020)."""

import datetime
import io

import pytest
from django.core.management import call_command

from appraisals.models import ExamResult, ExamSession, Refund, Registration
from kit import clock

pytestmark = pytest.mark.django_db

S = Registration.Status


def test_the_whole_year_is_told_when_the_clock_is_past_2020(settings):
    settings.JIANDING_BUSINESS_DATE = None  # the clock (the test settings' default)
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "2020年全年" in out.getvalue()
    assert set(Registration.objects.values_list("status", flat=True)) == set(S.values)
    held = ExamSession.objects.filter(held=True)
    assert held.filter(date__month=11).exists() and held.filter(date__month=12).exists()
    assert held.filter(kind=ExamSession.Kind.RETAKE, date__month=10).exists()  # September's retakes
    assert not ExamSession.objects.filter(date__gt=datetime.date(2020, 12, 31)).exists()
    assert ExamResult.objects.filter(session__date__month=11, published_on__isnull=False).exists()
    assert Refund.objects.filter(refund_date__gt=datetime.date(2020, 9, 30)).count() >= 5
    # The results confirmed after 09-21 are published after their confirmation.
    for result in ExamResult.objects.exclude(published_on=None):
        assert result.published_on > clock.local_day(result.confirmed_at)
