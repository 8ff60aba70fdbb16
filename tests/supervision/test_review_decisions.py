"""The supervisor's decisions: a batch held as rushed released or refused from its review item
(one transaction with the item's closing), the same from the batch's page, corrections of a
closed finding, and who a complaint may be handed to."""

import datetime

import pytest
from django.urls import reverse

from catalog import roles
from certificates import services as certificate_services
from certificates.models import Certificate, IssuanceBatch
from kit.errors import RuleError
from supervision import selectors
from supervision import services as supervision
from supervision.models import Complaint, ReviewItem
from tests.certificates.conftest import officers, passed_group
from tests.factories import UserFactory

__all__ = ["officers"]

D = datetime.date


@pytest.fixture
def held(settings, officers, orgs, staff, announcement):
    """A Xiamen batch held as rushed (one examiner too few for four candidates), in the queue."""
    group, _ = passed_group(staff, orgs, announcement, 4)
    # the rule tightened after the session was held: the signal reads the rule as it is now
    settings.JIANDING_STAFF_CANDIDATES_PER_EXAMINER = 1
    batch = certificate_services.batch_prepare(
        actor=officers["a"], centre=orgs["xm"], registrations=group, prepared_on=D(2020, 12, 2)
    )
    batch = certificate_services.batch_approve(actor=officers["b"], batch=batch, issue_date=D(2020, 12, 2))
    assert batch.status == IssuanceBatch.Status.HELD
    supervision.review_queue_refresh(actor=None, today=D(2020, 12, 3))
    item = ReviewItem.objects.get(kind=ReviewItem.Kind.RUSHED_BATCH)
    return batch, item


def test_the_held_batch_item_names_the_batch_and_its_station(held, orgs):
    batch, item = held
    assert item.key == f"batch:{batch.pk}" and item.station == orgs["xm1"]
    assert item.summary == f"{orgs['xm']} 发证批次 #{batch.pk} 疑似突击发证，暂缓核发"
    assert selectors.batch_of(item) == batch


def test_released_from_its_item_the_batch_is_issued_and_the_item_closed(held, officers):
    batch, item = held
    with pytest.raises(RuleError, match="必须写明督导结论"):
        supervision.review_item_decide_batch(
            actor=officers["supervisor"], item=item, release=True, finding=" ", today=D(2020, 12, 3)
        )
    finding = "现场督导记录显示实到考评员 3 人，已补录，同意核发。"
    item = supervision.review_item_decide_batch(
        actor=officers["supervisor"], item=item, release=True, finding=finding, today=D(2020, 12, 3)
    )
    batch.refresh_from_db()
    assert batch.status == IssuanceBatch.Status.APPROVED and batch.approved_by == officers["b"]
    assert (batch.reviewed_by, batch.review_note) == (officers["supervisor"], finding)
    assert batch.certificates.count() == 4
    assert (item.status, item.finding, item.closed_by) == (ReviewItem.Status.CLOSED, finding, officers["supervisor"])
    assert "督导复核放行，已核发证书 4 本" in item.summary and "暂缓核发" not in item.summary


def test_refused_from_its_item_nothing_is_issued_and_the_item_closed(held, officers):
    batch, item = held
    item = supervision.review_item_decide_batch(
        actor=officers["supervisor"],
        item=item,
        release=False,
        finding="考评员配备不足，须重新考核。",
        today=D(2020, 12, 3),
    )
    batch.refresh_from_db()
    assert batch.status == IssuanceBatch.Status.REJECTED and not Certificate.objects.exists()
    assert item.status == ReviewItem.Status.CLOSED and "不予放行" in item.summary


def test_released_on_the_batch_page_the_item_is_closed_too(held, officers):
    batch, item = held
    certificate_services.batch_review(
        actor=officers["supervisor"], batch=batch, release=True, note="核实无误，放行。", reviewed_on=D(2020, 12, 3)
    )
    item.refresh_from_db()
    assert (item.status, item.finding, item.closed_by) == (
        ReviewItem.Status.CLOSED,
        "核实无误，放行。",
        officers["supervisor"],
    )


