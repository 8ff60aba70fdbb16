"""Reminders about certificates (the daily sweep sends them with the deadline reminders)."""

import datetime

import pytest

from appraisals import services

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.mark.parametrize(("today", "reminded"), [(D(2020, 11, 27), False), (D(2020, 11, 28), True)])
def test_officers_are_reminded_of_passed_candidates_without_a_certificate_once(case, staff, today, reminded):
    from catalog.models import Notification
    from catalog.services import reminders_send
    from certificates.reminders import certificate_reminders

    case.to_examined()
    case.score("80", "80")
    services.results_publish(actor=staff["clerk"], session=case.session, published_on=D(2020, 11, 23))  # ends 11-27
    assert reminders_send(reminders=certificate_reminders(today)) == (1 if reminded else 0)
    assert reminders_send(reminders=certificate_reminders(today)) == 0
    titles = list(Notification.objects.filter(recipient=staff["officer_xm"]).values_list("title", flat=True))
    assert titles == (
        ["1 名考生成绩合格且公示期已满（最近一批 2020-11-27 期满），尚未核发证书，请及时核发"] if reminded else []
    )
