"""The candidate admin: masked ID and mobile numbers unless the user may see them, exact
search by ID number, saving through the services."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from candidates.models import Candidate
from catalog import roles
from tests.candidates.factories import CandidateFactory, make_id_number
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ID = make_id_number(datetime.date(1990, 1, 1), 123)  # 35020319900101123X
MASKED_ID = "350203********123X"
PHONE, MASKED_PHONE = "13812345678", "138****5678"
CHANGELIST = reverse("admin:candidates_candidate_changelist")


@pytest.fixture
def candidate(people):
    # Entered at station XM001: visible there, not elsewhere, until a registration says otherwise.
    return CandidateFactory(name="林小明", id_number=ID, phone=PHONE, created_by=people["clerk"])


@pytest.fixture
def limited_clerk(orgs):
    """A station user who may manage candidates but holds no view_full_id_number."""
    user = UserFactory(username="limited", station=orgs["xm1"])
    codenames = ["view_candidate", "add_candidate", "change_candidate"]
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="candidates", codename__in=codenames))
    return user


def page(client, user, url, **params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_list_shows_masked_numbers_without_the_permission(client, limited_clerk, candidate):
    html = page(client, limited_clerk, CHANGELIST)
    assert MASKED_ID in html and MASKED_PHONE in html
    assert ID not in html and PHONE not in html


def test_a_station_clerk_sees_masked_numbers(client, people, candidate):
    assert not Group.objects.get(name=roles.STATION_CLERK).permissions.filter(codename="view_full_id_number").exists()
    html = page(client, people["clerk"], CHANGELIST)
    assert MASKED_ID in html and ID not in html


def test_the_list_shows_full_numbers_with_the_permission(client, people, candidate):
    html = page(client, people["sysadmin"], CHANGELIST)
    assert ID in html and PHONE in html


def test_search_by_the_full_id_number_finds_the_candidate(client, limited_clerk, candidate):
    CandidateFactory(name="王五")
    client.force_login(limited_clerk)
    for typed in [ID, ID.lower(), "３５０２０３ １９９００１０１ １２３Ｘ"]:
        response = client.get(CHANGELIST, {"q": typed})
        assert list(response.context["cl"].result_list) == [candidate]


def test_search_by_a_fragment_of_the_id_number_finds_nobody(client, limited_clerk, candidate):
    client.force_login(limited_clerk)
    assert list(client.get(CHANGELIST, {"q": ID[:10]}).context["cl"].result_list) == []


def test_search_by_name_and_by_phone(client, limited_clerk, candidate):
    CandidateFactory(name="王五")
    client.force_login(limited_clerk)
    assert list(client.get(CHANGELIST, {"q": "小明"}).context["cl"].result_list) == [candidate]
    assert list(client.get(CHANGELIST, {"q": "138 1234 5678"}).context["cl"].result_list) == [candidate]


def test_list_filters(client, people, candidate):
    apprentice = CandidateFactory(
        trainee_kind=Candidate.TraineeKind.NEW_APPRENTICE,
        school_or_enterprise="厦门某企业",
        expected_finish_date=datetime.date(2021, 6, 30),
    )
    client.force_login(people["sysadmin"])
    response = client.get(CHANGELIST, {"trainee_kind__exact": Candidate.TraineeKind.NEW_APPRENTICE})
    assert list(response.context["cl"].result_list) == [apprentice]


def test_the_change_form_shows_the_numbers_masked_and_read_only(client, limited_clerk, candidate):
    url = reverse("admin:candidates_candidate_change", args=[candidate.pk])
    html = page(client, limited_clerk, url)
    assert MASKED_ID in html and MASKED_PHONE in html
    assert ID not in html and PHONE not in html
    assert 'name="id_number"' not in html and 'name="phone"' not in html


def test_a_limited_clerk_can_still_change_the_other_fields(client, limited_clerk, candidate):
    client.force_login(limited_clerk)
    response = client.post(
        reverse("admin:candidates_candidate_change", args=[candidate.pk]),
        {
            "name": "林晓明",
            "education": Candidate.Education.COLLEGE,
            "years_in_trade": 4,
            "diploma": "none",
            "trainee_kind": "none",
        },
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert (candidate.name, candidate.id_number, candidate.phone) == ("林晓明", ID, PHONE)
    assert candidate.history.first().history_user == limited_clerk


def test_the_history_pages_do_not_show_the_full_number(client, limited_clerk, candidate):
    client.force_login(limited_clerk)
    html = page(client, limited_clerk, reverse("admin:candidates_candidate_history", args=[candidate.pk]))
    assert ID not in html
    record = candidate.history.first()
    url = reverse("admin:candidates_candidate_simple_history", args=[candidate.pk, record.history_id])
    response = client.get(url)
    assert response.status_code == 200
    assert ID not in response.content.decode()


def test_adding_through_the_admin_normalises_and_records_the_user(client, people):
    client.force_login(people["sysadmin"])
    response = client.post(
        reverse("admin:candidates_candidate_add"),
        {
            "name": "陈一",
            "id_number": "３５０２０３１９９００１０１１２３ｘ",
            "phone": "138 1234 5678",
            "education": Candidate.Education.BACHELOR,
            "years_in_trade": 2,
            "diploma": "none",
            "trainee_kind": "none",
        },
    )
    assert response.status_code == 302, response.content.decode()
    candidate = Candidate.objects.get()
    assert (candidate.id_number, candidate.phone, candidate.sex) == (ID, PHONE, Candidate.Sex.MALE)
    assert candidate.history.get().history_user == people["sysadmin"]


def test_the_add_form_reports_an_excel_number(client, people):
    client.force_login(people["sysadmin"])
    response = client.post(
        reverse("admin:candidates_candidate_add"),
        {
            "name": "陈一",
            "id_number": "3.50203199001011E+17",
            "phone": PHONE,
            "education": "senior",
            "years_in_trade": 0,
        },
    )
    assert response.status_code == 200
    assert "身份证号被 Excel 存成了数字" in response.content.decode()
    assert not Candidate.objects.exists()


def test_a_clerk_of_another_station_does_not_see_the_candidate(client, candidate, orgs):
    other = UserFactory(username="clerk_xm2", station=orgs["xm2"], role=roles.STATION_CLERK)
    client.force_login(other)
    response = client.get(reverse("admin:candidates_candidate_changelist"))
    assert list(response.context["cl"].result_list) == []
    assert client.get(reverse("admin:candidates_candidate_change", args=[candidate.pk])).status_code == 302


def test_a_registration_makes_the_candidate_visible_at_that_station(client, candidate, orgs, people):
    import datetime

    from appraisals import services
    from catalog.models import Occupation

    other = UserFactory(username="clerk_xm2b", station=orgs["xm2"], role=roles.STATION_CLERK)
    announcement = services.announcement_publish(
        actor=other,
        station=orgs["xm2"],
        occupation=Occupation.objects.get(name="育婴员"),
        level="5",
        publish_date=datetime.date(2020, 9, 1),
    )
    services.registration_accept(
        actor=other, candidate=candidate, announcement=announcement, registration_date=datetime.date(2020, 9, 2)
    )
    client.force_login(other)
    response = client.get(reverse("admin:candidates_candidate_changelist"))
    assert list(response.context["cl"].result_list) == [candidate]
