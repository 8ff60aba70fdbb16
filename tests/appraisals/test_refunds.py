"""Refunds (退费): up to the fee paid, a reason from a list (with text for “其他”), the
method, confirmed by a second person (four eyes on money, as issuance), and in the
station's report to the municipal centre."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from appraisals import services
from appraisals.exporting import municipal_lines, municipal_refunds, municipal_registrations, municipal_report_xlsx
from appraisals.models import Refund, Registration
from catalog import roles
from kit.errors import RuleError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def terms(amount="200", kind=Refund.Reason.AFTER_CUTOFF, reason="", day=D(2020, 10, 2)):
    return services.RefundTerms(
        amount=Decimal(amount), refund_date=day, method=Refund.Method.TRANSFER, reason_kind=kind, reason=reason
    )


@pytest.fixture
def registered(case):
    case.register().review()
    return case


def withdraw(case, refund):
    return services.registration_withdraw(actor=case.staff["clerk"], registration=case.registration, refund=refund)


@pytest.mark.parametrize(("amount", "ok"), [("199.99", True), ("200.00", True), ("200.01", False)])
def test_the_amount_goes_up_to_the_fee_paid(registered, amount, ok):
    assert registered.registration.fee == Decimal("200.00")
    if ok:
        assert withdraw(registered, terms(amount)).amount == Decimal(amount)
    else:
        with pytest.raises(RuleError, match="超过所缴鉴定费 200"):
            withdraw(registered, terms(amount))
        assert registered.refresh().status == Registration.Status.ELIGIBLE


def test_the_reason_comes_from_the_list_and_other_needs_its_text(registered):
    with pytest.raises(ValidationError, match="“其他”时必须写明原因"):
        withdraw(registered, terms(kind=Refund.Reason.OTHER, reason="  "))
    refund = withdraw(registered, terms(kind=Refund.Reason.OTHER, reason="考生应征入伍"))
    assert (refund.get_reason_kind_display(), refund.reason) == ("其他", "考生应征入伍")


def test_a_second_person_confirms_the_refund_once(registered, staff, orgs):
    refund = withdraw(registered, terms())
    assert refund.confirmed_by is None
    with pytest.raises(RuleError, match="经办人以外的另一人"):
        services.refund_confirm(actor=staff["clerk"], refund=refund)
    other_station = UserFactory(username="clerk_fz", station=orgs["fz1"], role=roles.STATION_CLERK)
    with pytest.raises(RuleError, match="无权确认"):
        services.refund_confirm(actor=other_station, refund=refund)
    moment = datetime.datetime(2020, 10, 3, 9, 0, tzinfo=SHANGHAI)
    refund = services.refund_confirm(actor=staff["clerk2"], refund=refund, now=moment)
    assert (refund.confirmed_by, refund.confirmed_at) == (staff["clerk2"], moment)
    with pytest.raises(RuleError, match="2020-10-03 复核确认，不能重复确认"):
        services.refund_confirm(actor=staff["officer_xm"], refund=refund)
    assert refund.history.first().history_user == staff["clerk2"]


def test_the_database_refuses_a_self_confirmation(registered, staff):
    from django.db import IntegrityError, transaction

    refund = withdraw(registered, terms())
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.filter(pk=refund.pk).update(
            confirmed_by=staff["clerk"], confirmed_at=datetime.datetime(2020, 10, 3, tzinfo=SHANGHAI)
        )


def test_examiners_cannot_confirm_refunds(staff):
    assert staff["clerk2"].has_perm("appraisals.verify_refund")
    assert staff["officer_xm"].has_perm("appraisals.verify_refund")
    assert not staff["examiner"].has_perm("appraisals.verify_refund")


def test_the_admin_action_confirms_and_names_a_refusal(client, registered, staff):
    refund = withdraw(registered, terms())
    client.force_login(staff["clerk"])
    url = reverse("admin:appraisals_refund_changelist")
    page = client.post(url, {"action": "confirm", "_selected_action": [refund.pk]}, follow=True).content.decode()
    assert "经办人以外的另一人" in page
    client.force_login(staff["clerk2"])
    page = client.post(url, {"action": "confirm", "_selected_action": [refund.pk]}, follow=True).content.decode()
    assert "复核确认退费：成功 1 条" in page
    assert Refund.objects.get().confirmed_by == staff["clerk2"]


def test_refunds_are_in_the_stations_report(registered, staff):
    withdraw(registered, terms("150", reason="扣除教材费50元"))
    registrations = municipal_registrations(staff["clerk"], D(2020, 9, 1), D(2020, 9, 30))
    (line,) = municipal_lines(registrations)
    assert (line.registrations, line.withdrawn, line.refunds, line.refunded, line.refunds_unconfirmed) == (
        1,
        1,
        1,
        Decimal("150.00"),
        1,
    )
    content = municipal_report_xlsx(
        [line],
        start=D(2020, 9, 1),
        end=D(2020, 9, 30),
        prepared_by=staff["clerk"],
        prepared_at=datetime.datetime(2020, 10, 8, 9, 30, tzinfo=SHANGHAI),
        refunds=municipal_refunds(registrations),
    )
    book = openpyxl.load_workbook(io.BytesIO(content))
    summary = [[c.value for c in row] for row in book["报名数据上报"].iter_rows(min_row=3)]
    assert summary[0][-3:] == ["退费笔数", "退费金额（元）", "其中待复核确认"]
    assert summary[-1][-3:] == [1, 150, 1]
    detail = [[c.value for c in row] for row in book["退费明细"].iter_rows()]
    clerk = staff["clerk"].get_full_name() or staff["clerk"].username
    assert detail[1][6:] == [150, "银行转账", "截止后选择放弃鉴定（目录退出）", "扣除教材费50元", clerk, "待复核"]


def test_the_report_page_shows_refunds(client, registered, staff):
    withdraw(registered, terms())
    client.force_login(staff["clerk"])
    page = client.get(
        reverse("appraisals:municipal_report"), {"start": "2020-09-01", "end": "2020-09-30", "station": ""}
    )
    assert page.context["form"].errors == {}
    assert [(line.refunds, line.refunded) for line in page.context["lines"]] == [(1, Decimal("200.00"))]
    assert "退费金额（元）" in page.content.decode()
