"""Reminders before each deadline, at each lead time, exactly once."""

import datetime

import pytest
from django.core import mail

from appraisals import reminders
from catalog.models import Notification, ReminderLog
from catalog.services import reminders_send

pytestmark = pytest.mark.django_db
D = datetime.date


def titles(user):
    return sorted(Notification.objects.filter(recipient=user).values_list("title", flat=True))


@pytest.mark.parametrize(
    ("today", "lead"),
    [
        (D(2020, 10, 16), None),
        (D(2020, 10, 17), 14),
        (D(2020, 10, 18), 14),
        (D(2020, 10, 23), 14),
        (D(2020, 10, 24), 7),
        (D(2020, 10, 28), 3),
        (D(2020, 10, 30), 1),
        (D(2020, 10, 31), 1),
        (D(2020, 11, 1), None),
    ],
)
def test_application_reminder_lead_times(case, today, lead):
    case.register().review().consent()
    due = [i for i in reminders.due_items(today) if i.kind == "application_pending"]
    if lead is None:
        assert due == []
    else:
        assert [(i.deadline, i.lead, i.count) for i in due] == [(D(2020, 10, 31), lead, 1)]


@pytest.mark.parametrize(
    ("kind", "steps", "deadline"),
    [
        ("consent_missing", "register", D(2020, 10, 31)),
        ("application_pending", "consent", D(2020, 10, 31)),
        ("exam_pending", "approve", D(2020, 12, 31)),
    ],
)
def test_each_pending_step_has_its_reminder(case, kind, steps, deadline):
    walk = {
        "register": lambda: case.register(),
        "consent": lambda: case.register().review().consent(),
        "approve": lambda: case.register().review().consent().apply().approve(),
    }
    walk[steps]()
    for lead in (14, 7, 3, 1):
        day = deadline - datetime.timedelta(days=lead)
        assert any(i.kind == kind and i.lead == lead and i.deadline == deadline for i in reminders.due_items(day))
    assert not any(i.kind == kind for i in reminders.due_items(deadline + datetime.timedelta(days=1)))


def test_registration_cutoff_reminds_xiamen_to_report_to_the_municipal_centre(case, staff):
    case.register()
    reminders.sweep(D(2020, 9, 27))
    [title] = [t for t in titles(staff["clerk"]) if "报名即将截止" in t]
    assert "提前3天" in title and "上报市职业技能鉴定中心" in title and "2020-09-30" in title


def test_trainee_routing_reminder(staff):
    from candidates.models import Candidate
    from catalog.models import Occupation
    from tests.candidates.factories import CandidateFactory

    CandidateFactory(
        trainee_kind=Candidate.TraineeKind.NEW_APPRENTICE,
        school_or_enterprise="厦门某汽修公司",
        expected_finish_date=D(2021, 3, 1),
        plan_occupation=Occupation.objects.get(name="汽车维修工"),
        created_by=staff["clerk"],
    )
    reminders.sweep(D(2020, 12, 17))
    assert any("1名学生或学徒需转介职业技能等级认定" in t and "提前14天" in t for t in titles(staff["clerk"]))


def test_clerks_and_their_centres_officers_are_reminded_by_app_and_email(
    case, staff, django_capture_on_commit_callbacks
):
    staff["clerk"].email = "clerk@example.com"
    staff["clerk"].save()
    case.register().review().consent()
    with django_capture_on_commit_callbacks(execute=True):
        sent = reminders.sweep(D(2020, 10, 24))
    assert sent >= 2
    assert any("1名考生尚未向指导中心提出鉴定申请" in t for t in titles(staff["clerk"]))
    assert any("所辖 1 个鉴定站共 1名考生尚未向指导中心提出鉴定申请" in t for t in titles(staff["officer_xm"]))
    assert titles(staff["supervisor_fj"]) == []
    assert any("提前7天" in m.subject for m in mail.outbox if m.to == ["clerk@example.com"])


def test_running_twice_sends_nothing_new(case, staff):
    case.register().review().consent()
    first = reminders.sweep(D(2020, 10, 24))
    notifications, logs, emails = Notification.objects.count(), ReminderLog.objects.count(), len(mail.outbox)
    assert reminders.sweep(D(2020, 10, 24)) == 0
    assert reminders.sweep(D(2020, 10, 25)) == 0  # ran late: still the 7-day reminder, already sent
    assert (Notification.objects.count(), ReminderLog.objects.count(), len(mail.outbox)) == (
        notifications,
        logs,
        emails,
    )
    assert first == notifications


def test_a_run_that_dies_mid_way_leaves_nothing_and_the_retry_sends_once(case, staff, monkeypatch):
    case.register().review().consent()
    original = Notification.objects.bulk_create
    calls = {"n": 0}

    def dies_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("worker lost")
        return original(*args, **kwargs)

    monkeypatch.setattr(Notification.objects, "bulk_create", dies_once)
    with pytest.raises(RuntimeError):
        reminders.sweep(D(2020, 10, 24))
    assert ReminderLog.objects.count() == 0 and Notification.objects.count() == 0
    retried = reminders.sweep(D(2020, 10, 24))
    assert retried == ReminderLog.objects.count() == Notification.objects.count() > 0
    assert reminders.sweep(D(2020, 10, 24)) == 0


def test_finding_what_is_due_takes_a_fixed_number_of_queries(case, staff, announcement, django_assert_max_num_queries):
    from appraisals import services
    from tests.candidates.factories import CandidateFactory

    case.register()
    with django_assert_max_num_queries(12) as few:
        reminders.due_items(D(2020, 10, 24))
    for _ in range(20):
        services.registration_accept(
            actor=staff["clerk"],
            candidate=CandidateFactory(),
            announcement=announcement,
            registration_date=D(2020, 9, 15),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        items = reminders.due_items(D(2020, 10, 24))
    assert sum(i.count for i in items if i.kind == "consent_missing") == 21


@pytest.mark.parametrize(
    ("steps", "kind", "day"),
    [
        ("register", "consent_missing", D(2020, 10, 30)),
        ("consent", "application_pending", D(2020, 10, 30)),
        ("approve", "exam_pending", D(2020, 12, 30)),
    ],
)
def test_a_reminder_opens_the_list_of_the_cases_it_is_about(client, case, staff, steps, kind, day):
    walk = {
        "register": lambda: case.register(),
        "consent": lambda: case.register().review().consent(),
        "approve": lambda: case.register().review().consent().apply().approve(),
    }
    walk[steps]()
    due = [i for i in reminders.due_items(day) if i.kind == kind]
    reminders_send(reminders=reminders.reminders_for(due))

    notification = Notification.objects.get(recipient=staff["clerk"])
    assert notification.link.startswith("/admin/appraisals/registration/?status__in=")
    client.force_login(staff["clerk"])
    listed = client.get(notification.link)
    assert listed.status_code == 200
    assert [r.pk for r in listed.context["cl"].result_list] == [case.registration.pk]
