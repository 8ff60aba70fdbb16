"""The whole case, step by step, through the services only."""

import datetime
from decimal import Decimal

import pytest

from appraisals import services
from appraisals.models import ExamSession, Registration
from tests.factories import issued_paper, staffed

pytestmark = pytest.mark.django_db
D = datetime.date
S = Registration.Status


def test_a_case_from_registration_to_pass(case):
    case.register()
    assert case.refresh().status == S.REGISTERED
    case.review()
    assert case.refresh().status == S.ELIGIBLE
    assert case.registration.eligibility_review.matched_route.min_years == 1
    case.consent()
    assert case.refresh().status == S.CONSENTED
    case.apply().approve().schedule().seat()
    assert case.registration.seats.get().ticket_number.startswith("XM00120201120")
    case.hold()
    assert case.refresh().status == S.EXAMINED
    result = case.score("78", "65")
    assert result.passed is True
    assert case.refresh().status == S.PASSED


def test_every_step_records_who_acted(case, staff):
    case.to_examined()
    case.score("80", "80")
    users = set(case.registration.history.values_list("history_user__username", flat=True))
    assert {"clerk", "examiner2"} <= users
    assert case.registration.eligibility_review.reviewer == staff["clerk"]
    assert case.application.history.first().history_user == staff["officer_xm"]


def test_fail_then_retake_only_the_failed_part_then_pass(case):
    case.to_examined()
    first = case.score("82", "55")
    assert first.passed is False
    assert case.refresh().status == S.FAILED
    retake = services.retake_request(
        actor=case.staff["clerk"], registration=case.registration, requested_date=D(2020, 12, 1)
    )
    assert retake.parts == "practical"
    assert case.refresh().status == S.RETAKE
    retake_session = services.session_schedule(
        **staffed(
            actor=case.staff["clerk"],
            application=case.application,
            occupation=case.announcement.occupation,
            level="5",
            date=D(2020, 12, 20),
            start_time=datetime.time(9),
            end_time=datetime.time(11),
            place="厦门市思明区考点",
            region=case.orgs["xm1"].region,
            examiners=[case.staff["examiner"], case.staff["examiner2"], case.staff["examiner3"]],
            kind=ExamSession.Kind.RETAKE,
        )
    )
    services.retake_assign_session(actor=case.staff["clerk"], retake=retake, session=retake_session)
    services.seats_assign(actor=case.staff["clerk"], session=retake_session)
    issued_paper(retake_session)
    services.session_hold(actor=case.staff["clerk"], session=retake_session)
    with pytest.raises(services.RuleError, match="只能录入这部分成绩"):
        case.score("90", "70")
    case.score(None, "70")
    assert case.refresh().status == S.PASSED


def test_a_failed_retake_closes_the_case(case):
    case.to_examined()
    case.score("40", "40")
    retake = services.retake_request(
        actor=case.staff["clerk"], registration=case.registration, requested_date=D(2020, 12, 1)
    )
    assert retake.parts == "both"
    session = services.session_schedule(
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
    services.retake_assign_session(actor=case.staff["clerk"], retake=retake, session=session)
    services.seats_assign(actor=case.staff["clerk"], session=session)
    issued_paper(session)
    services.session_hold(actor=case.staff["clerk"], session=session)
    case.score("59.5", "75")
    assert case.refresh().status == S.CLOSED
    with pytest.raises(services.RuleError, match="只能补考一次"):
        services.retake_request(
            actor=case.staff["clerk"], registration=case.registration, requested_date=D(2020, 12, 29)
        )


def test_withdrawal_refunds_and_never_reaches_the_exam(case):
    case.register().review().consent().apply().approve().schedule().seat()
    refund = services.registration_withdraw(
        actor=case.staff["clerk"],
        registration=case.registration,
        refund=services.RefundTerms(
            amount=Decimal("200.00"), refund_date=D(2020, 10, 30), method="transfer", reason_kind="after_cutoff"
        ),
    )
    assert refund.amount == Decimal("200.00")
    assert case.refresh().status == S.WITHDRAWN
    assert not case.registration.seats.exists()
    with pytest.raises(services.RuleError, match="没有编排任何考生"):
        case.hold()


def test_no_withdrawal_after_the_exam(case):
    case.to_examined()
    with pytest.raises(services.RuleError, match="不能放弃鉴定并退费"):
        services.registration_withdraw(
            actor=case.staff["clerk"],
            registration=case.registration,
            refund=services.RefundTerms(
                amount=Decimal("200"), refund_date=D(2020, 11, 21), method="cash", reason_kind="personal"
            ),
        )


def test_refund_cannot_exceed_the_fee(case):
    case.register()
    with pytest.raises(services.RuleError, match="超过所缴鉴定费"):
        services.registration_withdraw(
            actor=case.staff["clerk"],
            registration=case.registration,
            refund=services.RefundTerms(
                amount=Decimal("200.01"), refund_date=D(2020, 10, 1), method="cash", reason_kind="personal"
            ),
        )
    assert case.refresh().status == S.REGISTERED


def test_a_failed_candidate_who_gives_up_the_retake_is_closed_with_the_reason_in_the_trace(case):
    case.to_examined()
    case.score("82", "55")

    services.registration_close(actor=case.staff["clerk"], registration=case.registration, reason="考生书面放弃补考")

    registration = case.refresh()
    assert registration.status == S.CLOSED
    last = registration.history.latest("history_date")
    assert (last.history_change_reason, last.history_user) == ("结案：考生书面放弃补考", case.staff["clerk"])
    with pytest.raises(services.RuleError):  # a closed case cannot be closed again
        services.registration_close(actor=case.staff["clerk"], registration=registration)
