"""The access log (个人信息访问记录): each look at personal data — a candidate's page or list
with full numbers, an export with full numbers, an archive record, a public lookup that
finds a certificate — leaves one append-only record (who, when, what, why, from where)
that supervisors read; nobody else, and it never holds a full ID number."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from certificates.models import ArchiveRecord
from supervision.models import PersonalDataAccess

from .conftest import issue

pytestmark = pytest.mark.django_db
A = PersonalDataAccess.Action
FULL_ID = re.compile(r"\d{17}[\dXx]")


@pytest.fixture
def certificate(officers, orgs, passed):
    return issue(officers, orgs, [passed.refresh()])[0]


def only_record():
    record = PersonalDataAccess.objects.get()
    assert not FULL_ID.search(f"{record.subject} {record.reason}")
    return record


def test_an_officer_opening_a_candidate_is_recorded_a_clerk_is_not(client, staff, passed):
    candidate = passed.refresh().candidate
    page = reverse("admin:candidates_candidate_change", args=[candidate.pk])
    client.force_login(staff["clerk"])  # sees masked numbers: nothing to record
    assert client.get(page).status_code == 200
    assert not PersonalDataAccess.objects.exists()

    client.force_login(staff["officer_xm"])
    assert candidate.id_number in client.get(page, REMOTE_ADDR="10.1.2.3").content.decode()
    record = only_record()
    assert (record.actor, record.action, record.address) == (staff["officer_xm"], A.UNMASK, "10.1.2.3")
    assert candidate.name in record.subject and record.reason == "打开考生信息页"


def test_a_search_by_full_id_number_is_recorded_masked(client, staff, passed):
    candidate = passed.refresh().candidate
    client.force_login(staff["officer_xm"])
    listing = client.get(reverse("admin:candidates_candidate_changelist"), {"q": candidate.id_number})
    assert candidate.id_number in listing.content.decode()
    record = only_record()
    assert record.subject.startswith("考生列表 1 人") and candidate.name in record.subject
    assert record.reason.startswith("查找：") and candidate.id_number[:6] in record.reason


def test_an_export_with_full_numbers_is_recorded(client, staff, passed):
    client.force_login(staff["officer_xm"])
    exported = client.post(
        reverse("admin:appraisals_registration_export"), {"format": "0", "resource": "0", "export_items": []}
    )
    assert exported.status_code == 200
    record = only_record()
    assert record.action == A.EXPORT and "导出" in record.subject


def test_opening_an_archive_record_is_recorded(client, staff, certificate):
    archive = ArchiveRecord.objects.get()
    client.force_login(staff["officer_xm"])
    assert client.get(reverse("admin:certificates_archiverecord_change", args=[archive.pk])).status_code == 200
    record = only_record()
    assert record.action == A.ARCHIVE and certificate.number in record.subject


def test_a_public_lookup_that_finds_is_recorded_a_miss_is_not(client, certificate):
    verify = reverse("verify")
    client.post(verify, {"key": certificate.number, "name": "别人"}, REMOTE_ADDR="203.0.113.9")
    assert not PersonalDataAccess.objects.exists()
    client.post(
        verify, {"key": certificate.holder_id_number, "name": certificate.holder_name}, REMOTE_ADDR="203.0.113.9"
    )
    record = only_record()
    assert record.actor is None and record.action == A.LOOKUP and record.address == "203.0.113.9"
    assert certificate.number in record.subject and record.reason == "公众查询（公民身份号码和姓名）"


def test_a_record_is_never_changed_or_deleted(client, staff, passed):
    client.force_login(staff["officer_xm"])
    client.get(reverse("admin:candidates_candidate_change", args=[passed.refresh().candidate.pk]))
    record = only_record()
    record.reason = "改过"
    with pytest.raises(ValidationError):
        record.save()
    with pytest.raises(ValidationError):
        record.delete()
    with pytest.raises(ValidationError):
        PersonalDataAccess.objects.all().delete()
    with pytest.raises(ValidationError):
        PersonalDataAccess.objects.update(reason="改过")
    assert PersonalDataAccess.objects.get().reason == "打开考生信息页"


def test_supervisors_read_the_log_clerks_and_officers_do_not(client, staff, passed):
    client.force_login(staff["officer_xm"])
    client.get(reverse("admin:candidates_candidate_change", args=[passed.refresh().candidate.pk]))
    log = reverse("admin:supervision_personaldataaccess_changelist")
    for who in ("clerk", "officer_xm"):
        client.force_login(staff[who])
        assert client.get(log).status_code == 403
    client.force_login(staff["supervisor_fj"])
    page = client.get(log).content.decode()
    assert "个人信息访问记录" in page and "打开考生信息页" in page
    assert 'href="/admin/supervision/personaldataaccess/add/' not in page