def test_the_decision_and_the_closing_are_one_transaction(held, officers, monkeypatch):
    batch, item = held

    def broken(*args, **kwargs):
        raise RuleError("办结失败")

    monkeypatch.setattr(supervision, "_close", broken)
    with pytest.raises(RuleError, match="办结失败"):
        supervision.review_item_decide_batch(
            actor=officers["supervisor"], item=item, release=True, finding="同意核发。", today=D(2020, 12, 3)
        )
    batch.refresh_from_db()
    item.refresh_from_db()
    assert batch.status == IssuanceBatch.Status.HELD and not batch.released and not Certificate.objects.exists()
    assert item.status == ReviewItem.Status.OPEN


def test_an_item_of_a_held_batch_is_not_closed_by_a_finding_alone(held, officers):
    _, item = held
    with pytest.raises(RuleError, match="请选择放行（核发）或不予放行"):
        supervision.review_item_close(actor=officers["supervisor"], item=item, finding="已阅。")


def test_the_preparer_or_approver_cannot_release_it_from_the_item(held, officers):
    _, item = held
    with pytest.raises(RuleError, match="制单人和审批人以外"):
        supervision.review_item_decide_batch(
            actor=officers["b"], item=item, release=True, finding="同意。", today=D(2020, 12, 3)
        )


def test_a_closed_finding_is_corrected_with_a_reason_and_the_old_one_stays_in_the_trace(held, officers):
    _, item = held
    item = supervision.review_item_decide_batch(
        actor=officers["supervisor"], item=item, release=False, finding="考评员不足。", today=D(2020, 12, 3)
    )
    with pytest.raises(RuleError, match="更正理由"):
        supervision.review_item_correct(actor=officers["supervisor"], item=item, finding="新结论", reason=" ")
    with pytest.raises(RuleError, match="与原结论相同"):
        supervision.review_item_correct(actor=officers["supervisor"], item=item, finding="考评员不足。", reason="笔误")
    item = supervision.review_item_correct(
        actor=officers["supervisor"],
        item=item,
        finding="考评员仅 1 人，少于 3 人的最低配备，须重新组织考核。",
        reason="原结论未写明人数",
    )
    assert item.finding.startswith("考评员仅 1 人") and item.status == ReviewItem.Status.CLOSED
    latest, before = item.history.order_by("-history_date", "-history_id")[:2]
    assert (before.finding, latest.history_change_reason) == ("考评员不足。", "更正督导结论：原结论未写明人数")
    assert latest.history_user == officers["supervisor"]


def test_an_open_item_cannot_be_corrected(two_station_item, staff):
    with pytest.raises(RuleError, match="只有已办结"):
        supervision.review_item_correct(actor=staff["supervisor_fj"], item=two_station_item, finding="x", reason="y")


@pytest.fixture
def two_station_item(case, staff, orgs, hairdresser):
    from appraisals import services

    case.register()
    other = services.announcement_publish(
        actor=staff["sysadmin"], station=orgs["xm2"], occupation=hairdresser, level="5", publish_date=D(2020, 9, 1)
    )
    services.registration_accept(
        actor=staff["sysadmin"], candidate=case.candidate, announcement=other, registration_date=D(2020, 9, 12)
    )
    supervision.review_queue_refresh(actor=None, today=D(2020, 9, 20))
    return ReviewItem.objects.get()


# --- the held batch's item in the admin -----------------------------------------------------------


def test_the_item_page_shows_the_batch_as_a_link_and_each_signal_as_a_sentence(client, held, officers):
    batch, item = held
    client.force_login(officers["supervisor"])
    page = client.get(reverse("admin:supervision_reviewitem_change", args=[item.pk])).content.decode()
    assert reverse("admin:certificates_issuancebatch_change", args=[batch.pk]) in page
    assert "突击发证风险提示" in page and "<li>考评员配备不足：" in page
    assert "batch：" not in page and "signals：" not in page
    assert "放行（核发）" in page and "不予放行" in page


def test_released_in_the_admin_after_a_confirmation_page(client, held, officers):
    batch, item = held
    client.force_login(officers["supervisor"])
    close = reverse("admin:supervision_reviewitem_close", args=[item.pk])
    finding = "核实考评员配备，同意核发。"
    confirm = client.post(close, {"decision": "release", "finding": finding}).content.decode()
    assert "确认放行并办结" in confirm and finding in confirm
    batch.refresh_from_db()
    assert batch.status == IssuanceBatch.Status.HELD
    assert client.post(close, {"decision": "release", "finding": finding, "confirm": "1"}).status_code == 302
    batch.refresh_from_db()
    item.refresh_from_db()
    assert batch.status == IssuanceBatch.Status.APPROVED and item.status == ReviewItem.Status.CLOSED


