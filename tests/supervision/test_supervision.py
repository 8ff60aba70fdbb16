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
    [created] = item.history.all()  # its creation is in the trace (全程留痕), once
    assert (created.history_type, created.flagged_on) == ("+", D(2020, 9, 20))


def test_an_offsite_session_without_approval_is_queued(case, orgs):
    case.register().review().consent().apply().approve().schedule()
    ExamSession.objects.filter(pk=case.session.pk).update(region=orgs["fz1"].region)
    supervision.review_queue_refresh(actor=None, today=D(2020, 11, 21))
    assert ReviewItem.objects.get().kind == ReviewItem.Kind.OFFSITE_UNAPPROVED


def test_a_supervisor_opens_an_item_sees_the_evidence_and_closes_it_with_a_finding(
    client, two_station_candidate, staff, orgs
):
    supervision.review_queue_refresh(actor=None, today=D(2020, 9, 20))
    item = ReviewItem.objects.get()
    client.force_login(staff["supervisor_fj"])
    url = reverse("admin:supervision_reviewitem_change", args=[item.pk])
    page = client.get(url).content.decode()
    # The evidence read in Chinese: the stations as links, no raw keys.
    assert "证据" in page and "stations" not in page and "candidate_id" not in page
    assert "报名的鉴定站" in page and reverse("admin:catalog_station_change", args=[orgs["xm2"].pk]) in page
    close = reverse("admin:supervision_reviewitem_close", args=[item.pk])
    refused = client.post(close, {"decision": "close", "finding": "  "})
    assert refused.status_code == 200 and "办结复核事项必须写明督导结论。" in refused.content.decode()
    # First the confirmation page showing the finding; nothing closed yet.
    finding = "考生更换报名点，已退费一处，无违规。"
    confirm = client.post(close, {"decision": "close", "finding": finding})
    assert confirm.status_code == 200 and finding in confirm.content.decode() and "确认办结" in confirm.content.decode()
    item.refresh_from_db()
    assert item.status == ReviewItem.Status.OPEN
    assert client.post(close, {"decision": "close", "finding": finding, "confirm": "1"}).status_code == 302
    item.refresh_from_db()
    assert item.status == ReviewItem.Status.CLOSED and item.closed_by == staff["supervisor_fj"]
    assert item.history.first().history_user == staff["supervisor_fj"]
    # A crafted POST to the item's own page changes nothing.
    client.post(url, {"finding": "改掉"})
    item.refresh_from_db()
    assert item.finding == finding


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


def test_the_daily_sweep_is_one_service_call_at_the_business_date(settings, monkeypatch):
    from supervision import tasks

    called = []
    monkeypatch.setattr(tasks.services, "daily_sweep_run", lambda **kw: called.append(kw) or {"reminders": 0})
    settings.JIANDING_BUSINESS_DATE = D(2020, 9, 27)
    tasks.daily_sweep.delay().get()
    tasks.daily_sweep_under_its_old_name.delay().get()  # a message sent under the old name
    assert called == [{"today": D(2020, 9, 27)}] * 2
    assert tasks.daily_sweep_under_its_old_name.name == "certificates.tasks.daily_sweep"


def test_handling_a_complaint_assigns_then_closes_and_never_closes_without_a_finding(staff, orgs):
    complaint = supervision.complaint_receive(
        actor=staff["officer_fj"], channel=Complaint.Channel.LETTER, received_at=timezone.now(), content="代考"
    )
    with pytest.raises(services.RuleError, match="须先交承办人调查"):
        supervision.complaint_handle(actor=staff["officer_fj"], complaint=complaint)
    complaint = supervision.complaint_handle(
        actor=staff["officer_fj"], complaint=complaint, assignee=staff["supervisor_fj"]
    )
    assert (complaint.status, complaint.assigned_to) == (Complaint.Status.INVESTIGATING, staff["supervisor_fj"])
    with pytest.raises(services.RuleError, match="必须写明查处结论"):
        supervision.complaint_handle(actor=staff["supervisor_fj"], complaint=complaint)
    closed = supervision.complaint_handle(
        actor=staff["supervisor_fj"], complaint=complaint, conclusion="查无实据，已答复举报人。"
    )
    assert (closed.status, closed.closed_by) == (Complaint.Status.CLOSED, staff["supervisor_fj"])


