"""Login throttling (django-axes): five failed logins lock one user out from one address,
with a Chinese page; the same user elsewhere, and the other clerks of the office, still log
in; the lock lifts after the cool-off or when the system administrator deletes it."""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.urls import reverse

from catalog import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
PASSWORD = "Jianding-2020-login"
OFFICE = "10.0.0.8"
HOME = "172.16.5.20"


@pytest.fixture
def clerk(orgs):
    user = UserFactory(username="clerk_throttle", station=orgs["xm1"], role=roles.STATION_CLERK)
    user.set_password(PASSWORD)
    user.save()
    return user


def log_in(client, username, password, address=OFFICE):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address)


def fail(client, username, times, address=OFFICE):
    """Wrong passwords; the form comes back with its error until the limit, reached by the fifth."""
    for attempt in range(1, times + 1):
        expected = 429 if attempt >= 5 else 200
        assert log_in(client, username, "wrong-password", address).status_code == expected


def test_four_failures_still_let_the_right_password_in(client, clerk):
    fail(client, clerk.username, 4)
    assert log_in(client, clerk.username, PASSWORD).status_code == 302


def test_the_fifth_failure_locks_that_user_at_that_address_with_a_chinese_page(client, clerk, orgs):
    fail(client, clerk.username, 5)
    locked = log_in(client, clerk.username, PASSWORD)
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "登录已暂时锁定" in page and "连续 5 次" in page and "约 30 分钟" in page
    assert "too many" not in page.lower()
    # The same clerk from home, and a colleague at the office, are not locked out.
    assert log_in(client, clerk.username, PASSWORD, HOME).status_code == 302
    colleague = UserFactory(username="clerk_colleague", station=orgs["xm1"], role=roles.STATION_CLERK)
    colleague.set_password(PASSWORD)
    colleague.save()
    assert log_in(client, colleague.username, PASSWORD).status_code == 302


def test_the_lock_lifts_after_the_cool_off(client, clerk):
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        fail(client, clerk.username, 5)
    with time_machine.travel(start + datetime.timedelta(minutes=29), tick=False):
        assert log_in(client, clerk.username, PASSWORD).status_code == 429
    with time_machine.travel(start + datetime.timedelta(minutes=31), tick=False):
        assert log_in(client, clerk.username, PASSWORD).status_code == 302


def test_the_system_administrator_unlocks_from_the_admin(client, clerk, people):
    fail(client, clerk.username, 5)
    attempt = AccessAttempt.objects.get(username=clerk.username)
    admin_client = type(client)()
    admin_client.force_login(people["sysadmin"])
    listing = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200 and "登录尝试" in listing.content.decode()
    admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert not AccessAttempt.objects.exists()
    assert log_in(client, clerk.username, PASSWORD).status_code == 302


def test_a_clerk_cannot_see_or_lift_locks(client, clerk, people):
    client.force_login(people["clerk"])
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403
