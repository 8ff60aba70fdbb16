"""Supervision: the review queue, on-site records, complaints, the daily task and its schedule."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from appraisals import services
from appraisals.models import ExamSession
from supervision import services as supervision
from supervision.models import Complaint, ReviewItem
from supervision.tasks import daily_sweep

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def two_station_candidate(case, staff, orgs, hairdresser):
    case.register()
    other = services.announcement_publish(
        actor=staff["sysadmin"], station=orgs["xm2"], occupation=hairdresser, level="5", publish_date=D(2020, 9, 1)
    )
    services.registration_accept(
        actor=staff["sysadmin"], candidate=case.candidate, announcement=other, registration_date=D(2020, 9, 12)
    )
    return case


def test_the_queue_flags_each_problem_once(two_station_candidate, orgs):
    assert supervision.review_queue_refresh(actor=None, today=D(2020, 9, 20)) == 1
    item = ReviewItem.objects.get()
    assert item.kind == ReviewItem.Kind.SEVERAL_STATIONS and "2 个鉴定站" in item.summary
    assert supervision.review_queue_refresh(actor=None, today=D(2020, 9, 21)) == 0


def test_an_offsite_session_without_approval_is_queued(case, orgs):
    case.register().review().consent().apply().approve().schedule()
    ExamSession.objects.filter(pk=case.session.pk).update(region=orgs["fz1"].region)
    supervision.review_queue_refresh(actor=None, today=D(2020, 11, 21))
    assert ReviewItem.objects.get().kind == ReviewItem.Kind.OFFSITE_UNAPPROVED


def test_a_supervisor_opens_an_item_sees_the_evidence_and_closes_it_with_a_finding(
    client, two_station_candidate, staff
):
    supervision.review_queue_refresh(actor=None, today=D(2020, 9, 20))
    item = ReviewItem.objects.get()
    client.force_login(staff["supervisor_fj"])
    url = reverse("admin:supervision_reviewitem_change", args=[item.pk])
    page = client.get(url).content.decode()
    assert "证据" in page and "stations" in page
    refused = client.post(url, {"finding": ""})
    assert refused.status_code == 200 and "督导结论" in str(refused.context["adminform"].form.errors)
    item.refresh_from_db()
    assert item.status == ReviewItem.Status.OPEN
    assert client.post(url, {"finding": "考生更换报名点，已退费一处，无违规。"}).status_code == 302
    item.refresh_from_db()
    assert item.status == ReviewItem.Status.CLOSED and item.closed_by == staff["supervisor_fj"]
    assert item.history.first().history_user == staff["supervisor_fj"]


def test_no_item_or_complaint_is_closed_without_a_finding_even_in_the_database(two_station_candidate, staff):
    supervision.review_queue_refresh(actor=None, today=D(2020, 9, 20))
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewItem.objects.update(status="closed")
    complaint = supervision.complaint_receive(
        actor=staff["officer_fj"], channel="hotline", received_at=timezone.now(), content="考场有人代考"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(status="closed", assigned_to=staff["supervisor_fj"])


def test_a_complaint_is_assigned_investigated_and_closed_with_a_finding(staff, orgs):
    complaint = supervision.complaint_receive(
        actor=staff["officer_fj"],
        channel=Complaint.Channel.HOTLINE,
        received_at=timezone.now(),
        content="厦门一站考场纪律松散",
        station=orgs["xm1"],
    )
    with pytest.raises(services.RuleError, match="须先交承办人调查"):
        supervision.complaint_close(actor=staff["officer_fj"], complaint=complaint, finding="查无实据")
    complaint = supervision.complaint_assign(
        actor=staff["officer_fj"], complaint=complaint, assignee=staff["supervisor_fj"]
    )
    with pytest.raises(services.RuleError, match="必须写明查处结论"):
        supervision.complaint_close(actor=staff["supervisor_fj"], complaint=complaint, finding="  ")
    closed = supervision.complaint_close(
        actor=staff["supervisor_fj"], complaint=complaint, finding="现场核查属实，已责令整改。"
    )
    assert closed.status == Complaint.Status.CLOSED
    assert {h.history_user for h in closed.history.all()} >= {staff["officer_fj"], staff["supervisor_fj"]}


def test_the_public_form_records_a_complaint_shows_the_hotline_and_is_rate_limited(client, orgs):
    page = client.get(reverse("complaint_new")).content.decode()
    assert "010-84661234" in page
    for n in range(5):
        response = client.post(reverse("complaint_new"), {"content": f"举报内容{n}", "station": orgs["xm1"].pk})
        assert response.status_code == 200 and "举报已受理" in response.content.decode()
    assert client.post(reverse("complaint_new"), {"content": "第六次"}).status_code == 429
    assert Complaint.objects.filter(channel=Complaint.Channel.PUBLIC_FORM).count() == 5


def test_a_station_does_not_see_complaints_about_it(client, staff, orgs):
    supervision.complaint_receive(
        actor=None, channel="public_form", received_at=timezone.now(), content="举报", station=orgs["xm1"]
    )
    client.force_login(staff["clerk"])
    response = client.get(reverse("admin:supervision_complaint_changelist"))
    assert response.status_code == 403 or list(response.context["cl"].result_list) == []


def test_a_supervisor_records_what_was_seen_on_site(client, case, staff):
    case.register().review().consent().apply().approve().schedule()
    client.force_login(staff["supervisor_fj"])
    response = client.post(
        reverse("admin:supervision_sessionsupervisionrecord_add"),
        {
            "session": case.session.pk,
            "kind": "on_site",
            "observed_at_0": "2020-11-20",
            "observed_at_1": "09:30",
            "observations": "考场秩序良好，身份核验规范。",
        },
    )
    assert response.status_code == 302
    record = case.session.supervision_records.get()
    assert record.supervisor == staff["supervisor_fj"]


def test_the_daily_task_sends_reminders_and_fills_the_queue(two_station_candidate, staff, settings):
    settings.JIANDING_BUSINESS_DATE = D(2020, 9, 27)
    result = daily_sweep.delay().get()
    assert result["reminders"] >= 1 and result["review_items"] == 1


def test_the_daily_task_is_on_the_beat_schedule():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="supervision.tasks.daily_sweep")
    assert task.enabled and (task.crontab.hour, task.crontab.minute) == ("6", "30")


@pytest.mark.redis
@pytest.mark.postgres
def test_the_daily_sweep_on_a_real_worker_sends_each_reminder_once(real_worker, case, settings):
    from catalog.models import Notification

    case.register().review().consent()
    settings.JIANDING_BUSINESS_DATE = D(2020, 10, 24)
    first = daily_sweep.delay().get(timeout=60)
    again = daily_sweep.delay().get(timeout=60)
    assert first["reminders"] >= 2 and again["reminders"] == 0
    assert Notification.objects.count() == first["reminders"]
