"""Students and apprentices who cannot finish before their occupation's appraisals end
are listed for routing to skill level recognition (职业技能等级认定)."""

import datetime

import pytest
from django.urls import reverse

from appraisals import services
from appraisals.selectors import trainees_to_route
from candidates.models import Candidate
from catalog.models import Occupation
from tests.candidates.factories import CandidateFactory

pytestmark = pytest.mark.django_db
D = datetime.date


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


def test_apprentices_are_listed_and_a_passed_case_is_not(case, staff):
    apprentice = trainee(staff["clerk"], D(2021, 6, 30), kind=Candidate.TraineeKind.NEW_APPRENTICE)
    assert [r.candidate for r in trainees_to_route()] == [apprentice]
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
            "referred_on": "2020-11-02",
            "referred_to": "厦门市美发美容行业协会（社会培训评价组织）",
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
            referred_on=D(2020, 11, 2),
            referred_to="某组织",
        )
