"""What candidates are told of their appraisal: each finder at the day before, the day and
the day after its moment, and the end of the look-back window."""

import datetime
from decimal import Decimal

import pytest

from appraisals import notices, services
from appraisals.services import RefundTerms
from candidates.notices import Event

pytestmark = pytest.mark.django_db
D = datetime.date


def keys(found):
    return [(n.event, n.key) for n in found]


@pytest.mark.parametrize(
    ("today", "told"),
    [
        (D(2020, 9, 30), False),  # the cut-off day itself: registrations still taken
        (D(2020, 10, 1), True),  # the day after
        (D(2020, 10, 14), True),  # the last day of the look-back (14 days)
        (D(2020, 10, 15), False),  # past it: not told about a moment long gone
    ],
)
def test_after_the_cutoff_everyone_registered_is_told_to_continue_or_withdraw(case, today, told):
    case.register()
    found = notices.after_cutoff(today)
    if not told:
        assert found == []
        return
    [notice] = found
    assert notice.key == f"registration:{case.registration.pk}" and notice.event == Event.AFTER_CUTOFF
    assert "2020年9月30日截止" in notice.text and "2020年12月31日前完成" in notice.text
    assert "退还鉴定费" in notice.text and "厦门一站" in notice.text
    assert case.candidate.id_number not in notice.text
    assert len(notice.text) <= 140


def test_a_withdrawn_candidate_is_not_told_after_the_cutoff(case, staff):
    case.register()
    services.registration_withdraw(
        actor=staff["clerk"],
        registration=case.registration,
        refund=RefundTerms(
            amount=Decimal("200.00"), refund_date=D(2020, 9, 20), method="original", reason_kind="after_cutoff"
        ),
    )
    assert notices.after_cutoff(D(2020, 10, 1)) == []


def test_a_seat_in_a_coming_session_tells_its_admission_ticket(case):
    case.register().review().consent().apply().approve().schedule(day=D(2020, 11, 20)).seat()
    [notice] = notices.tickets_ready(D(2020, 11, 19))
    seat = case.registration.seats.get()
    assert notice.key == f"seat:{seat.pk}"
    assert seat.ticket_number in notice.text and "2020年11月20日 09:00" in notice.text
    assert keys(notices.tickets_ready(D(2020, 11, 20))) == keys([notice])  # the exam day
    assert notices.tickets_ready(D(2020, 11, 21)) == []  # the day after: too late to matter


def test_published_results_and_the_retake_offer(case, staff, settings):
    case.to_examined()
    case.score("40", "85")
    services.results_publish(actor=staff["clerk"], session=case.session, published_on=D(2020, 11, 23))
    assert notices.results_published(D(2020, 11, 22)) == []
    [result] = notices.results_published(D(2020, 11, 23))
    assert "不合格" in result.text and "公示期至2020年11月27日" in result.text

    [offer] = notices.retakes_offered(D(2020, 11, 23))
    assert offer.key == f"registration:{case.registration.pk}"
    assert "补考须在2020年12月31日前完成" in offer.text
    assert notices.retakes_offered(D(2020, 12, 31)) == []  # past the 14-day look-back
    settings.JIANDING_CANDIDATE_NOTICE_LOOKBACK_DAYS = 60
    assert len(notices.retakes_offered(D(2020, 12, 31))) == 1  # the deadline day
    assert notices.retakes_offered(D(2021, 1, 1)) == []  # no retake can be held any more

    services.retake_request(actor=staff["clerk"], registration=case.registration, requested_date=D(2020, 11, 30))
    assert notices.retakes_offered(D(2020, 11, 30)) == []


def test_a_passed_result_is_told_without_a_retake_offer(case, staff):
    case.to_examined()
    case.score("80", "85")
    services.results_publish(actor=staff["clerk"], session=case.session, published_on=D(2020, 11, 23))
    [result] = notices.results_published(D(2020, 11, 24))
    assert "成绩已公示：合格" in result.text
    assert notices.retakes_offered(D(2020, 11, 24)) == []