def test_a_complaint_is_assigned_and_closed_from_its_admin_page(client, staff):
    complaint = supervision.complaint_receive(
        actor=None, channel="public_form", received_at=timezone.now(), content="考场有人代考"
    )
    client.force_login(staff["officer_fj"])
    url = reverse("admin:supervision_complaint_change", args=[complaint.pk])
    refused = client.post(url, {"assignee": "", "conclusion": ""})
    assert refused.status_code == 200 and "须先交承办人调查" in refused.content.decode()
    assert client.post(url, {"assignee": staff["supervisor_fj"].pk, "conclusion": ""}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.INVESTIGATING
    assert client.post(url, {"assignee": "", "conclusion": "属实，已责令整改。"}).status_code == 302
    complaint.refresh_from_db()
    assert (complaint.status, complaint.finding) == (Complaint.Status.CLOSED, "属实，已责令整改。")
    assert complaint.history.first().history_user == staff["officer_fj"]


def test_the_review_queue_screen_filters_the_users_items(client, two_station_candidate, staff, orgs):
    from tests.factories import UserFactory

    supervision.review_queue_refresh(actor=None, today=D(2020, 9, 20))
    ReviewItem.objects.create(
        kind=ReviewItem.Kind.BUNCHED_REGISTRATIONS,
        key="station:cs",
        station=orgs["cs1"],
        summary="长沙一站截止前集中报名",
        flagged_on=D(2020, 9, 21),
    )
    url = reverse("supervision_review_queue")
    client.force_login(staff["supervisor_fj"])
    page = client.get(url)
    assert [i.kind for i in page.context["page"]] == [ReviewItem.Kind.SEVERAL_STATIONS]  # not Hunan's
    assert client.get(url, {"status": "closed"}).context["page"].paginator.count == 0
    assert client.get(url, {"flagged_from": "2020-09-21"}).context["page"].paginator.count == 0
    html = client.get(url, {"flagged_from": "2020-09-20"}).content.decode()
    assert 'type="date" name="flagged_from" value="2020-09-20"' in html and "2 个鉴定站" in html
    assert orgs["cs1"] not in page.context["form"].fields["station"].queryset
    # Hunan's supervisor: Hunan's item, and the one tied to no station (a person, not a place).
    client.force_login(UserFactory(username="hunan_supervisor", centre=orgs["hn"], role="督导员"))
    assert {i.kind for i in client.get(url).context["page"]} == {
        ReviewItem.Kind.BUNCHED_REGISTRATIONS,
        ReviewItem.Kind.SEVERAL_STATIONS,
    }
    client.force_login(UserFactory(username="nobody", is_staff=True))
    assert client.get(url).status_code == 403


def test_the_review_queue_screen_costs_the_same_queries_for_many_items(
    client, staff, orgs, django_assert_max_num_queries
):
    ReviewItem.objects.bulk_create(
        ReviewItem(
            kind=ReviewItem.Kind.BUNCHED_REGISTRATIONS,
            key=f"station:{n}",
            station=orgs["xm1"],
            summary=f"集中报名 {n}",
            flagged_on=D(2020, 9, 20),
            assigned_to=staff["supervisor_fj"],
        )
        for n in range(60)
    )
    client.force_login(staff["supervisor_fj"])
    # The session, the user's scope (a few queries for the region tree), the count and one page.
    with django_assert_max_num_queries(16):
        page = client.get(reverse("supervision_review_queue"), {"page": "2"})
    assert len(page.context["page"]) == 10
