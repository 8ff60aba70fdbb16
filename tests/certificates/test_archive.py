"""The archive (档案): bound at issuance with the consent scan and its SHA-256; viewed and
exported; never changed, never deleted; a correction is a new record pointing to the old."""

import datetime
import hashlib
import io
import json
import zipfile

import pytest
from django.db import connection
from django.urls import reverse

from appraisals.models import EligibilityReview
from certificates import exports, services
from certificates.models import ArchiveRecord, ImmutableError
from kit.errors import RuleError

from .conftest import FIRST_ISSUE_DAY, SCAN, at

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def record(officers, orgs, passed):
    batch = services.batch_prepare(
        actor=officers["a"], centre=orgs["xm"], registrations=[passed.refresh()], prepared_on=FIRST_ISSUE_DAY
    )
    services.batch_approve(actor=officers["b"], batch=batch, issue_date=FIRST_ISSUE_DAY, now=at(FIRST_ISSUE_DAY))
    return ArchiveRecord.objects.get()


def test_issuance_binds_the_whole_case_into_one_record(record, passed, orgs):
    assert record.centre == orgs["xm"]
    assert record.registration == passed.registration
    contents = record.contents
    assert contents["certificate"]["number"] == record.certificate.number
    assert contents["certificate"]["holder_name"] == "陈美玲"
    assert contents["registration"]["registration_date"] == "2020-09-10"
    assert contents["eligibility_review"]["passed"] is True
    assert contents["consent"]["signed_date"] == "2020-09-12"
    assert contents["results"][0]["theory_score"] == "80.0"
    assert contents["results"][0]["publicity_last_day"] == "2020-11-27"
    assert contents["application"]["decided_date"] == "2020-10-25"


def test_the_consent_scan_is_copied_with_its_sha256(record):
    assert record.consent_sha256 == hashlib.sha256(SCAN).hexdigest()
    with record.consent_scan.open("rb") as scan:
        assert scan.read() == SCAN
    assert record.consent_scan.name.startswith(f"archive/FJ-XM/2020/{record.certificate.number}/")


def test_a_record_cannot_be_changed_or_deleted(record):
    record.correction_reason = "改一改"
    with pytest.raises(ImmutableError, match="档案只能新增"):
        record.save()
    with pytest.raises(ImmutableError):
        record.delete()
    with pytest.raises(ImmutableError):
        ArchiveRecord.objects.filter(pk=record.pk).update(consent_sha256="0" * 64)
    with pytest.raises(ImmutableError):
        ArchiveRecord.objects.filter(pk=record.pk).delete()
    with pytest.raises(ImmutableError):
        ArchiveRecord.objects.bulk_update([record], ["correction_reason"])
    fresh = ArchiveRecord.objects.get(pk=record.pk)
    assert fresh.correction_reason == "" and fresh.contents == record.contents


def test_a_correction_is_a_new_record_pointing_to_the_old(record, officers, passed):
    EligibilityReview.objects.filter(registration=passed.registration).update(findings="补充：学徒期满证明已核验")
    with pytest.raises(RuleError, match="更正原因"):
        services.archive_correct(actor=officers["a"], record=record, reason=" ", now=at(D(2020, 12, 1)))
    correction = services.archive_correct(
        actor=officers["a"], record=record, reason="补录资格审查意见", now=at(D(2020, 12, 1))
    )
    assert correction.pk != record.pk and correction.corrects == record
    assert correction.contents["eligibility_review"]["findings"] == "补充：学徒期满证明已核验"
    old = ArchiveRecord.objects.get(pk=record.pk)
    assert old.contents == record.contents  # the old record is as it was
    assert old.corrected_by == correction
    with pytest.raises(RuleError, match="已有更正档案"):
        services.archive_correct(actor=officers["a"], record=record, reason="再改", now=at(D(2020, 12, 2)))


def test_a_station_user_cannot_correct_the_archive(record, staff):
    with pytest.raises(RuleError, match="鉴定站人员"):
        services.archive_correct(actor=staff["clerk"], record=record, reason="改", now=at(D(2020, 12, 1)))


def test_export_holds_contents_scan_hash_and_certificate(record):
    with zipfile.ZipFile(io.BytesIO(exports.archive_zip([record]))) as archive:
        names = archive.namelist()
        folder = f"{record.certificate.number}/档案{record.pk}"
        assert f"{folder}/档案.json" in names and f"{folder}/证书.pdf" in names
        meta = json.loads(archive.read(f"{folder}/档案.json"))
        assert meta["consent_sha256"] == record.consent_sha256
        assert archive.read(f"{folder}/自愿书扫描件.pdf") == SCAN
        assert archive.read(f"{folder}/证书.pdf").startswith(b"%PDF")


def test_the_admin_shows_but_never_changes_or_deletes(client, record, officers):
    client.force_login(officers["a"])
    page = client.get(reverse("admin:certificates_archiverecord_change", args=[record.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert record.consent_sha256 in page.content.decode()
    assert client.get(reverse("admin:certificates_archiverecord_delete", args=[record.pk])).status_code == 403
    client.post(reverse("admin:certificates_archiverecord_change", args=[record.pk]), {"correction_reason": "改"})
    assert ArchiveRecord.objects.get(pk=record.pk).correction_reason == ""
    response = client.post(
        reverse("admin:certificates_archiverecord_changelist"),
        {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"},
    )
    assert ArchiveRecord.objects.filter(pk=record.pk).exists()
    assert response.status_code in (200, 302)


def test_the_admin_exports_a_zip(client, record, officers):
    client.force_login(officers["a"])
    response = client.post(
        reverse("admin:certificates_archiverecord_changelist"),
        {"action": "export_zip", "_selected_action": [record.pk]},
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(response.content)).testzip() is None


@pytest.mark.postgres
def test_on_postgresql_raw_sql_cannot_change_or_delete_a_record(record):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE certificates_archiverecord SET consent_sha256 = %s WHERE id = %s", ["0" * 64, record.pk])
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM certificates_archiverecord WHERE id = %s", [record.pk])
        assert cursor.rowcount == 0
    assert ArchiveRecord.objects.get(pk=record.pk).consent_sha256 == record.consent_sha256
