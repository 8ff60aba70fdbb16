"""Stored copies of personal files that no row names (a rolled-back issuance's archive
copies, a scan whose upload failed) are deleted by the nightly sweep once a day old; the
files rows name stay."""

import datetime
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from appraisals.models import ConsentForm
from certificates import services, stray_files, tasks
from certificates.models import ArchiveRecord
from kit import clock

from .conftest import FIRST_ISSUE_DAY, SCAN, at

pytestmark = pytest.mark.django_db

TWO_DAYS_ON = datetime.timedelta(days=2)


@pytest.fixture
def media(settings, tmp_path):
    """This test's own media folder: the sweep lists every file of it."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


class Refused(Exception):
    pass


def files_under(root, folder):
    return sorted(
        os.path.relpath(os.path.join(path, name), root)
        for path, _dirs, names in os.walk(root / folder)
        for name in names
    )


def test_a_rolled_back_issuance_leaves_no_consent_copy_behind(media, officers, orgs, passed):
    batch = services.batch_prepare(
        actor=officers["a"], centre=orgs["xm"], registrations=[passed.refresh()], prepared_on=FIRST_ISSUE_DAY
    )
    with pytest.raises(Refused), transaction.atomic():
        services.batch_approve(actor=officers["b"], batch=batch, issue_date=FIRST_ISSUE_DAY, now=at(FIRST_ISSUE_DAY))
        raise Refused  # anything after the copies were written: the whole approval rolls back
    assert not ArchiveRecord.objects.exists()
    [stray] = files_under(media, "archive")  # written before the rollback, named by no record

    # The same night it may still belong to an issuance that is running: left alone.
    assert stray_files.sweep().deleted == []
    assert files_under(media, "archive") == [stray]

    # Issued for real, its copy is named by its record; the stray one goes the night after.
    batch.refresh_from_db()
    services.batch_approve(actor=officers["b"], batch=batch, issue_date=FIRST_ISSUE_DAY, now=at(FIRST_ISSUE_DAY))
    record = ArchiveRecord.objects.get()
    report = stray_files.sweep(now=clock.wall() + TWO_DAYS_ON)
    assert report.deleted == [stray]
    assert files_under(media, "archive") == [record.consent_scan.name]
    with record.consent_scan.open("rb") as copy:
        assert copy.read() == SCAN
    # The consent forms' own scans are all named by their forms: none is touched.
    assert files_under(media, "consent") == [ConsentForm.objects.get(registration=passed.registration).scan.name]


def test_a_scan_no_consent_form_names_is_swept_and_a_dry_run_only_lists_it(media, passed):
    stray = default_storage.save(f"consent/{passed.registration.station.code}/999999/scan.pdf", ContentFile(SCAN))
    named = ConsentForm.objects.get(registration=passed.registration).scan.name

    listed = stray_files.sweep(now=clock.wall() + TWO_DAYS_ON, dry_run=True)
    assert listed.deleted == [stray]
    assert default_storage.exists(stray)

    assert tasks.sweep_stray_files.delay().get() == 0  # tonight: a day has not passed
    assert stray_files.sweep(now=clock.wall() + TWO_DAYS_ON).deleted == [stray]
    assert not default_storage.exists(stray)
    assert default_storage.exists(named)


def test_the_sweep_is_on_the_beat_every_night():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="certificates.tasks.sweep_stray_files")
    assert task.enabled
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("3", "30", "Asia/Shanghai")
