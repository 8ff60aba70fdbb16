"""按身份证号报名: the registration add form takes the person by ID number, enters or
updates them and registers them in one step, and tells a clerk nothing another station
knows about the person."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from appraisals import services
from appraisals.models import Registration
from candidates.models import Candidate
from catalog import roles
from tests.candidates.factories import CandidateFactory, make_id_number
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
ADD_URL = "admin:appraisals_registration_add"
NEW_ID = make_id_number(D(1995, 6, 15), 246)


def at_noon(day):
    return time_machine.travel(datetime.datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI), tick=False)


def form_data(announcement, day=D(2020, 9, 10), **person):
    return {
        "id_number": NEW_ID,
        "name": "林晓燕",
        "phone": "13912345678",
        "education": Candidate.Education.SENIOR,
        "years_in_trade": "2",
        "diploma": "",
        "prior_certificate_level": "",
        "prior_certificate_number": "",
        "prior_certificate_date": "",
        "announcement": announcement.pk,
        "registration_date": day.isoformat(),
        "fee": "",
        **person,
    }


def form_errors(response):
    assert response.status_code == 200, "the form should have been shown again with its errors"
    return response.context["adminform"].form.errors


def visible_candidates(user):
    request = RequestFactory().get("/")
    request.user = user
    return site._registry[Candidate].get_queryset(request)


@pytest.fixture
def counts():
    return lambda: (Candidate.objects.count(), Registration.objects.count())


@pytest.fixture
def other_station(orgs, staff, hairdresser):
    """Station xm2, its clerk, and its own announcement of the same appraisal."""
    clerk = UserFactory(username="clerk_xm2", station=orgs["xm2"], role=roles.STATION_CLERK)
    announcement = services.announcement_publish(
        actor=clerk, station=orgs["xm2"], occupation=hairdresser, level="5", publish_date=D(2020, 9, 1)
    )
    return {"clerk": clerk, "announcement": announcement}


@pytest.fixture
def known_elsewhere(other_station):
    """A person entered and registered at xm2, with details the xm1 clerk has never seen."""
    person = CandidateFactory(
        name="王秀英",
        id_number=make_id_number(D(1988, 3, 8), 402),
        phone="13700001111",
        education=Candidate.Education.COLLEGE,
        years_in_trade=7,
        diploma=Candidate.Diploma.TECHNICAL_SCHOOL,
        prior_certificate_level="5",
        prior_certificate_number="ZS-XM2-0417",
        created_by=other_station["clerk"],
    )
    services.registration_accept(
        actor=other_station["clerk"],
        candidate=person,
        announcement=other_station["announcement"],
        registration_date=D(2020, 9, 5),
    )
    return person


def test_a_new_person_and_their_registration_come_from_one_form(client, staff, announcement):
    client.force_login(staff["clerk"])
    page = client.get(reverse(ADD_URL)).content.decode()
    assert "公民身份号码" in page and 'name="candidate"' not in page

    response = client.post(reverse(ADD_URL), form_data(announcement, id_number=f" {NEW_ID[:6]} {NEW_ID[6:]} "))

    assert response.status_code == 302
    person = Candidate.objects.get()
    assert (person.id_number, person.name, person.phone, person.years_in_trade) == (NEW_ID, "林晓燕", "13912345678", 2)
    assert person.created_by == staff["clerk"]
    registration = Registration.objects.get()
    assert (registration.candidate, registration.station) == (person, announcement.station)
    assert registration.fee == Decimal("200.00")
    assert registration.history.first().history_user == staff["clerk"]
    assert person in visible_candidates(staff["clerk"])


def test_a_person_known_at_another_station_is_registered_here_without_seeing_their_record(
    client, staff, announcement, known_elsewhere
):
    stored = known_elsewhere
    client.force_login(staff["clerk"])
    assert stored not in visible_candidates(staff["clerk"])  # before: the old form could not offer them

    response = client.post(
        reverse(ADD_URL),
        form_data(announcement, id_number=stored.id_number, name="王秀英", phone="13811112222", years_in_trade="8"),
        follow=True,
    )

    assert response.status_code == 200
    page = response.content.decode()
    for secret in ("13700001111", "ZS-XM2-0417", "技工学校毕业", stored.id_number):
        assert secret not in page
    registration = Registration.objects.get(station=staff["clerk"].station)
    assert registration.candidate == stored
    stored.refresh_from_db()
    # What the clerk typed is saved; what they left blank keeps the record's value.
    assert (stored.phone, stored.years_in_trade) == ("13811112222", 8)
    assert stored.diploma == Candidate.Diploma.TECHNICAL_SCHOOL
    assert (stored.prior_certificate_level, stored.prior_certificate_number) == ("5", "ZS-XM2-0417")
    assert Candidate.objects.count() == 1
    assert stored in visible_candidates(staff["clerk"])  # through the registration at xm1


def test_the_add_form_shows_nothing_of_a_known_person(client, staff, known_elsewhere):
    client.force_login(staff["clerk"])
    page = client.get(reverse(ADD_URL), {"id_number": known_elsewhere.id_number}).content.decode()
    for secret in ("王秀英", "13700001111", "ZS-XM2-0417"):
        assert secret not in page


def test_a_name_that_does_not_match_the_id_number_is_refused_and_nothing_is_saved(
    client, staff, announcement, known_elsewhere, counts
):
    client.force_login(staff["clerk"])
    before = counts()

    response = client.post(
        reverse(ADD_URL),
        form_data(announcement, id_number=known_elsewhere.id_number, name="王秀华", phone="13811112222"),
    )

    errors = form_errors(response)
    assert errors["name"] == ["姓名与该公民身份号码已登记的姓名不一致，请核对公民身份号码和姓名。"]
    page = response.content.decode()
    assert "王秀英" not in page and "13700001111" not in page
    assert counts() == before
    known_elsewhere.refresh_from_db()
    assert (known_elsewhere.name, known_elsewhere.phone) == ("王秀英", "13700001111")


def test_a_name_typed_with_spaces_or_full_width_is_the_same_name(client, staff, announcement, known_elsewhere):
    client.force_login(staff["clerk"])
    response = client.post(
        reverse(ADD_URL), form_data(announcement, id_number=known_elsewhere.id_number, name="王　秀英 ")
    )
    assert response.status_code == 302
    known_elsewhere.refresh_from_db()
    assert known_elsewhere.name == "王秀英"  # the record's spelling stays


def test_a_wrong_check_digit_is_an_error_on_the_id_number(client, staff, announcement, counts):
    client.force_login(staff["clerk"])
    wrong = NEW_ID[:-1] + ("0" if NEW_ID[-1] != "0" else "1")

    errors = form_errors(client.post(reverse(ADD_URL), form_data(announcement, id_number=wrong)))

    assert errors["id_number"] == ["公民身份号码校验码错误（第18位与前17位不符），请核对"]
    assert counts() == (0, 0)


def test_a_bad_phone_is_an_error_on_the_phone(client, staff, announcement, counts):
    client.force_login(staff["clerk"])
    errors = form_errors(client.post(reverse(ADD_URL), form_data(announcement, phone="0592-1234567")))
    assert list(errors) == ["phone"]
    assert "手机号应为11位" in errors["phone"][0]
    assert counts() == (0, 0)


def test_a_certificate_number_without_its_level_is_refused_whatever_is_on_record(
    client, staff, announcement, known_elsewhere, counts
):
    client.force_login(staff["clerk"])
    before = counts()
    data = form_data(announcement, id_number=known_elsewhere.id_number, name="王秀英", prior_certificate_number="X-1")
    errors = form_errors(client.post(reverse(ADD_URL), data))
    assert "必须选择证书等级" in errors["prior_certificate_level"][0]
    assert counts() == before


@pytest.mark.parametrize(("today", "ok"), [(D(2020, 9, 30), True), (D(2020, 10, 1), False)])
def test_after_the_cut_off_the_registration_is_refused_and_no_person_is_saved(
    client, staff, announcement, counts, today, ok
):
    client.force_login(staff["clerk"])
    with at_noon(today):
        initial = client.get(reverse(ADD_URL)).context["adminform"].form.initial["registration_date"]
        response = client.post(reverse(ADD_URL), form_data(announcement, day=initial))
    if ok:
        assert response.status_code == 302
        assert counts() == (1, 1)
    else:
        assert "最后受理日 2020-09-30" in str(form_errors(response)["registration_date"])
        assert counts() == (0, 0)


def test_a_registration_refused_by_the_service_saves_no_new_person(client, staff, announcement, counts):
    client.force_login(staff["clerk"])
    fifteen = make_id_number(D(2005, 1, 1), 135)  # 15 on the registration date

    errors = form_errors(client.post(reverse(ADD_URL), form_data(announcement, id_number=fifteen)))

    assert errors["id_number"] == ["报名日期时考生未满16周岁"]
    assert counts() == (0, 0)


def test_a_refused_registration_leaves_a_known_person_as_they_were(client, staff, announcement, case, counts):
    case.register()
    client.force_login(staff["clerk"])
    person = case.candidate
    before = counts()

    response = client.post(
        reverse(ADD_URL), form_data(announcement, id_number=person.id_number, name=person.name, phone="13600006666")
    )

    assert "该考生已报名这次鉴定，不能重复报名。" in form_errors(response)["__all__"]
    assert counts() == before
    person.refresh_from_db()
    assert person.phone != "13600006666"


def test_a_guidance_centre_officer_registers_at_the_announcements_station(client, staff, announcement):
    client.force_login(staff["officer_xm"])

    response = client.post(reverse(ADD_URL), form_data(announcement))

    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.station == announcement.station
    assert registration.registered_by == staff["officer_xm"]
    assert registration.candidate in visible_candidates(staff["clerk"])


def test_a_clerk_cannot_register_onto_another_stations_announcement(client, other_station, announcement, counts):
    client.force_login(other_station["clerk"])
    before = counts()
    errors = form_errors(client.post(reverse(ADD_URL), form_data(announcement)))
    assert "announcement" in errors
    assert counts() == before


# --- the service the form calls ------------------------------------------------------------------


def test_the_service_keeps_the_records_spelling_and_what_was_left_blank(staff, announcement, known_elsewhere):
    from appraisals.registering import registration_accept_by_id_number

    registration = registration_accept_by_id_number(
        actor=staff["clerk"],
        id_number=f" {known_elsewhere.id_number.lower()} ",
        name="王 秀英",
        announcement=announcement,
        registration_date=D(2020, 9, 10),
        phone="",
        education=None,
    )

    known_elsewhere.refresh_from_db()
    assert registration.candidate == known_elsewhere and registration.station == announcement.station
    assert (known_elsewhere.name, known_elsewhere.phone) == ("王秀英", "13700001111")


def test_the_service_refuses_another_name_and_saves_nothing(staff, announcement, known_elsewhere, counts):
    from django.core.exceptions import ValidationError

    from appraisals.registering import NAME_MISMATCH, registration_accept_by_id_number

    before = counts()
    with pytest.raises(ValidationError) as refused:
        registration_accept_by_id_number(
            actor=staff["clerk"],
            id_number=known_elsewhere.id_number,
            name="王秀华",
            announcement=announcement,
            registration_date=D(2020, 9, 10),
        )
    assert refused.value.message_dict == {"name": [NAME_MISMATCH]}
    assert counts() == before
