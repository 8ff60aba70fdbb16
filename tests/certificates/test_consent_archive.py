"""Every signed consent form is archived by the guidance centre when its case ends
(闽人社办〔2020〕143号): with a certificate, after a failed retake, when the retake is given
up, when the candidate withdraws after consenting; with the scan's SHA-256; never without
the scan (the station is reminded, once); listed in a register by centre, exportable."""

import datetime
import hashlib
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from appraisals import services as appraisal_services
from appraisals.models import ConsentForm, ExamSession, Registration
from catalog.models import Notification
from catalog.services import reminders_send
from certificates import selectors, services
from certificates.models import ConsentArchive
from certificates.reminders import consent_scan_reminders
from kit.errors import RuleError
from tests.factories import issued_paper, staffed

from .conftest import FIRST_ISSUE_DAY, SCAN, at

pytestmark = pytest.mark.django_db

D = datetime.date
S = Registration.Status
SHA = hashlib.sha256(SCAN).hexdigest()


def archive(officers, case, who="a", day=D(2020, 12, 30)):
    consent = ConsentForm.objects.get(registration=case.registration)
    return services.consent_archive(actor=officers[who], consent=consent, now=at(day))


def failed_retake(case):
    case.to_examined()
    case.score("40", "40")
    retake = appraisal_services.retake_request(
        actor=case.staff["clerk"], registration=case.registration, requested_date=D(2020, 12, 1)
    )
    session = appraisal_services.session_schedule(
        **staffed(
            actor=case.staff["clerk"],
            application=case.application,
            occupation=case.announcement.occupation,
            level="5",
            date=D(2020, 12, 28),
            start_time=datetime.time(9),
            end_time=datetime.time(11),
            place="考点",
            region=case.orgs["xm1"].region,
            examiners=[case.staff["examiner"], case.staff["examiner2"], case.staff["examiner3"]],
            kind=ExamSession.Kind.RETAKE,
        )
    )
    appraisal_services.retake_assign_session(actor=case.staff["clerk"], retake=retake, session=session)
    appraisal_services.seats_assign(actor=case.staff["clerk"], session=session)
    issued_paper(session)
    appraisal_services.session_hold(actor=case.staff["clerk"], session=session)
    case.score("50", "50")


def gave_up_retake(case):
    case.to_examined()
    case.score("40", "40")
    appraisal_services.registration_close(actor=case.staff["clerk"], registration=case.registration)


def withdrew_after_consent(case):
    case.register().review().consent()
    appraisal_services.registration_withdraw(
        actor=case.staff["clerk"],
        registration=case.registration,
        refund=appraisal_services.RefundTerms(
            amount=Decimal("200"), refund_date=D(2020, 10, 2), method="cash", reason_kind="after_cutoff"
        ),
    )


@pytest.mark.parametrize(
    ("ending", "status"), [(failed_retake, S.CLOSED), (gave_up_retake, S.CLOSED), (withdrew_after_consent, S.WITHDRAWN)]
)
def test_a_case_ended_without_a_certificate_is_archived_with_the_scans_hash(officers, case, ending, status):
    ending(case)
    assert case.refresh().status == status
    assert list(selectors.consents_to_archive()) == [case.registration.consent_form]
    consent = archive(officers, case)
    assert (consent.archived_by, consent.archived_at, consent.scan_sha256) == (officers["a"], at(D(2020, 12, 30)), SHA)
    assert consent.history.first().history_user == officers["a"]
    assert not selectors.consents_to_archive().exists()
    with pytest.raises(RuleError, match="已于 2020-12-30 归档"):
        archive(officers, case, who="b")


