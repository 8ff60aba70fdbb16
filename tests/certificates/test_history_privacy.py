"""No full resident ID number in any history table (issue 14, PIPL minimum necessary): after
registering, importing, issuing (the archive record's contents), a data-audit upload and a
complaint quoting a number, every simple-history model is read generically and none of its
rows holds a candidate's full number. The full number still finds the person's history,
through the keyed hash; rows written before the change are rewritten by the migration."""

import datetime
import json

import pytest
from django.apps import apps
from simple_history.models import HistoricalChanges

from appraisals.importing import import_file
from candidates.models import Candidate
from candidates.validators import mask_id_number
from certificates import services
from certificates.models import ArchiveRecord, Certificate, UploadItem
from kit import privacy
from supervision.models import Complaint
from supervision.services import complaint_receive
from tests.appraisals.test_import_engine import csv_file, registration_rows

from .conftest import FIRST_ISSUE_DAY, at, issue

pytestmark = pytest.mark.django_db
D = datetime.date


def history_models() -> list:
    return [model for model in apps.get_models() if issubclass(model, HistoricalChanges)]


def rows_holding(numbers: set[str]) -> list[str]:
    """Every history row (as ``model pk: column``) whose text holds one of ``numbers``."""
    found = []
    for model in history_models():
        for row in model._base_manager.values():
            for column, value in row.items():
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
                if any(number in text for number in numbers):
                    found.append(f"{model.__name__} {row['history_id']}: {column}")
    return found


@pytest.fixture
def everything(officers, orgs, staff, passed):
    """A registered, imported, issued, archived, audited and complained-about world."""
    data = csv_file(registration_rows(3))
    report = import_file(data, station=orgs["xm1"], actor=staff["clerk"], file_name="报名.csv")
    assert report.registrations_created == 3
    [certificate] = issue(officers, orgs, [passed.refresh()])
    batch = services.upload_batch_create(
        actor=officers["a"], centre=orgs["xm"], certificates=[certificate], created_on=FIRST_ISSUE_DAY
    )
    services.upload_batch_confirm(actor=officers["b"], batch=batch, confirmed_on=FIRST_ISSUE_DAY)
    complaint_receive(
        actor=staff["clerk"],
        channel=Complaint.Channel.HOTLINE,
        received_at=at(D(2020, 12, 1)),
        content=f"考生（身份证号 {certificate.holder_id_number}）反映考场秩序混乱",
    )
    return certificate


def test_no_history_row_holds_a_full_id_number(everything):
    numbers = set(Candidate.objects.values_list("id_number", flat=True))
    assert len(numbers) == 4
    # The rows that need the number keep it: the candidate, the certificate, the archive.
    assert everything.holder_id_number in numbers
    assert everything.holder_id_number in json.dumps(ArchiveRecord.objects.get().contents)
    assert UploadItem.objects.get().snapshot  # the audit's snapshot exists (its history is masked)
    assert rows_holding(numbers) == []
    # ...and history says what it said, masked.
    masked = mask_id_number(everything.holder_id_number)
    assert Certificate.history.filter(holder_id_number=masked).exists()
    assert masked in json.dumps(ArchiveRecord.history.get().contents, ensure_ascii=False)


def test_the_full_number_finds_the_persons_history_by_its_keyed_hash(everything):
    digest = privacy.id_number_digest(everything.holder_id_number)
    assert len(digest) == 64 and everything.holder_id_number not in digest
    assert Candidate.history.filter(id_number_digest=digest).count() >= 1
    assert set(Candidate.history.filter(id_number_digest=digest).values_list("id", flat=True)) == {
        everything.candidate_id
    }
    assert Certificate.history.filter(id_number_digest=digest).exists()


def test_the_keyed_hash_depends_on_the_key(settings):
    number = "11010519491231002X"
    settings.JIANDING_ID_HASH_KEY = "one"
    first = privacy.id_number_digest(number)
    settings.JIANDING_ID_HASH_KEY = "two"
    assert privacy.id_number_digest(number) != first


def test_the_migration_rewrites_rows_written_before(everything):
    """Rows stored by the old code (full number, no digest), put back with a plain UPDATE
    (which writes what it is given), are masked and given their digest."""
    full = everything.holder_id_number
    Candidate.history.filter(id=everything.candidate_id).update(id_number=full, id_number_digest=None)
    Certificate.history.update(holder_id_number=full, id_number_digest=None)
    ArchiveRecord.history.update(contents={"certificate": {"holder_id_number": full}})
    assert rows_holding({full})

    for label, sources in [
        ("candidates", {"HistoricalCandidate": "id_number"}),
        ("certificates", {"HistoricalCertificate": "holder_id_number"}),
    ]:
        assert privacy.rewrite_history(apps, label, digest_sources=sources) > 0

    assert rows_holding({full}) == []
    digest = privacy.id_number_digest(full)
    assert not Candidate.history.filter(id=everything.candidate_id).exclude(id_number_digest=digest).exists()
    assert not Certificate.history.exclude(id_number_digest=digest).exists()
    # Running it again changes nothing.
    assert privacy.rewrite_history(apps, "candidates", digest_sources={"HistoricalCandidate": "id_number"}) == 0


def test_masking_leaves_other_long_numbers_alone():
    sha = "3a5f0000110105194912310021aa" + "0" * 36
    assert privacy.mask_id_numbers(sha) == sha
    assert privacy.mask_id_numbers("证书 1234567890123456789012") == "证书 1234567890123456789012"
    assert privacy.mask_id_numbers({"a": ["号码11010519491231002X。"]}) == {"a": ["号码110105********002X。"]}
