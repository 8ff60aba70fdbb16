"""Late entries (补录): an act dated inside a deadline but entered after the deadline day
ended plus the grace (``JIANDING_LATE_ENTRY_GRACE_HOURS``) is refused from the services,
the importer and the admin, unless a guidance-centre officer approved it first with a
reason; each accepted late entry raises a supervisor's review item with the gap in days.

Xiamen's hairdresser (美发师): last registration day 2020-09-30 (厦人社〔2020〕141号),
completion 2020-12-31 (闽人社办〔2020〕143号). Grace here: 6 hours (to 06:00 the next day)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from appraisals import services
from appraisals.importing import import_file
from appraisals.models import LateEntry, LateEntryApproval, Registration
from appraisals.rules import Code
from candidates.models import CandidateNotice
from kit import sms
from kit.errors import RuleError
from supervision.models import ReviewItem
from tests.appraisals.test_import_engine import csv_file, registration_rows
from tests.candidates.factories import CandidateFactory

pytestmark = pytest.mark.django_db
D = datetime.date
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def at(day: datetime.date, hour: int = 12, minute: int = 0):
    moment = datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)
    return time_machine.travel(moment, tick=False)


@pytest.fixture(autouse=True)
def grace(settings):
    settings.JIANDING_LATE_ENTRY_GRACE_HOURS = 6


def approve(staff, orgs, act=LateEntryApproval.Act.REGISTRATION, candidates=(), officer="officer_xm"):
    return services.late_entry_approve(
        actor=staff[officer],
        station=orgs["xm1"],
        act=act,
        reason="9月30日现场报名表漏录，经核对原始报名表补录",
        candidates=candidates,
        requested_by=staff["clerk"],
    )


def register(staff, announcement, candidate, day=D(2020, 9, 30), **kwargs):
    return services.registration_accept(
        actor=staff["clerk"], candidate=candidate, announcement=announcement, registration_date=day, **kwargs
    )


# --- the edges: the deadline day, deadline + grace, one minute after --------------------------------


@pytest.mark.parametrize(
    ("day", "hour", "minute", "late"),
    [
        (D(2020, 9, 30), 23, 59, False),  # on the deadline day
        (D(2020, 10, 1), 6, 0, False),  # the deadline plus the grace, to the minute
        (D(2020, 10, 1), 6, 1, True),  # one minute after
    ],
)
def test_a_registration_dated_on_the_last_day_is_late_only_after_the_grace(
    staff, announcement, candidate, day, hour, minute, late
):
    with at(day, hour, minute):
        if not late:
            registration = register(staff, announcement, candidate)
            assert registration.entered_at == datetime.datetime(
                day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI
            )
            assert not LateEntry.objects.exists()
            return
        with pytest.raises(RuleError) as refused:
            register(staff, announcement, candidate)
    assert refused.value.code == Code.LATE_ENTRY
    assert "补录须经批准：报名日期 2020-09-30 在截止日 2020-09-30（厦人社〔2020〕141号）之内" in refused.value.message
    assert "录入时间 2020-10-01 06:01 已过截止日及宽限期（至 2020-10-01 06:00）" in refused.value.message
    assert not Registration.objects.exists()


def test_the_grace_is_a_setting(settings, staff, announcement, candidate):
    settings.JIANDING_LATE_ENTRY_GRACE_HOURS = 0
    with at(D(2020, 10, 1), 0, 1), pytest.raises(RuleError, match="补录须经批准"):
        register(staff, announcement, candidate)


def test_a_registration_dated_after_the_deadline_is_refused_by_its_own_rule_not_as_a_late_entry(
    staff, announcement, candidate
):
    with at(D(2020, 11, 20)), pytest.raises(ValidationError) as refused:
        register(staff, announcement, candidate, day=D(2020, 10, 1))
    assert "最后受理日 2020-09-30" in str(refused.value)
    assert "补录" not in str(refused.value)


# --- approved late entries ----------------------------------------------------------------------


def test_an_approved_late_registration_is_accepted_and_flagged_for_supervision_with_the_gap(
    staff, orgs, announcement, candidate
):
    with at(D(2020, 11, 19)):
        approval = approve(staff, orgs, candidates=[candidate])
    with at(D(2020, 11, 20), 9, 30):
        registration = register(staff, announcement, candidate, day=D(2020, 9, 24), late_entry_approval=approval)

    entry = LateEntry.objects.get()
    assert (entry.record_id, entry.candidate, entry.act) == (registration.pk, candidate, "registration")
    assert (entry.act_date, entry.deadline, entry.gap_days) == (D(2020, 9, 24), D(2020, 9, 30), 51)
    assert entry.notice == "厦人社〔2020〕141号"
    approval.refresh_from_db()
    assert approval.used_by == staff["clerk"] and approval.used_at is not None
    item = ReviewItem.objects.get(kind=ReviewItem.Kind.LATE_ENTRY)
    assert item.station == orgs["xm1"]
    assert "截止日 2020-09-30 后 51 天录入" in item.summary
    assert item.evidence["gap_days"] == 51


def test_an_approval_is_used_once_and_only_for_what_it_names(staff, orgs, announcement, candidate):
    other = CandidateFactory(name="林晓", years_in_trade=2)
    with at(D(2020, 11, 19)):
        approval = approve(staff, orgs, candidates=[candidate])
        consent_approval = approve(staff, orgs, act=LateEntryApproval.Act.CONSENT)
    with at(D(2020, 11, 20)):
        with pytest.raises(RuleError, match="没有列入这位"):
            register(staff, announcement, other, late_entry_approval=approval)
        with pytest.raises(RuleError, match="批准的是自愿书补录，不是报名补录"):
            register(staff, announcement, candidate, late_entry_approval=consent_approval)
        register(staff, announcement, candidate, late_entry_approval=approval)
        with pytest.raises(RuleError, match="只能使用一次"):
            register(staff, announcement, other, late_entry_approval=approval)


def test_an_approval_expires(settings, staff, orgs, announcement, candidate):
    settings.JIANDING_LATE_ENTRY_APPROVAL_DAYS = 7
    with at(D(2020, 11, 1)):
        approval = approve(staff, orgs)
    with at(D(2020, 11, 20)), pytest.raises(RuleError, match="已于 2020-11-08 过期"):
        register(staff, announcement, candidate, late_entry_approval=approval)


def test_four_eyes_the_officer_approves_and_never_enters(staff, orgs, announcement, candidate):
    with at(D(2020, 11, 19)):
        with pytest.raises(RuleError, match="只有该鉴定站所属指导中心的审核员"):
            services.late_entry_approve(
                actor=staff["clerk2"], station=orgs["xm1"], act="registration", reason="漏录", requested_by=None
            )
        with pytest.raises(RuleError, match="不能批准自己申请的补录"):
            services.late_entry_approve(
                actor=staff["officer_xm"],
                station=orgs["xm1"],
                act="registration",
                reason="漏录",
                requested_by=staff["officer_xm"],
            )
        with pytest.raises(RuleError, match="必须写明理由"):
            services.late_entry_approve(actor=staff["officer_xm"], station=orgs["xm1"], act="registration", reason=" ")
        approval = approve(staff, orgs)
    with at(D(2020, 11, 20)), pytest.raises(RuleError, match="四眼原则"):
        services.registration_accept(
            actor=staff["officer_xm"],
            candidate=candidate,
            announcement=announcement,
            registration_date=D(2020, 9, 30),
            late_entry_approval=approval,
        )


# --- the other acts: consent, application, session, result ----------------------------------------


def test_every_act_goes_through_the_gate(case, staff, orgs):
    """Consent and application on time; scores of an exam held on 2020-12-30 entered on
    2021-01-02 (after 2020-12-31 plus the grace) only under an approval."""
    with at(D(2020, 9, 10)):
        case.register()
    with at(D(2020, 9, 11)):
        case.review()
    with at(D(2020, 9, 12)):
        case.consent()
    with at(D(2020, 10, 20)):
        case.apply()
    with at(D(2020, 10, 25)):
        case.approve()
    with at(D(2020, 11, 2)):
        case.schedule(D(2020, 12, 30))
    with at(D(2020, 12, 30)):
        case.seat().hold()
    with at(D(2021, 1, 2)):
        with pytest.raises(RuleError) as refused:
            case.score("80", "85", confirm=False)
        assert refused.value.code == Code.LATE_ENTRY
        assert "成绩日期 2020-12-30 在截止日 2020-12-31（闽人社办〔2020〕143号）之内" in refused.value.message
        approval = approve(staff, orgs, act=LateEntryApproval.Act.RESULT)
        result = services.result_enter(
            actor=staff["examiner"],
            registration=case.registration,
            theory_score=Decimal("80"),
            practical_score=Decimal("85"),
            late_entry_approval=approval,
        )
    entry = LateEntry.objects.get(act="result")
    assert (entry.record_id, entry.gap_days) == (result.pk, 2)
    assert ReviewItem.objects.filter(kind=ReviewItem.Kind.LATE_ENTRY, key=f"late:result:{result.pk}").exists()


def test_a_late_application_and_a_late_consent_are_refused_without_approval(case, staff, orgs):
    with at(D(2020, 9, 10)):
        case.register().review()
    with (
        at(D(2021, 1, 1), 7),
        pytest.raises(RuleError, match="补录须经批准：自愿书日期 2020-09-12 在截止日 2020-12-31"),
    ):
        case.consent()
    with at(D(2020, 9, 12)):
        case.consent()
    with at(D(2020, 11, 2)):
        with pytest.raises(RuleError, match="补录须经批准：鉴定申请日期 2020-10-30 在截止日 2020-10-31"):
            case.apply(D(2020, 10, 30))
        approval = approve(staff, orgs, act=LateEntryApproval.Act.APPLICATION)
        application = services.application_submit(
            actor=staff["clerk"],
            station=orgs["xm1"],
            registrations=[case.registration],
            submitted_date=D(2020, 10, 30),
            late_entry_approval=approval,
        )
    assert LateEntry.objects.get(act="application").record_id == application.pk


# --- the importer ---------------------------------------------------------------------------------


def test_the_importer_refuses_a_late_file_without_approval_and_takes_it_with_one(staff, orgs, announcement):
    data = csv_file(registration_rows(3, 报名日期="2020-09-24"))
    with at(D(2020, 11, 20)):
        refused = import_file(data, station=orgs["xm1"], actor=staff["clerk"], file_name="补录.csv")
        assert not refused.saved and Registration.objects.count() == 0
        assert [(e.row, e.column) for e in refused.errors] == [(2, "报名日期"), (3, "报名日期"), (4, "报名日期")]
        assert (
            "补录须经批准：报名日期 2020-09-24 在截止日 2020-09-30（厦人社〔2020〕141号）之内" in refused.errors[0].rule
        )

        approval = approve(staff, orgs)
        taken = import_file(
            data, station=orgs["xm1"], actor=staff["clerk"], file_name="补录.csv", late_entry_approval=approval
        )
    assert taken.saved and Registration.objects.count() == 3
    entries = LateEntry.objects.all()
    assert {e.gap_days for e in entries} == {51} and len(entries) == 3
    assert ReviewItem.objects.filter(kind=ReviewItem.Kind.LATE_ENTRY).count() == 3
    approval.refresh_from_db()
    assert approval.used_at is not None

    with at(D(2020, 11, 21)):
        again = import_file(
            csv_file(registration_rows(1, 报名日期="2020-09-25", 姓名="新考生")),
            station=orgs["xm1"],
            actor=staff["clerk"],
            late_entry_approval=approval,
        )
    assert not again.saved and "只能使用一次" in again.problem


def test_a_dry_run_with_an_approval_does_not_use_it(staff, orgs, announcement):
    with at(D(2020, 11, 20)):
        approval = approve(staff, orgs)
        report = import_file(
            csv_file(registration_rows(2, 报名日期="2020-09-24")),
            station=orgs["xm1"],
            actor=staff["clerk"],
            dry_run=True,
            late_entry_approval=approval,
        )
    assert report.ok and not report.saved
    approval.refresh_from_db()
    assert approval.used_at is None


def test_an_on_time_file_needs_no_approval(staff, orgs, announcement):
    with at(D(2020, 10, 1), 5, 59):
        report = import_file(
            csv_file(registration_rows(2, 报名日期="2020-09-30")), station=orgs["xm1"], actor=staff["clerk"]
        )
    assert report.saved and not LateEntry.objects.exists()


# --- the admin --------------------------------------------------------------------------------------


def test_the_admin_refuses_a_late_registration_and_takes_it_under_an_approval(
    client, staff, orgs, announcement, candidate
):
    client.force_login(staff["clerk"])
    person = {name: getattr(candidate, name) for name in ("id_number", "name", "phone", "education", "years_in_trade")}
    form = {**person, "announcement": announcement.pk, "registration_date": "2020-09-20", "fee": ""}
    with at(D(2020, 11, 20)):
        response = client.post(reverse("admin:appraisals_registration_add"), form)
        assert response.status_code == 200
        assert "补录须经批准" in response.content.decode()
        assert not Registration.objects.exists()

        approval = approve(staff, orgs, candidates=[candidate])
        response = client.post(
            reverse("admin:appraisals_registration_add"), {**form, "late_entry_approval": approval.pk}
        )
    assert response.status_code == 302
    assert LateEntry.objects.get().gap_days == 51


def test_officers_give_approvals_in_the_admin_and_clerks_cannot(client, staff, orgs):
    client.force_login(staff["clerk"])
    assert client.get(reverse("admin:appraisals_lateentryapproval_add")).status_code == 403
    client.force_login(staff["officer_xm"])
    with at(D(2020, 11, 19)):
        response = client.post(
            reverse("admin:appraisals_lateentryapproval_add"),
            {"station": orgs["xm1"].pk, "act": "registration", "reason": "漏录补录", "requested_by": staff["clerk"].pk},
        )
    assert response.status_code == 302
    approval = LateEntryApproval.objects.get()
    assert approval.approved_by == staff["officer_xm"] and approval.requested_by == staff["clerk"]


def test_a_refused_late_entry_tells_each_named_candidate_once_and_can_never_be_used(
    staff, orgs, announcement, candidate, django_capture_on_commit_callbacks
):
    other = CandidateFactory(name="林晓", phone="13700001111", years_in_trade=2)
    sms.outbox.clear()
    with at(D(2020, 11, 19)), django_capture_on_commit_callbacks(execute=True):
        refusal = services.late_entry_refuse(
            actor=staff["officer_xm"],
            station=orgs["xm1"],
            act=LateEntryApproval.Act.REGISTRATION,
            reason="报名表签署日期晚于截止日",
            candidates=[candidate, other],
            requested_by=staff["clerk"],
        )
    assert sorted(message.to for message in sms.outbox) == sorted([candidate.phone, other.phone])
    assert all("不予批准。理由：报名表签署日期晚于截止日" in message.text for message in sms.outbox)
    assert CandidateNotice.objects.filter(event=CandidateNotice.Event.LATE_ENTRY_REFUSED).count() == 2
    # A refusal never lets the entry in, nor is it offered on the registration form.
    with at(D(2020, 11, 20)), pytest.raises(RuleError, match="不予批准，不能据此录入"):
        register(staff, announcement, candidate, late_entry_approval=refusal)
    from appraisals.views_io import usable_approvals

    assert refusal not in usable_approvals([orgs["xm1"]])
    assert not sms.outbox[2:]  # nobody told twice


def test_a_refusal_names_its_candidates_and_is_the_centres_to_give(staff, orgs, candidate):
    with at(D(2020, 11, 19)):
        with pytest.raises(RuleError, match="须列出涉及的考生"):
            services.late_entry_refuse(
                actor=staff["officer_xm"], station=orgs["xm1"], act="registration", reason="晚于截止日", candidates=[]
            )
        with pytest.raises(RuleError, match="只有该鉴定站所属指导中心的审核员"):
            services.late_entry_refuse(
                actor=staff["clerk2"],
                station=orgs["xm1"],
                act="registration",
                reason="晚于截止日",
                candidates=[candidate],
            )
    assert not LateEntryApproval.objects.exists()


def test_the_daily_sweep_flags_a_late_entry_once(staff, orgs, announcement, candidate):
    from supervision.services import review_queue_refresh

    with at(D(2020, 11, 19)):
        approval = approve(staff, orgs)
    with at(D(2020, 11, 20)):
        register(staff, announcement, candidate, late_entry_approval=approval)
        ReviewItem.objects.filter(kind=ReviewItem.Kind.LATE_ENTRY).delete()  # as if the signal had missed it
        review_queue_refresh(actor=None, today=D(2020, 11, 21))
        review_queue_refresh(actor=None, today=D(2020, 11, 22))
    item = ReviewItem.objects.get(kind=ReviewItem.Kind.LATE_ENTRY)
    assert item.flagged_on == D(2020, 11, 21) and "后 51 天录入" in item.summary
