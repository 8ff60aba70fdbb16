"""Retention (manage.py deidentify_ended_cases): a person whose cases all ended more than
JIANDING_RETENTION_DAYS ago is de-identified, the day after the period's last day and not
before; a certificate or archive holder keeps what the certificate needs; open cases are
untouched; a dry run changes nothing; a second run changes nothing more."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from PIL import Image

from appraisals import services as appraisal_services
from appraisals.models import ConsentForm, Registration
from candidates.models import Candidate, CandidateNotice
from candidates.notices import notify
from candidates.services import candidate_photo_set
from candidates.validators import mask_id_number
from certificates.retention import DEIDENTIFIED_NAME, deidentify_ended_cases, placeholder_id_number
from tests.candidates.factories import CandidateFactory

from .conftest import FIRST_ISSUE_DAY, CertCase, issue

pytestmark = pytest.mark.django_db
D = datetime.date

WITHDRAWN_ON = D(2020, 9, 15)
DAYS = 30


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 40), "white").save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def world(settings, staff, orgs, announcement, officers, passed):
    """A withdrawn case (with a photo and a consent scan), a certificate holder and an open case."""
    settings.JIANDING_BUSINESS_DATE = D(2020, 9, 10)
    withdrawn = CertCase(staff, orgs, announcement, CandidateFactory(name="赵小青", phone="13900001111"))
    withdrawn.register().review().consent()
    candidate_photo_set(actor=staff["clerk"], candidate=withdrawn.candidate, content=jpeg(), name="照片.jpg")
    settings.JIANDING_BUSINESS_DATE = WITHDRAWN_ON
    appraisal_services.registration_withdraw(
        actor=staff["clerk"],
        registration=withdrawn.registration,
        refund=appraisal_services.RefundTerms(
            amount=Decimal("0"), refund_date=WITHDRAWN_ON, method="cash", reason_kind="personal"
        ),
    )
    settings.JIANDING_BUSINESS_DATE = FIRST_ISSUE_DAY
    [certificate] = issue(officers, orgs, [passed.refresh()])
    open_case = CertCase(staff, orgs, announcement, CandidateFactory(name="钱多多")).register(day=D(2020, 9, 11))
    settings.JIANDING_BUSINESS_DATE = None
    return {
        "withdrawn": Candidate.objects.get(pk=withdrawn.candidate.pk),
        "holder": Candidate.objects.get(pk=certificate.candidate_id),
        "open": open_case.candidate,
        "certificate": certificate,
    }


def snapshot() -> list:
    return [
        list(Candidate.objects.order_by("pk").values()),
        Candidate.history.count(),
        list(ConsentForm.objects.values_list("scan", flat=True)),
    ]


@pytest.mark.parametrize(("offset", "done"), [(DAYS - 1, False), (DAYS, False), (DAYS + 1, True)])
def test_a_withdrawn_case_is_deidentified_the_day_after_the_period(world, offset, done):
    today = WITHDRAWN_ON + datetime.timedelta(days=offset)
    report = deidentify_ended_cases(actor=None, today=today, days=DAYS)
    assert (world["withdrawn"].pk in report.deidentified) is done
    person = Candidate.objects.get(pk=world["withdrawn"].pk)
    assert (person.name == DEIDENTIFIED_NAME) is done
    assert (person.deidentified_on == today) is done if done else person.deidentified_on is None


def test_what_goes_and_what_stays(world, django_capture_on_commit_callbacks):
    before = world["withdrawn"]
    photo = before.photo.name
    storage = before.photo.storage
    scan = ConsentForm.objects.get(registration__candidate=before)
    assert storage.exists(photo) and scan.scan
    with django_capture_on_commit_callbacks(execute=True):  # files go once the change is committed
        report = deidentify_ended_cases(actor=None, today=D(2020, 12, 1), days=DAYS)
    assert report.deidentified == [before.pk] and report.photos == 1 and report.consent_scans == 1

    person = Candidate.objects.get(pk=before.pk)
    assert person.name == DEIDENTIFIED_NAME and person.id_number == placeholder_id_number(before.pk)
    assert person.phone == "" and not person.photo and not storage.exists(photo)
    assert person.birth_date == D(before.birth_date.year, 1, 1) and person.sex == before.sex
    assert person.education == before.education and person.years_in_trade == before.years_in_trade
    # The case records stay; the consent's scan goes, the fact and date of consent stay.
    registration = Registration.objects.get(candidate=person)
    assert registration.status == Registration.Status.WITHDRAWN and registration.refund.amount == 0
    form = ConsentForm.objects.get(pk=scan.pk)
    assert not form.scan and form.signed_date == scan.signed_date
    # The trace: the change with its reason, and no earlier row keeping the person.
    latest = person.history.first()
    assert latest.history_change_reason == f"保存期限届满去标识化（结案后{DAYS}天）"
    for row in person.history.all():
        assert row.name == DEIDENTIFIED_NAME and row.phone == "" and row.id_number_digest is None
        assert row.id_number in (placeholder_id_number(before.pk),)
    assert not any(mask_id_number(before.id_number) == row.id_number for row in person.history.all())


def test_the_texts_told_to_a_deidentified_person_lose_name_and_number(world):
    person = world["withdrawn"]
    assert notify(
        person,
        CandidateNotice.Event.LATE_ENTRY_REFUSED,
        "registration:1",
        station="XM001",
        act="报名",
        day="2020-09-20",
        deadline="2020-09-19",
        reason="",
    )
    deidentify_ended_cases(actor=None, today=D(2020, 12, 1), days=DAYS)
    [notice] = CandidateNotice.objects.filter(candidate=person)
    assert notice.phone == "" and person.name not in notice.text and DEIDENTIFIED_NAME in notice.text


def test_a_certificate_holder_keeps_what_the_certificate_needs(world):
    holder = world["holder"]
    report = deidentify_ended_cases(actor=None, today=FIRST_ISSUE_DAY + datetime.timedelta(days=DAYS + 1), days=DAYS)
    assert report.contact_removed == [holder.pk]
    person = Candidate.objects.get(pk=holder.pk)
    assert (person.name, person.id_number, person.birth_date) == (holder.name, holder.id_number, holder.birth_date)
    assert person.phone == "" and person.deidentified_on is not None
    assert world["certificate"].holder_id_number == holder.id_number  # the lookup still finds it
    # The day before the holder's period ends, only the withdrawn case was due.
    Candidate.objects.filter(pk=holder.pk).update(deidentified_on=None, phone="13800000000")
    again = deidentify_ended_cases(actor=None, today=FIRST_ISSUE_DAY + datetime.timedelta(days=DAYS), days=DAYS)
    assert again.contact_removed == []


def test_an_open_case_is_never_touched(world):
    open_person = world["open"]
    deidentify_ended_cases(actor=None, today=D(2030, 1, 1), days=DAYS)
    assert Candidate.objects.get(pk=open_person.pk).name == "钱多多"
    assert Candidate.objects.get(pk=open_person.pk).deidentified_on is None


def test_the_dry_run_counts_per_kind_and_changes_nothing(world):
    before = snapshot()
    out = io.StringIO()
    call_command("deidentify_ended_cases", "--dry-run", "--days", str(DAYS), stdout=out)
    text = out.getvalue()
    assert "将去标识化考生（无证书、无档案）：1 人" in text
    assert "将清除手机号（持有证书或档案，保留证书所需信息）：1 人" in text
    assert "将删除考生照片：1 张" in text and "将删除自愿书扫描件：1 份" in text
    assert "未做任何修改" in text
    assert snapshot() == before


def test_running_twice_changes_nothing_the_second_time(world):
    out = io.StringIO()
    call_command("deidentify_ended_cases", "--days", str(DAYS), stdout=out)
    assert "已去标识化考生（无证书、无档案）：1 人" in out.getvalue()
    after = snapshot()
    second = deidentify_ended_cases(actor=None, today=D(2030, 1, 1), days=DAYS)
    assert second.deidentified == [] and second.contact_removed == []
    assert snapshot() == after


def test_the_period_comes_from_the_setting(world, settings):
    settings.JIANDING_RETENTION_DAYS = 10_000
    assert deidentify_ended_cases(actor=None, today=D(2021, 1, 1), dry_run=True).deidentified == []
    settings.JIANDING_RETENTION_DAYS = 10
    assert deidentify_ended_cases(actor=None, today=D(2021, 1, 1), dry_run=True).deidentified == [world["withdrawn"].pk]