# --- who a complaint may be handed to -----------------------------------------------------------


@pytest.fixture
def complaint(orgs, staff):
    return supervision.complaint_receive(
        actor=staff["officer_fj"],
        channel=Complaint.Channel.HOTLINE,
        received_at=datetime.datetime(2020, 9, 20, 10, tzinfo=datetime.UTC),
        content="考点未核对身份证。",
        station=orgs["xm1"],
    )


@pytest.fixture
def others(orgs):
    return {
        "clerk_xm2": UserFactory(username="clerk_xm2", station=orgs["xm2"], role=roles.STATION_CLERK),
        "supervisor_hn": UserFactory(username="supervisor_hn", centre=orgs["hn"], role=roles.SUPERVISOR),
        "officer_hn": UserFactory(username="officer_hn", centre=orgs["hn"], role=roles.CENTRE_OFFICER),
        "officer_fz": UserFactory(username="officer_fz", centre=orgs["fz"], role=roles.CENTRE_OFFICER),
        "retired": UserFactory(username="retired", centre=orgs["fj"], role=roles.SUPERVISOR, is_active=False),
        "supervisor_xm": UserFactory(username="supervisor_xm_2", centre=orgs["xm"], role=roles.SUPERVISOR),
    }


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("clerk", "是被举报鉴定站的人员"),
        ("examiner", "是被举报鉴定站的人员"),
        ("clerk_xm2", "是鉴定站人员"),
        ("supervisor_hn", "工作范围不包括被举报的鉴定站"),
        ("officer_hn", "工作范围不包括被举报的鉴定站"),
        ("officer_fz", "工作范围不包括被举报的鉴定站"),
        ("retired", "账号已停用"),
        ("sysadmin", "不是督导员或指导中心审核员"),
    ],
)
def test_a_complaint_is_not_handed_to_who_may_not_handle_it(complaint, staff, others, who, message):
    assignee = {**staff, **others}[who]
    with pytest.raises(RuleError, match=message):
        supervision.complaint_assign(actor=staff["officer_fj"], complaint=complaint, assignee=assignee)
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.RECEIVED and complaint.assigned_to is None


@pytest.mark.parametrize("who", ["supervisor_fj", "officer_fj", "officer_xm", "supervisor_xm"])
def test_a_complaint_is_handed_to_a_supervisor_or_officer_covering_the_station(complaint, staff, others, who):
    assignee = {**staff, **others}[who]
    complaint = supervision.complaint_assign(actor=staff["officer_fj"], complaint=complaint, assignee=assignee)
    assert (complaint.status, complaint.assigned_to) == (Complaint.Status.INVESTIGATING, assignee)


def test_a_complaint_naming_no_station_stays_in_the_receiving_centres_region(orgs, staff, others):
    complaint = supervision.complaint_receive(
        actor=None,
        channel=Complaint.Channel.PUBLIC_FORM,
        received_at=datetime.datetime(2020, 9, 20, 10, tzinfo=datetime.UTC),
        content="有人代考。",
    )
    # Received and handed on by Xiamen's officer: Xiamen's region (the province's people cover it).
    assignees = set(selectors.complaint_assignees(complaint, staff["officer_xm"]))
    assert {staff["supervisor_fj"], staff["officer_fj"], staff["officer_xm"], others["supervisor_xm"]} <= assignees
    assert not assignees & {others["officer_fz"], others["supervisor_hn"], others["officer_hn"], staff["clerk"]}
    with pytest.raises(RuleError, match="受理该举报的"):
        supervision.complaint_assign(actor=staff["officer_xm"], complaint=complaint, assignee=others["officer_fz"])


def test_the_assignee_choices_list_only_those_who_may_handle_it(client, complaint, staff, others):
    client.force_login(staff["supervisor_fj"])
    url = reverse("admin:supervision_complaint_change", args=[complaint.pk])
    choices = client.get(url).context["adminform"].form.fields["assignee"].queryset
    assert set(choices) == {staff["supervisor_fj"], staff["officer_fj"], staff["officer_xm"], others["supervisor_xm"]}
    page = client.get(url).content.decode()
    assert "（督导员，福建省中心）" in page and "（指导中心审核员，厦门市中心）" in page
    response = client.post(url, {"assignee": staff["clerk"].pk, "conclusion": ""})
    assert response.status_code == 200  # not a choice: refused, nothing saved
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.RECEIVED
