"""Students and apprentices who cannot finish before their occupation's appraisals end
are listed for routing to skill level recognition (职业技能等级认定)."""

import datetime

import pytest
from django.urls import reverse

from appraisals import services
from appraisals.models import SkillLevelReferral
from appraisals.selectors import referral_counts, trainees_to_route
from candidates.models import Candidate
from catalog.models import EvaluationOrganisation, Occupation, Region, Station
from tests.candidates.factories import CandidateFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture(autouse=True)
def before_the_cutoff(settings):
    """Ten days before Fujian's cut-off, unless a test says otherwise: nobody is late
    registering yet, so only the finishing date routes."""
    settings.JIANDING_BUSINESS_DATE = D(2020, 9, 20)


def organisation(name="厦门市美发美容行业协会", region="350200", occupations=("美发师",), **kwargs):
    org = EvaluationOrganisation.objects.create(
        name=name,
        region=Region.objects.get(code=region),
        contact_person="林老师",
        contact_phone="0592-5551234",
        **kwargs,
    )
    org.occupations.set(Occupation.objects.filter(name__in=occupations))
    return org


def trainee(clerk, finish, occupation="美发师", kind=Candidate.TraineeKind.SCHOOL_STUDENT):
    return CandidateFactory(
        trainee_kind=kind,
        school_or_enterprise="厦门技师学院",
        training_plan="美发专业三年制",
        expected_finish_date=finish,
        plan_occupation=Occupation.objects.get(name=occupation),
        created_by=clerk,
    )


@pytest.mark.parametrize(
    ("finish", "listed"), [(D(2020, 12, 30), False), (D(2020, 12, 31), False), (D(2021, 1, 1), True)]
)
def test_a_trainee_finishing_after_the_completion_deadline_is_listed(staff, finish, listed):
    person = trainee(staff["clerk"], finish)
    found = trainees_to_route()
    assert [(r.candidate, r.completion_deadline) for r in found] == ([(person, D(2020, 12, 31))] if listed else [])


def test_outside_fujian_the_national_completion_date_is_the_limit(orgs, staff):
    # 人社厅发〔2020〕80号 (上述有关工作请于今年年底前完成) sets 2020-12-31 for every region.
    # (Whether an unregistered trainee finishing between the exit day and the year end is
    # listed is the routing list's own rule: issue 13, referrals.)
    from catalog import roles
    from tests.factories import UserFactory

    changsha_clerk = UserFactory(username="clerk_cs", station=orgs["cs1"], role=roles.STATION_CLERK)
    person = trainee(changsha_clerk, D(2021, 1, 15), occupation="车工")  # batch 1: exits Sept 30
    assert [(r.candidate, r.completion_deadline) for r in trainees_to_route()] == [(person, D(2020, 12, 31))]


def test_access_type_occupations_need_no_routing(staff):
    trainee(staff["clerk"], D(2022, 7, 1), occupation="保安员")
    assert trainees_to_route() == []


def test_apprentices_are_listed_and_a_passed_case_is_not(settings, case, staff):
    apprentice = trainee(staff["clerk"], D(2021, 6, 30), kind=Candidate.TraineeKind.NEW_APPRENTICE)
    assert [r.candidate for r in trainees_to_route()] == [apprentice]
    settings.JIANDING_BUSINESS_DATE = None  # the exam is held in November
    case.candidate = apprentice
    case.candidate.years_in_trade = 2
    case.candidate.save()
    case.to_examined()
    case.score("80", "80")
    assert trainees_to_route() == []


def test_a_referral_takes_the_trainee_off_the_list_and_is_traced(staff, client):
    person = trainee(staff["clerk"], D(2021, 7, 1))
    client.force_login(staff["clerk"])
    listing = client.get(reverse("admin:appraisals_traineetoroute_changelist"))
    assert list(listing.context["cl"].result_list) == [person]
    assert "登记转介" in listing.content.decode()
    response = client.post(
        reverse("admin:appraisals_skilllevelreferral_add"),
        {
            "candidate": person.pk,
            "occupation": Occupation.objects.get(name="美发师").pk,
            "referred_on": "2020-09-20",
            "organisation": organisation().pk,
        },
    )
    assert response.status_code == 302
    assert trainees_to_route() == []
    assert person.referrals.get().history.first().history_user == staff["clerk"]


