"""The supervisors' acts in the demo's early-2020 story (``demo.certificates``): two
complaints (a letter closed with a finding, a hotline call under investigation), a remote
monitoring record, the daily sweep on the days it would have run, and a finding opened on
a session with identical scores. Every one goes through the supervision services."""

from __future__ import annotations

import datetime

from appraisals.models import ExamSession
from catalog.models import Station, User
from certificates import services as certificate_services
from supervision import services as supervision
from supervision.models import Complaint, ReviewItem, SessionSupervisionRecord

from .cases import D, at


def sweep(day: datetime.date) -> None:
    """The daily run of the supervision detectors (the daily sweep task) on ``day``."""
    supervision.review_queue_refresh(actor=None, today=day)


def fee_letter_received(*, supervisor: User, station: Station) -> Complaint:
    """A letter about XM001's fees, received and assigned."""
    letter = supervision.complaint_receive(
        actor=supervisor,
        channel=Complaint.Channel.LETTER,
        received_at=at(D(2020, 6, 24), 9, 30),
        content="反映厦门市第一职业技能鉴定站美发师（五级）鉴定报名时，除鉴定费外另收取资料费200元。",
        complainant="考生家属",
        station=station,
    )
    supervision.complaint_assign(actor=supervisor, complaint=letter, assignee=supervisor)
    return letter


def fee_letter_closed(*, supervisor: User, complaint: Complaint) -> None:
    """The letter investigated and closed with a finding."""
    supervision.complaint_close(
        actor=supervisor,
        complaint=complaint,
        finding=(
            "经调取该站收费票据和报名登记表核实：该站按鉴定考试公告收取鉴定费180元，未另收资料费；"
            "所反映的200元系考生自愿参加的社会培训机构收取的培训资料费，与鉴定站无关。已电话告知举报人。"
        ),
        now=at(D(2020, 7, 10), 16),
    )


def exam_discipline_call_received(*, supervisor: User, station: Station) -> Complaint:
    """A hotline call about the discipline at FZ001's 保育员 exam, received and assigned."""
    hotline = supervision.complaint_receive(
        actor=supervisor,
        channel=Complaint.Channel.HOTLINE,
        received_at=at(D(2020, 7, 3), 10, 20),
        content=(
            "举报福州市职业技能鉴定站7月2日保育员（五级）鉴定考试现场纪律松散，"
            "有考生交头接耳、互相传看答案，考评员未予制止。"
        ),
        station=station,
    )
    supervision.complaint_assign(actor=supervisor, complaint=hotline, assignee=supervisor)
    return hotline


def remote_monitoring_recorded(*, supervisor: User, session: ExamSession) -> None:
    """The session's recording, watched again after the call."""
    supervision.supervision_record_add(
        actor=supervisor,
        session=session,
        kind=SessionSupervisionRecord.Kind.REMOTE,
        observed_at=at(D(2020, 7, 9), 15),
        observations=(
            "回放7月2日第1考场远程监控录像：理论知识考试9:40至10:05间，3号、4号、5号座位考生多次交谈，"
            "考评员在考场外接听电话约20分钟。"
        ),
    )


def identical_scores_finding_opened(*, supervisor: User, session: ExamSession) -> None:
    """The sweep's identical-scores item on the session, taken by the supervisor, and a
    finding opened on the session: its certificates are held until it is closed."""
    item = ReviewItem.objects.get(kind=ReviewItem.Kind.IDENTICAL_SCORES, session=session)
    supervision.review_item_take(actor=supervisor, item=item)
    certificate_services.finding_open(
        actor=supervisor,
        session=session,
        summary=(
            "该场次6名考生中5人理论知识和操作技能成绩完全相同（80.0/85.0），且有举报和远程监控录像反映考场纪律问题；"
            "调取试卷、操作评分记录复查，复查结束前该场次证书暂缓核发。"
        ),
        opened_at=at(D(2020, 7, 21), 10),
    )


def certificate_sale_report_received(*, station: Station) -> Complaint:
    """A report sent through the public form, not yet assigned: the supervisors' queue of
    complaints has one to take."""
    return supervision.complaint_receive(
        actor=None,
        channel=Complaint.Channel.PUBLIC_FORM,
        received_at=at(D(2020, 9, 3), 21, 15),
        content=(
            "有人在微信群里宣传“不用考试、包过”，称可通过厦门一家鉴定站办理中式烹调师四级证书，"
            "收费3800元。请核查该站是否参与。"
        ),
        complainant="",
        station=station,
    )
