import pytest
from django.urls import reverse

from catalog.models import Notification

pytestmark = pytest.mark.django_db


def test_the_header_counts_unread_notifications_and_opening_one_reads_it(client, people):
    clerk = people["clerk"]
    mine = Notification.objects.create(recipient=clerk, title="【提前7天】请提交鉴定申请")
    Notification.objects.create(recipient=people["officer_xm"], title="别人的通知")
    client.force_login(clerk)
    page = client.get(reverse("admin:index")).content.decode()
    assert '<span class="unread-badge">1</span>' in page
    assert "欢迎" in page and "注销" in page
    listing = client.get(reverse("admin:catalog_notification_changelist"))
    assert [n.title for n in listing.context["cl"].result_list] == ["【提前7天】请提交鉴定申请"]
    assert client.get(reverse("admin:catalog_notification_change", args=[mine.pk])).status_code == 200
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert 'class="unread-badge"' not in client.get(reverse("admin:index")).content.decode()


def test_nobody_opens_someone_elses_notification(client, people):
    theirs = Notification.objects.create(recipient=people["officer_xm"], title="别人的通知")
    client.force_login(people["clerk"])
    assert client.get(reverse("admin:catalog_notification_change", args=[theirs.pk])).status_code == 302
    theirs.refresh_from_db()
    assert theirs.read_at is None
