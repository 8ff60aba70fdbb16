"""Uploaded files are personal data: a consent scan, its archived copy and a supervision
record's attachment open only through views that check who asks (a 404 for anyone else),
and nothing under MEDIA_URL is served, not even in development."""

import datetime

import pytest
from django.urls import reverse

from appraisals.models import ConsentForm
from catalog import roles
from certificates.models import ArchiveRecord
from supervision import services as supervision_services
from supervision.models import PersonalDataAccess, SessionSupervisionRecord
from tests.factories import UserFactory

from .conftest import SCAN, issue, scan_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def consent(passed):
    return ConsentForm.objects.get(registration=passed.refresh())


def test_the_stations_clerk_opens_the_consent_scan_through_its_view(client, staff, consent):
    url = reverse("appraisals:consent_scan", args=[consent.pk])
    client.force_login(staff["clerk"])
    opened = client.get(url)
    assert opened.status_code == 200 and opened.content == SCAN
    assert opened["Content-Type"] == "application/pdf" and opened["X-Content-Type-Options"] == "nosniff"
    page = client.get(reverse("admin:appraisals_registration_change", args=[consent.registration_id])).content.decode()
    assert url in page and "/media/" not in page


def test_another_station_and_the_public_cannot_open_it(client, orgs, consent):
    url = reverse("appraisals:consent_scan", args=[consent.pk])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(UserFactory(username="clerk_fz", station=orgs["fz1"], role=roles.STATION_CLERK))
    assert client.get(url).status_code == 404
    assert client.get("/media/" + consent.scan.name).status_code == 404


def test_the_archived_scan_opens_for_the_centre_and_is_recorded(client, staff, officers, orgs, passed):
    issue(officers, orgs, [passed.refresh()])
    record = ArchiveRecord.objects.get()
    url = reverse("certificates:archive_scan", args=[record.pk])
    client.force_login(staff["officer_xm"])
    page = client.get(reverse("admin:certificates_archiverecord_change", args=[record.pk])).content.decode()
    assert url in page and "/media/" not in page
    assert client.get(url).status_code == 200
    assert PersonalDataAccess.objects.filter(action="archive", subject__contains="自愿书扫描件").exists()
    client.force_login(UserFactory(username="officer_hn", centre=orgs["hn"], role=roles.CENTRE_OFFICER))
    assert client.get(url).status_code in (403, 404)


def test_a_supervision_attachment_opens_for_the_supervisor(client, staff, case):
    case.register().review().consent().apply().approve().schedule()
    record = supervision_services.supervision_record_add(
        actor=staff["supervisor_fj"],
        session=case.session,
        kind=SessionSupervisionRecord.Kind.ON_SITE,
        observed_at=datetime.datetime(2020, 11, 20, 10, tzinfo=datetime.UTC),
        observations="考场秩序良好",
        attachment=scan_file("现场照片.pdf"),
    )
    client.force_login(staff["supervisor_fj"])
    page = client.get(reverse("admin:supervision_sessionsupervisionrecord_change", args=[record.pk])).content.decode()
    url = reverse("supervision_record_attachment", args=[record.pk])
    assert url in page and "/media/" not in page
    assert client.get(url).status_code == 200
