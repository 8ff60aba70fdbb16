"""Telling candidates (告知义务): a short message at each moment of the case that matters.

Who is told of what is found by the layer that knows the moment (``appraisals.notices``:
the cut-off, admission tickets, results, retakes; ``certificates.notices``: certificates
ready); a service that refuses something the candidate should hear of calls ``notify``.
Both end here, in ``notices_send``: exactly once per candidate, event and key.

The texts are short (one SMS where possible), name no full ID number, and end with the
sender's signature."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction

from kit import clock, sms

from .models import Candidate, CandidateNotice

logger = logging.getLogger(__name__)

Event = CandidateNotice.Event
SIGNATURE = "【职业技能鉴定】"

# One text per event; the context names are the placeholders.
TEXTS: Mapping[str, str] = {
    Event.AFTER_CUTOFF: (
        "{name}您好，{occupation}鉴定报名已于{cutoff}截止，您已在{station}报名。继续鉴定的须在{deadline}前完成；"
        "如放弃，可向鉴定站申请退还鉴定费。"
    ),
    Event.TICKET_READY: "{name}您好，您的{occupation}鉴定准考证已可领取，准考证号{ticket}，{exam_day}在{place}考试。",
    Event.RESULTS_PUBLISHED: "{name}您好，您的{occupation}鉴定成绩已公示：{outcome}，公示期至{last_day}。",
    Event.RETAKE_OFFERED: (
        "{name}您好，您的{occupation}鉴定未合格，可补考一次，补考须在{deadline}前完成，请向{station}申请。"
    ),
    Event.CERTIFICATE_READY: "{name}您好，您的{occupation}职业资格证书已核发，编号{number}，可在{lookup}查询。",
    Event.LATE_ENTRY_REFUSED: (
        "{name}您好，{station}为您补录{act}的申请已超过截止时间，经指导中心审核不予批准。理由：{reason}"
    ),
}


@dataclass(frozen=True)
class Notice:
    """One message to one candidate about one moment (``key`` names it, e.g. ``result:12``)."""

    candidate_id: int
    event: str
    key: str
    text: str

    @property
    def identity(self) -> tuple[int, str, str]:
        return (self.candidate_id, self.event, self.key)


def notice_text(event: str, name: str, **context: object) -> str:
    """The message of ``event`` with its context filled in, signed."""
    return SIGNATURE + TEXTS[event].format(name=name, **context)


def notices_send(*, notices: Iterable[Notice], batch_size: int = 1000) -> int:
    """Tell each candidate of each moment exactly once; returns how many notices were new.

    1. In one transaction, insert a log row per notice with this run's token, ignoring those
       the unique constraint (candidate, event, key) already holds: an earlier run, or one
       running at the same moment, has them.
    2. After commit, send every logged notice not yet sent (``notices_deliver_pending``).
    A run that dies before its commit leaves nothing, so its retry tells everything once; a
    run that dies between the gateway's answer and the mark may send that one again."""
    notices = list(notices)
    if not notices:
        return 0
    run = uuid.uuid4().hex
    phones = dict(Candidate.objects.filter(pk__in={n.candidate_id for n in notices}).values_list("pk", "phone"))
    with transaction.atomic():
        CandidateNotice.objects.bulk_create(
            [
                CandidateNotice(
                    candidate_id=n.candidate_id,
                    event=n.event,
                    key=n.key[:60],
                    text=n.text[:300],
                    phone=phones.get(n.candidate_id, ""),
                    run=run,
                )
                for n in notices
            ],
            ignore_conflicts=True,
            batch_size=batch_size,
        )
        new = CandidateNotice.objects.filter(run=run).count()
    transaction.on_commit(notices_deliver_pending)
    return new


def notices_deliver_pending(batch_size: int = 200, backend: sms.BaseSmsBackend | None = None) -> int:
    """Hand every logged, unsent notice to the SMS backend (the configured one unless
    given) and mark it sent. Rows are locked and skipped when locked, so two senders at
    once never take the same row."""
    backend = backend or sms.get_backend()
    sent = 0
    while True:
        with transaction.atomic():
            batch = list(
                CandidateNotice.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(sent_at__isnull=True)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return sent
            backend.send_messages(
                [sms.SmsMessage(to=notice.phone, text=notice.text, reference=f"notice:{notice.pk}") for notice in batch]
            )
            CandidateNotice.objects.filter(pk__in=[notice.pk for notice in batch]).update(sent_at=clock.now())
            sent += len(batch)
            logger.info("考生告知短信已发送 %d 条", len(batch))


def notify(candidate: Candidate, event: str, key: str, **context: object) -> bool:
    """Tell ``candidate`` of ``event`` (a ``CandidateNotice.Event``) about ``key`` now, once:
    False when they were already told. For the moments a service decides, e.g. a refused
    late entry (``appraisals.services.late_entry_refuse``): ``notify(candidate,
    Event.LATE_ENTRY_REFUSED, f"late_entry:{pk}", station=..., act="报名", reason=...)``."""
    if event not in TEXTS:
        raise ValueError(f"未知的告知事项：{event}")
    text = notice_text(event, candidate.name, **context)
    return notices_send(notices=[Notice(candidate.pk, event, key, text)]) == 1