def test_only_trainees_can_be_referred(staff):
    with pytest.raises(services.RuleError, match="无须转介"):
        services.referral_record(
            actor=staff["clerk"],
            candidate=CandidateFactory(),
            occupation=Occupation.objects.get(name="美发师"),
            referred_on=D(2020, 9, 20),
            organisation=organisation(),
        )


# --- not registered by the cut-off --------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "listed"), [(D(2020, 9, 29), False), (D(2020, 9, 30), False), (D(2020, 10, 1), True)]
)
def test_an_unregistered_trainee_finishing_before_the_deadline_is_listed_after_the_cutoff(
    settings, staff, today, listed
):
    """The issue's case: a student of 美发师 finishing 2020-12-15 (before the completion
    deadline) who has not registered when Fujian's cut-off (2020-09-30) passes."""
    settings.JIANDING_BUSINESS_DATE = today
    person = trainee(staff["clerk"], D(2020, 12, 15))
    found = trainees_to_route()
    assert [(r.candidate, r.reason) for r in found] == ([(person, "cutoff")] if listed else [])
    if listed:
        assert "报名已于 2020-09-30 截止" in found[0].reason_text


def test_a_registered_trainee_is_not_listed_after_the_cutoff_but_a_withdrawn_one_is(settings, case, staff):
    person = trainee(staff["clerk"], D(2020, 12, 15))
    case.candidate = person
    case.register(D(2020, 9, 10))
    settings.JIANDING_BUSINESS_DATE = D(2020, 10, 1)
    assert trainees_to_route() == []
    services.registration_withdraw(
        actor=staff["clerk"],
        registration=case.registration,
        refund=services.RefundTerms(
            amount=case.registration.fee, refund_date=D(2020, 10, 1), method="cash", reason_kind="personal"
        ),
    )
    assert [(r.candidate, r.reason) for r in trainees_to_route()] == [(person, "cutoff")]


def test_a_trainee_finishing_after_the_deadline_is_listed_before_the_cutoff_too(staff):
    person = trainee(staff["clerk"], D(2021, 1, 1))
    assert [(r.candidate, r.reason) for r in trainees_to_route()] == [(person, "finish")]


# --- referrals to a recognised evaluation organisation ----------------------------------------------


def refer(staff, person, org, day=D(2020, 9, 20)):
    return services.referral_record(
        actor=staff["clerk"],
        candidate=person,
        occupation=Occupation.objects.get(name="美发师"),
        referred_on=day,
        organisation=org,
    )


def test_a_referral_needs_an_organisation_covering_the_occupation(staff):
    person = trainee(staff["clerk"], D(2021, 7, 1))
    beauty_only = organisation(name="美容评价中心", occupations=("美容师",))
    with pytest.raises(services.RuleError, match="未备案“美发师”"):
        refer(staff, person, beauty_only)
    assert not SkillLevelReferral.objects.exists()


def test_a_referral_needs_an_organisation_covering_the_region(staff):
    person = trainee(staff["clerk"], D(2021, 7, 1))  # entered by a Xiamen clerk
    fuzhou = organisation(name="福州美发协会", region="350100")
    with pytest.raises(services.RuleError, match="不覆盖厦门"):
        refer(staff, person, fuzhou)
    province = organisation(name="福建省美发协会", region="350000")  # above Xiamen: covers it
    assert refer(staff, person, province).organisation == province


def test_an_inactive_organisation_takes_no_referral(staff):
    person = trainee(staff["clerk"], D(2021, 7, 1))
    with pytest.raises(services.RuleError, match="已停用"):
        refer(staff, person, organisation(is_active=False))