def test_issuing_the_certificate_archives_the_consent_form(officers, orgs, passed):
    batch = services.batch_prepare(
        actor=officers["a"], centre=orgs["xm"], registrations=[passed.registration], prepared_on=FIRST_ISSUE_DAY
    )
    services.batch_approve(actor=officers["b"], batch=batch, issue_date=FIRST_ISSUE_DAY, now=at(FIRST_ISSUE_DAY))
    consent = ConsentForm.objects.get(registration=passed.registration)
    assert (consent.archived_by, consent.scan_sha256) == (officers["b"], SHA)
    assert consent.archived_at == at(FIRST_ISSUE_DAY)
    assert batch.certificates.get().archive_records.get().consent_sha256 == SHA
    assert selectors.cases_ended().get() == passed.registration


def test_a_case_still_going_is_not_archived(officers, passed):
    with pytest.raises(RuleError, match="案件尚未办结（当前状态“合格”）"):
        archive(officers, passed)
    assert ConsentForm.objects.get(registration=passed.registration).archived_at is None


def test_only_the_centre_archives(officers, staff, case):
    gave_up_retake(case)
    officers["clerk"] = staff["clerk"]
    with pytest.raises(RuleError, match="鉴定站人员"):
        archive(officers, case, who="clerk")


def test_a_form_without_its_scan_is_refused_and_its_station_reminded_once(officers, staff, case):
    case.register().review().consent(scan=False)
    appraisal_services.registration_withdraw(
        actor=staff["clerk"],
        registration=case.registration,
        refund=appraisal_services.RefundTerms(
            amount=Decimal("0"), refund_date=D(2020, 10, 2), method="cash", reason_kind="personal"
        ),
    )
    with pytest.raises(RuleError, match="没有扫描件，无法归档"):
        archive(officers, case)
    assert list(selectors.consents_blocked_without_scan()) == [case.registration.consent_form]

    today = D(2020, 10, 3)
    clerks = {staff["clerk"].pk, staff["clerk2"].pk}
    first = reminders_send(reminders=consent_scan_reminders(today))
    again = reminders_send(reminders=consent_scan_reminders(today + datetime.timedelta(days=1)))
    assert (first, again) == (2, 0)
    sent = Notification.objects.filter(title__contains="没有扫描件")
    assert set(sent.values_list("recipient_id", flat=True)) == clerks
    assert "指导中心无法归档" in sent.first().title

    consent = ConsentForm.objects.get(registration=case.registration)
    from tests.certificates.conftest import scan_file

    appraisal_services.consent_attach_scan(actor=staff["clerk"], consent=consent, scan=scan_file())
    assert archive(officers, case).scan_sha256 == SHA
    assert consent_scan_reminders(today) == []


def test_the_register_archives_in_bulk_and_exports_by_centre(client, officers, staff, case):
    gave_up_retake(case)
    client.force_login(officers["a"])
    url = reverse("admin:certificates_consentarchive_changelist")
    listing = client.get(url, {"archive_state": "due"})
    assert [c.pk for c in listing.context["cl"].result_list] == [case.registration.consent_form.pk]
    response = client.post(
        url,
        {"action": "archive", "_selected_action": [case.registration.consent_form.pk], "select_across": "0"},
        follow=True,
    )
    assert "归档自愿书：成功 1 条" in response.content.decode()
    assert ConsentArchive.objects.get().scan_sha256 == SHA

    export_url = reverse("admin:certificates_consentarchive_export")
    form = client.get(export_url).context["form"]
    data = {"format": "1", "resource": "0"}
    data.update({name: "on" for name in form.fields if name.startswith("consentarchiveexportresource_")})
    exported = client.post(export_url, data)
    assert exported.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(exported.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["指导中心", "鉴定站", "报名编号"]
    assert rows[1][0] == "厦门市中心" and rows[1][-1] == SHA and "已归档" in rows[1]


def test_a_station_clerk_reads_the_register_but_cannot_archive(client, staff, case):
    gave_up_retake(case)
    client.force_login(staff["clerk"])
    url = reverse("admin:certificates_consentarchive_changelist")
    listing = client.get(url)
    assert listing.status_code == 200
    assert [c.pk for c in listing.context["cl"].result_list] == [case.registration.consent_form.pk]
    assert listing.context["action_form"] is None  # no action the clerk may take: no 归档
