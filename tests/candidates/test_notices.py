"""Telling candidates: ``notify`` and ``notices_send`` tell each moment exactly once, after commit."""

import threading

import pytest
from django.db import connection

from candidates.models import CandidateNotice
from candidates.notices import Event, Notice, notices_deliver_pending, notices_send, notify
from kit import sms
from tests.candidates.factories import CandidateFactory, make_id_number


@pytest.fixture(autouse=True)
def _empty_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


LATE = {"station": "厦门一站", "act": "报名", "reason": "报名表签署日期晚于截止日"}


@pytest.mark.django_db
def test_notify_sends_once_after_commit(django_capture_on_commit_callbacks):
    candidate = CandidateFactory(name="陈美玲", phone="13912345678", id_number=make_id_number())
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(candidate, Event.LATE_ENTRY_REFUSED, "registration:7", **LATE) is True
    [message] = sms.outbox
    assert message.to == "13912345678"
    assert message.text.startswith("【职业技能鉴定】陈美玲您好，厦门一站为您补录报名的申请已超过截止时间")
    assert "不予批准。理由：报名表签署日期晚于截止日" in message.text
    assert candidate.id_number not in message.text and candidate.id_number[-6:] not in message.text
    notice = CandidateNotice.objects.get()
    assert notice.sent_at is not None and notice.event == Event.LATE_ENTRY_REFUSED

    with django_capture_on_commit_callbacks(execute=True):
        assert notify(candidate, Event.LATE_ENTRY_REFUSED, "registration:7", **LATE) is False
    assert len(sms.outbox) == 1
    # Another key is another moment.
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(candidate, Event.LATE_ENTRY_REFUSED, "registration:8", **LATE) is True
    assert len(sms.outbox) == 2


@pytest.mark.django_db
def test_nothing_is_sent_before_the_log_row_is_committed(django_capture_on_commit_callbacks):
    candidate = CandidateFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(candidate, Event.LATE_ENTRY_REFUSED, "registration:1", **LATE)
    assert sms.outbox == [] and len(callbacks) == 1
    assert CandidateNotice.objects.get().sent_at is None


@pytest.mark.django_db
def test_an_unknown_event_is_refused():
    with pytest.raises(ValueError, match="未知的告知事项"):
        notify(CandidateFactory(), "birthday", "x")


@pytest.mark.django_db
def test_a_failed_gateway_leaves_the_notice_for_the_next_run(django_capture_on_commit_callbacks, settings):
    candidate = CandidateFactory()
    settings.JIANDING_SMS_BACKEND = "tests.candidates.test_notices.BrokenBackend"
    with pytest.raises(ConnectionError), django_capture_on_commit_callbacks(execute=True):
        notify(candidate, Event.LATE_ENTRY_REFUSED, "registration:1", **LATE)
    assert CandidateNotice.objects.get().sent_at is None
    settings.JIANDING_SMS_BACKEND = "kit.sms.LocmemBackend"
    assert notices_deliver_pending() == 1
    assert len(sms.outbox) == 1 and notices_deliver_pending() == 0


class BrokenBackend(sms.BaseSmsBackend):
    def send_messages(self, messages):
        raise ConnectionError("网关不可用")


def _double_run(notices):
    """Two senders at the same moment, each on its own connection."""
    start = threading.Barrier(2)
    counts, errors = [], []

    def run():
        try:
            start.wait(timeout=30)
            counts.append(notices_send(notices=notices))
        except BaseException as error:  # reported to the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return counts, errors


@pytest.mark.postgres
def test_two_sweeps_at_once_tell_each_candidate_once(committed_db):
    candidates = [CandidateFactory() for _ in range(30)]
    notices = [Notice(c.pk, Event.RESULTS_PUBLISHED, f"result:{c.pk}", f"成绩已公示 {c.pk}") for c in candidates]
    counts, errors = _double_run(notices)
    assert errors == []
    assert sum(counts) == 30  # the rows may be split between the runs, never doubled
    assert CandidateNotice.objects.count() == 30
    assert len(sms.outbox) == 30
    assert sorted(m.to for m in sms.outbox) == sorted(c.phone for c in candidates)
    assert not CandidateNotice.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_a_second_run_after_the_first_sends_nothing(committed_db):
    candidate = CandidateFactory()
    notices = [Notice(candidate.pk, Event.TICKET_READY, "seat:1", "准考证已可领取")]
    assert notices_send(notices=notices) == 1
    assert notices_send(notices=notices) == 0
    assert len(sms.outbox) == 1


@pytest.mark.django_db
def test_a_notice_s_history_page_says_it_has_no_changes(admin_client, django_capture_on_commit_callbacks):
    candidate = CandidateFactory(name="陈美玲", phone="13912345678", id_number=make_id_number())
    with django_capture_on_commit_callbacks(execute=True):
        notify(candidate, Event.LATE_ENTRY_REFUSED, "late_entry:1", **LATE)
    notice = CandidateNotice.objects.get()
    response = admin_client.get(f"/admin/candidates/candidatenotice/{notice.pk}/history/")
    assert response.status_code == 200
    assert "此对象没有修改历史" in response.content.decode()
