"""Candidates told their certificate is ready; the daily sweep of every candidate notice
tells each moment once; staff read what was told on the case page and in the notice list."""

import datetime

import pytest
from django.urls import reverse

from candidates.models import CandidateNotice
from certificates import notices, tasks
from kit import sms

from .conftest import FIRST_ISSUE_DAY, issue

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture(autouse=True)
def _empty_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def test_a_certificate_issued_is_told_with_its_number_and_the_lookup(passed, officers, orgs):
    [certificate] = issue(officers, orgs, [passed.registration])
    assert notices.certificates_ready(FIRST_ISSUE_DAY - datetime.timedelta(days=1)) == []
    [notice] = notices.certificates_ready(FIRST_ISSUE_DAY)
    assert notice.key == f"certificate:{certificate.pk}"
    assert certificate.number in notice.text and "/verify/" in notice.text
    assert certificate.holder_id_number not in notice.text
    assert len(notices.certificates_ready(FIRST_ISSUE_DAY + datetime.timedelta(days=14))) == 1
    assert notices.certificates_ready(FIRST_ISSUE_DAY + datetime.timedelta(days=15)) == []


def test_the_sweep_tells_each_moment_once(passed, officers, orgs, django_capture_on_commit_callbacks):
    issue(officers, orgs, [passed.registration])
    with django_capture_on_commit_callbacks(execute=True):
        first = notices.sweep(FIRST_ISSUE_DAY)
    # The result published on 11-23 and the certificate of 11-28 (the ticket's exam is past).
    assert first == 2
    events = sorted(CandidateNotice.objects.values_list("event", flat=True))
    assert events == ["certificate_ready", "results_published"]
    assert len(sms.outbox) == 2 and {m.to for m in sms.outbox} == {passed.candidate.phone}
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.sweep(FIRST_ISSUE_DAY) == 0
        assert notices.sweep(FIRST_ISSUE_DAY + datetime.timedelta(days=1)) == 0
    assert len(sms.outbox) == 2


def test_the_task_runs_the_sweep_on_the_business_date(passed, settings, django_capture_on_commit_callbacks):
    settings.JIANDING_BUSINESS_DATE = D(2020, 11, 24)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.candidate_notices.delay().get() == 1  # the published result
    assert len(sms.outbox) == 1


def test_the_beat_schedules_the_sweep():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="certificates.tasks.candidate_notices")
    assert task.enabled and task.crontab.hour == "9"


def test_staff_read_the_notices_on_the_case_page_and_the_number_stays_masked(client, staff, passed):
    notices.sweep(D(2020, 11, 24))
    client.force_login(staff["clerk"])
    page = client.get(reverse("admin:appraisals_registration_change", args=[passed.registration.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "告知考生的短信" in body and "成绩已公示：合格" in body
    listing = client.get(reverse("admin:candidates_candidatenotice_changelist")).content.decode()
    phone = passed.candidate.phone
    assert "成绩已公示" in listing and phone not in listing and f"{phone[:3]}****{phone[-4:]}" in listing
    notice = CandidateNotice.objects.get()
    detail = client.get(reverse("admin:candidates_candidatenotice_change", args=[notice.pk]))
    assert detail.status_code == 200 and phone not in detail.content.decode()
    assert b'name="_save"' not in detail.content  # read-only


def test_another_stations_clerk_sees_no_notices(client, orgs, passed):
    from catalog import roles
    from tests.factories import UserFactory

    notices.sweep(D(2020, 11, 24))
    other = UserFactory(username="clerk_fz", station=orgs["fz1"], role=roles.STATION_CLERK)
    client.force_login(other)
    listing = client.get(reverse("admin:candidates_candidatenotice_changelist"))
    assert listing.status_code == 200 and passed.candidate.name not in listing.content.decode()
