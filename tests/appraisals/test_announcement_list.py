"""The announcement list tells the clerk, beside each announcement, the last day it takes
registrations and when its exam is."""

import datetime

import pytest
from django.urls import reverse

from appraisals import services
from tests.factories import staffed

pytestmark = pytest.mark.django_db

D = datetime.date


def row_of(client, announcement) -> str:
    response = client.get(reverse("admin:appraisals_examannouncement_changelist"))
    [row] = [r for r in response.content.decode().split("<tr") if f"/{announcement.pk}/change/" in r]
    return row


def test_each_announcement_shows_its_registration_cutoff_and_exam_date(client, staff, orgs, announcement):
    client.force_login(staff["clerk"])
    row = row_of(client, announcement)
    assert "2020-09-30" in row  # Xiamen's last day for 美发师 (厦人社〔2020〕141号)
    assert "未安排" in row

    application = services.application_submit(
        actor=staff["clerk"],
        station=orgs["xm1"],
        registrations=[_consented(staff, announcement)],
        submitted_date=D(2020, 9, 20),
    )
    services.application_decide(
        actor=staff["officer_xm"], application=application, approve=True, decided_date=D(2020, 9, 25)
    )
    services.session_schedule(
        **staffed(
            actor=staff["clerk"],
            application=application,
            occupation=announcement.occupation,
            level=announcement.level,
            date=D(2020, 11, 6),
            start_time=datetime.time(9),
            end_time=datetime.time(11),
            place="厦门市思明区考点",
            region=orgs["xm1"].region,
            examiners=[staff["examiner"], staff["examiner2"], staff["examiner3"]],
        )
    )
    assert "2020-11-06" in row_of(client, announcement)


def _consented(staff, announcement):
    from tests.candidates.factories import CandidateFactory

    registration = services.registration_accept(
        actor=staff["clerk"],
        candidate=CandidateFactory(years_in_trade=2),
        announcement=announcement,
        registration_date=D(2020, 9, 10),
    )
    services.eligibility_review(actor=staff["clerk"], registration=registration, review_date=D(2020, 9, 11))
    services.consent_record(actor=staff["clerk"], registration=registration, signed_date=D(2020, 9, 12))
    return registration
