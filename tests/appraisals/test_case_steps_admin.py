"""The clerk's case steps in the admin: a consent's scan attached later, the confirmation
page before a refund, the eligibility review's report, the session and result lists."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from appraisals import services
from appraisals.models import ConsentForm, ExamSession, Refund, Registration
from kit import clock
from tests.candidates.factories import CandidateFactory

pytestmark = pytest.mark.django_db
D = datetime.date
S = Registration.Status
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
FULL_ID = re.compile(r"\d{17}[\dXx]")


def at_noon(day):
    return time_machine.travel(datetime.datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI), tick=False)


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def scan(name="自愿书.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n% signed consent\n", content_type="application/pdf")


CHANGELIST = "admin:appraisals_registration_changelist"


# --- consent scan -------------------------------------------------------------------------------


def test_a_consent_recorded_without_its_scan_gets_it_later_once(client, staff, case):
    case.register().review().consent()
    consent = case.registration.consent_form
    client.force_login(staff["clerk"])
    page = reverse("admin:appraisals_registration_change", args=[case.registration.pk])
    attach = reverse("admin:appraisals_consentform_attach_scan", args=[consent.pk])

    shown = client.get(page).content.decode()
    assert "未上传，不能发证" in shown and attach in shown

    response = client.post(attach, {"scan": scan()})
    assert response.status_code == 302 and response.url == page
    consent.refresh_from_db()
    assert consent.scan
    shown = client.get(page).content.decode()
    assert "已上传" in shown and "未上传" not in shown

    again = client.post(attach, {"scan": scan("另一份.pdf")})
    assert again.status_code == 200
    assert "自愿书扫描件已上传，不能替换" in again.content.decode()
    consent.refresh_from_db()
    assert consent.scan.name.endswith(".pdf") and "另一份" not in consent.scan.name


def test_an_archived_consent_takes_no_scan(client, staff, case):
    case.register().review().consent()
    ConsentForm.objects.filter(pk=case.registration.consent_form.pk).update(
        archived_at=clock.now(), scan_sha256="0" * 64
    )
    client.force_login(staff["clerk"])
    attach = reverse("admin:appraisals_consentform_attach_scan", args=[case.registration.consent_form.pk])
    response = client.post(attach, {"scan": scan()})
    assert "自愿书已归档，不能再修改" in response.content.decode()
    assert not ConsentForm.objects.get().scan


def test_the_consent_add_form_takes_the_scan(client, staff, case):
    case.register().review()
    client.force_login(staff["clerk"])
    response = client.post(
        reverse("admin:appraisals_consentform_add"),
        {"registration": case.registration.pk, "signed_date": "2020-09-12", "scan": scan()},
    )
    assert response.status_code == 302
    consent = ConsentForm.objects.get()
    assert consent.scan and consent.received_by == staff["clerk"]
    assert case.refresh().status == S.CONSENTED


def test_another_stations_clerk_cannot_open_the_scan_page(client, staff, orgs, case):
    from catalog import roles
    from tests.factories import UserFactory

    case.register().review().consent()
    other = UserFactory(username="clerk_xm2", station=orgs["xm2"], role=roles.STATION_CLERK)
    client.force_login(other)
    attach = reverse("admin:appraisals_consentform_attach_scan", args=[case.registration.consent_form.pk])
    assert client.post(attach, {"scan": scan()}).status_code == 302
    assert not ConsentForm.objects.get().scan


# --- withdrawal with a refund ------------------------------------------------------------------


def withdraw(client, registrations, **fields):
    data = {"action": "withdraw_with_full_refund", "_selected_action": [r.pk for r in registrations], **fields}
    return client.post(reverse(CHANGELIST), data, follow=True)


def test_the_refund_is_confirmed_on_a_second_page_before_anything_changes(client, staff, case):
    case.register().review()
    registration = case.registration
    client.force_login(staff["clerk"])
    with at_noon(D(2020, 9, 20)):
        page = withdraw(client, [registration])
    assert page.templates[0].name == "appraisals/refund_confirmation.html"
    form = page.context["form"]
    assert form[f"amount_{registration.pk}"].value() == registration.fee == Decimal("200.00")
    assert form["refund_date"].value() == D(2020, 9, 20)
    html = page.content.decode()
    assert "确认退费" in html and "取消" in html and "陈美玲" in html and not FULL_ID.search(html)
    assert case.refresh().status == S.ELIGIBLE and not Refund.objects.exists()


@pytest.mark.parametrize(
    ("amount", "reason", "error"),
    [("250.00", "考生自愿放弃", "超过所缴鉴定费 200.00 元"), ("200.00", "  ", "请填写放弃原因")],
)
def test_a_refund_above_the_fee_or_without_a_reason_is_sent_back(client, staff, case, amount, reason, error):
    case.register()
    client.force_login(staff["clerk"])
    page = withdraw(
        client,
        [case.registration],
        confirm_refund="确认退费",
        refund_date="2020-09-20",
        method="original",
        reason=reason,
        **{f"amount_{case.registration.pk}": amount},
    )
    assert error in page.content.decode()
    assert case.refresh().status == S.REGISTERED and not Refund.objects.exists()


def test_a_confirmed_refund_records_amount_method_and_reason(client, staff, case):
    case.register()
    client.force_login(staff["clerk"])
    page = withdraw(
        client,
        [case.registration],
        confirm_refund="确认退费",
        refund_date="2020-09-20",
        method="transfer",
        reason_kind="personal",
        reason="工作调动，无法参加考试",
        **{f"amount_{case.registration.pk}": "150.00"},
    )
    refund = Refund.objects.get()
    assert (refund.amount, refund.refund_date, refund.method) == (Decimal("150.00"), D(2020, 9, 20), "transfer")
    assert refund.reason == "工作调动，无法参加考试" and refund.recorded_by == staff["clerk"]
    assert case.refresh().status == S.WITHDRAWN
    messages = texts(page)
    assert any("放弃并退费：成功 1 条" in m for m in messages)
    assert not any(FULL_ID.search(m) for m in messages)


# --- eligibility review report --------------------------------------------------------------------


def test_bulk_review_counts_eligible_and_ineligible_apart(client, staff, announcement):
    rows = [
        services.registration_accept(
            actor=staff["clerk"],
            candidate=CandidateFactory(name=name, years_in_trade=years),
            announcement=announcement,
            registration_date=D(2020, 9, 10),
        )
        for name, years in (("甲", 3), ("乙", 2), ("丙", 0))
    ]
    client.force_login(staff["clerk"])
    with at_noon(D(2020, 9, 12)):
        response = client.post(
            reverse(CHANGELIST), {"action": "review_eligibility", "_selected_action": [r.pk for r in rows]}, follow=True
        )
    [message] = texts(response)
    assert message.startswith("资格审查：通过 2 人，未通过 1 人（丙（")
    assert Registration.objects.get(pk=rows[2].pk).eligibility_review.findings in message
    assert not FULL_ID.search(message)
    assert "成功" not in message


# --- session and result lists ---------------------------------------------------------------------


def test_the_session_list_offers_the_tickets_once_seated_and_no_station_column_to_its_clerk(client, staff, case):
    case.register().review().consent().apply().approve().schedule()
    client.force_login(staff["clerk"])
    listing = client.get(reverse("admin:appraisals_examsession_changelist")).content.decode()
    assert "未编排" in listing and "下载准考证" not in listing
    assert "厦门一站" not in listing.split('id="result_list"')[1]
    case.seat()
    listing = client.get(reverse("admin:appraisals_examsession_changelist")).content.decode()
    assert reverse("appraisals:session_tickets", args=[case.session.pk]) in listing
    assert 'class="field-level_short">五级</td>' in listing


def test_the_result_list_shows_both_scores_and_both_people(client, staff, case):
    case.to_examined()
    case.score("55", "82", confirm=False)
    client.force_login(staff["clerk"])
    table = client.get(reverse("admin:appraisals_examresult_changelist")).content.decode().split('id="result_list"')[1]
    assert "55.0" in table and "82.0" in table and "待复核" in table
    assert not FULL_ID.search(table)
    assert ExamSession.objects.count() == 1
