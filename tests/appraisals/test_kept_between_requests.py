"""An officer's or a supervisor's stations and the header's unread count are kept in the
cache between requests (issue 15: at most six queries a page), and a change shows on the
very next page: a station moved to another centre, a reminder sent, a notification read.
These tests commit, as a real request does; inside a transaction nothing is kept."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog import roles
from catalog.models import Notification
from catalog.services import Reminder, reminders_send
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
LIST = reverse("admin:appraisals_registration_changelist")


def page(client, url=LIST):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in queries.captured_queries]


def test_a_station_moved_to_another_centre_leaves_the_officer_list_at_once(committed_db, client, staff, orgs, case):
    name = case.register().registration.candidate.name
    client.force_login(staff["officer_xm"])
    first, _ = page(client)
    again, queries = page(client)
    assert name in first and name in again
    assert len(queries) <= 6
    assert not any("WITH RECURSIVE" in sql or '"catalog_station"."centre_id" IN' in sql for sql in queries)

    orgs["xm1"].centre = orgs["fz"]
    orgs["xm1"].save()
    moved, _ = page(client)
    assert name not in moved
    client.force_login(UserFactory(username="officer_fz", centre=orgs["fz"], role=roles.CENTRE_OFFICER))
    assert name in page(client)[0]


def test_a_supervisor_keeps_the_region_stations(committed_db, client, staff, case):
    name = case.register().registration.candidate.name
    client.force_login(staff["supervisor_fj"])
    page(client)
    shown, queries = page(client)
    assert name in shown and len(queries) <= 6
    assert not any("WITH RECURSIVE" in sql for sql in queries)


def badge(client):
    html, _ = page(client, reverse("admin:index"))
    start = html.find('class="unread-badge">')
    return None if start < 0 else int(html[start + len('class="unread-badge">') :].split("<", 1)[0])


def test_the_unread_count_follows_reminders_and_reading(committed_db, client, staff):
    clerk = staff["clerk"]
    client.force_login(clerk)
    assert badge(client) is None
    Notification.objects.create(recipient=clerk, title="请补交自愿书")
    assert badge(client) == 1
    sent = reminders_send(
        reminders=[
            Reminder(clerk.pk, "cutoff", "XM001", datetime.date(2020, 9, 30), days, f"报名截止还有 {days} 天")
            for days in (7, 3)
        ]
    )
    assert sent == 2 and badge(client) == 3
    opened = Notification.objects.filter(recipient=clerk).order_by("pk").first()
    client.get(reverse("admin:catalog_notification_change", args=[opened.pk]))
    assert badge(client) == 2
    client.post(
        reverse("admin:catalog_notification_changelist"),
        {"action": "mark_read", "_selected_action": list(Notification.objects.values_list("pk", flat=True))},
    )
    assert badge(client) is None


def occupation_filter(page_html: str) -> set[str]:
    """The choices under the list's 职业（工种） filter, as the clerk sees them (a filter of
    one choice is not shown)."""
    marker = 'data-filter-title="职业（工种）"'
    if marker not in page_html:
        return set()
    section = page_html.split(marker, 1)[1].split("</details>", 1)[0]
    return {choice.split(">", 1)[1].split("<", 1)[0].strip() for choice in section.split("<a href=")[2:]}


def test_the_occupation_filter_is_kept_and_shows_a_new_announcement_at_once(committed_db, client, staff, orgs, case):
    from appraisals import services
    from catalog.models import Occupation

    case.register()
    client.force_login(staff["clerk"])
    page(client)
    shown, queries = page(client)
    assert occupation_filter(shown) == set()  # the one occupation announced: nothing to pick
    assert not any('FROM "catalog_occupation" WHERE' in sql for sql in queries)  # kept

    services.announcement_publish(
        actor=staff["clerk"],
        station=orgs["xm1"],
        occupation=Occupation.objects.get(name="电工"),
        level="5",
        publish_date=datetime.date(2020, 9, 2),
    )
    assert occupation_filter(page(client)[0]) == {"美发师", "电工"}