def test_the_admin_form_refuses_a_non_covering_organisation(staff, client):
    person = trainee(staff["clerk"], D(2021, 7, 1))
    client.force_login(staff["clerk"])
    response = client.post(
        reverse("admin:appraisals_skilllevelreferral_add"),
        {
            "candidate": person.pk,
            "occupation": Occupation.objects.get(name="美发师").pk,
            "referred_on": "2020-09-20",
            "organisation": organisation(name="长沙美发协会", region="430100").pk,
        },
    )
    assert response.status_code == 200
    assert "不覆盖厦门" in response.content.decode()
    assert not SkillLevelReferral.objects.exists()


def outcome(staff, referral, status, day):
    return services.referral_outcome(actor=staff["clerk"], referral=referral, outcome=status, day=day)


def test_outcomes_accepted_then_certified_with_their_dates(settings, staff):
    person = trainee(staff["clerk"], D(2021, 7, 1))
    referral = refer(staff, person, organisation())
    S = SkillLevelReferral.Status
    with pytest.raises(services.RuleError, match="不能登记取证"):
        outcome(staff, referral, S.CERTIFIED, D(2020, 9, 20))
    with pytest.raises(services.RuleError, match="早于转介日期"):
        outcome(staff, referral, S.ACCEPTED, D(2020, 9, 19))
    with pytest.raises(services.RuleError, match="晚于今天"):
        outcome(staff, referral, S.ACCEPTED, D(2020, 9, 21))
    referral = outcome(staff, referral, S.ACCEPTED, D(2020, 9, 20))
    assert (referral.status, referral.accepted_on) == (S.ACCEPTED, D(2020, 9, 20))
    settings.JIANDING_BUSINESS_DATE = D(2021, 8, 1)
    referral = outcome(staff, referral, S.CERTIFIED, D(2021, 7, 20))
    assert (referral.status, referral.certified_on) == (S.CERTIFIED, D(2021, 7, 20))
    with pytest.raises(services.RuleError, match="不能登记未受理或终止"):
        outcome(staff, referral, S.DECLINED, D(2021, 8, 1))
    assert [h.status for h in referral.history.order_by("history_date")] == [S.REFERRED, S.ACCEPTED, S.CERTIFIED]
    assert trainees_to_route() == []


def test_a_declined_referral_puts_the_trainee_back_on_the_list_and_allows_another(staff):
    person = trainee(staff["clerk"], D(2021, 7, 1))
    referral = refer(staff, person, organisation())
    assert trainees_to_route() == []
    with pytest.raises(services.RuleError, match="不能重复转介"):
        refer(staff, person, organisation(name="另一家"))
    outcome(staff, referral, SkillLevelReferral.Status.DECLINED, D(2020, 9, 20))
    assert [r.candidate for r in trainees_to_route()] == [person]
    second = refer(staff, person, organisation(name="厦门技师学院评价站"))
    assert second.status == SkillLevelReferral.Status.REFERRED
    assert trainees_to_route() == []


def test_the_dashboard_counts_routing_and_referrals(settings, staff, client, orgs):
    waiting = trainee(staff["clerk"], D(2021, 7, 1))
    accepted = refer(staff, trainee(staff["clerk"], D(2021, 7, 2)), organisation())
    outcome(staff, accepted, SkillLevelReferral.Status.ACCEPTED, D(2020, 9, 20))
    refer(staff, trainee(staff["clerk"], D(2021, 7, 3)), organisation(name="第二家"))
    counts = referral_counts(Station.objects.filter(pk=orgs["xm1"].pk))
    assert (counts.to_route, counts.referred, counts.accepted, counts.certified, counts.declined) == (1, 1, 1, 0, 0)
    assert referral_counts(Station.objects.filter(pk=orgs["fz1"].pk)).total == 0
    assert waiting.pk
    client.force_login(staff["officer_fj"])
    page = client.get(reverse("supervision_dashboard")).content.decode()
    assert "学生和学徒转介职业技能等级认定" in page
