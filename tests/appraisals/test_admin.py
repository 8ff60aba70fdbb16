"""The clerk's admin screens: rules cannot be bypassed from a form or a bulk action,
and every row of a bulk action is reported."""

import datetime
import re

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from appraisals import services
from appraisals.models import Registration
from catalog import roles
from tests.candidates.factories import CandidateFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date
S = Registration.Status
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def at_noon(day):
    return time_machine.travel(datetime.datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI), tick=False)


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def add_registration(client, announcement, candidate, day):
    # The add form takes the person by ID number (see test_register_by_id.py).
    person = {name: getattr(candidate, name) for name in ("id_number", "name", "phone", "education", "years_in_trade")}
    return client.post(
        reverse("admin:appraisals_registration_add"),
        {**person, "announcement": announcement.pk, "registration_date": day.isoformat(), "fee": ""},
    )


def test_a_registration_after_the_cut_off_is_refused_by_the_form_and_nothing_is_saved(client, staff, announcement):
    client.force_login(staff["clerk"])
    response = add_registration(client, announcement, CandidateFactory(created_by=staff["clerk"]), D(2020, 10, 1))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "最后受理日 2020-09-30" in str(errors["registration_date"])
    assert Registration.objects.count() == 0


def test_a_valid_registration_is_saved_through_the_service(client, staff, announcement):
    client.force_login(staff["clerk"])
    response = add_registration(client, announcement, CandidateFactory(created_by=staff["clerk"]), D(2020, 9, 30))
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.station == announcement.station
    assert registration.fee == announcement.fee
    assert registration.history.first().history_user == staff["clerk"]


def test_a_clerk_cannot_register_onto_another_stations_announcement(client, staff, orgs, announcement):
    other = UserFactory(username="clerk_xm2", station=orgs["xm2"], role=roles.STATION_CLERK)
    client.force_login(other)
    response = add_registration(client, announcement, CandidateFactory(created_by=other), D(2020, 9, 10))
    assert response.status_code == 200
    assert "announcement" in response.context["adminform"].form.errors
    assert Registration.objects.count() == 0


def test_a_crafted_url_to_another_stations_registration_is_refused(client, staff, orgs, case):
    case.register()
    other = UserFactory(username="clerk_xm2", station=orgs["xm2"], role=roles.STATION_CLERK)
    client.force_login(other)
    assert client.get(reverse("admin:appraisals_registration_change", args=[case.registration.pk])).status_code == 302
    history = client.get(reverse("admin:appraisals_registration_history", args=[case.registration.pk]))
    # As the object's own page: back to the home with “不存在”, the trace not shown.
    assert history.status_code == 302 and case.candidate.name not in client.get(history.url).content.decode()
    listing = client.get(reverse("admin:appraisals_registration_changelist"))
    assert list(listing.context["cl"].result_list) == []


def test_the_list_masks_id_numbers_and_finds_by_the_full_number(client, staff, case):
    case.register()
    client.force_login(staff["clerk"])
    full = case.candidate.id_number
    response = client.get(reverse("admin:appraisals_registration_changelist"), {"q": full})
    assert list(response.context["cl"].result_list) == [case.registration]
    page = response.content.decode()
    start = page.index("<tbody>")  # the rows; the header links echo the clerk's own query
    table = re.sub(r'href="[^"]*"', "", page[start : page.index("</tbody>", start)])
    assert f"{full[:6]}********{full[-4:]}" in table
    assert full not in table


def test_the_case_page_shows_the_whole_case(client, staff, case):
    case.to_examined()
    case.score("50", "80")
    client.force_login(staff["clerk"])
    page = client.get(reverse("admin:appraisals_registration_change", args=[case.registration.pk])).content.decode()
    for part in ("资格审查", "职业技能鉴定自愿书", "座位编排", "鉴定成绩", "不合格", "50.0"):
        assert part in page


def test_bulk_review_reports_each_row(client, staff, announcement):
    from appraisals import services

    rows = [
        services.registration_accept(
            actor=staff["clerk"],
            candidate=CandidateFactory(name=name, years_in_trade=years),
            announcement=announcement,
            registration_date=D(2020, 9, 10),
        )
        for name, years in (("甲", 3), ("乙", 0))
    ]
    services.eligibility_review(actor=staff["clerk"], registration=rows[0], review_date=D(2020, 9, 11))
    client.force_login(staff["clerk"])
    with at_noon(D(2020, 9, 12)):
        response = client.post(
            reverse("admin:appraisals_registration_changelist"),
            {"action": "review_eligibility", "_selected_action": [r.pk for r in rows]},
            follow=True,
        )
    messages = texts(response)
    rows[1].refresh_from_db()
    assert rows[1].status == S.INELIGIBLE
    # The review that found 乙 ineligible is reported as such, with its reason, not as a success.
    findings = rows[1].eligibility_review.findings
    assert any("资格审查：通过 0 人，未通过 1 人（乙（" in m and findings in m for m in messages)
    assert any("拒绝 1 条" in m and "甲" in m and "资格审查通过”，不能进行资格审查" in m for m in messages)


@pytest.mark.parametrize(("today", "ok"), [(D(2020, 10, 30), True), (D(2020, 10, 31), True), (D(2020, 11, 1), False)])
def test_bulk_application_on_frozen_days_around_october_31(client, staff, case, today, ok):
    case.register().review().consent()
    client.force_login(staff["clerk"])
    with at_noon(today):
        response = client.post(
            reverse("admin:appraisals_registration_changelist"),
            {"action": "submit_application", "_selected_action": [case.registration.pk]},
            follow=True,
        )
    assert case.refresh().status == (S.APPLIED if ok else S.CONSENTED)
    if not ok:
        assert any("2020-10-31 前（含当日）提交" in m for m in texts(response))


def test_bulk_withdrawal_is_refused_after_the_exam(client, staff, case):
    case.to_examined()
    client.force_login(staff["clerk"])
    response = client.post(
        reverse("admin:appraisals_registration_changelist"),
        {"action": "withdraw_with_full_refund", "_selected_action": [case.registration.pk]},
        follow=True,
    )
    assert any("不能放弃鉴定并退费" in m for m in texts(response))
    assert case.refresh().status == S.EXAMINED


def test_the_person_who_entered_scores_cannot_confirm_them(client, staff, case):
    case.to_examined()
    result = case.score("70", "70", confirm=False)
    staff["examiner"].groups.add(*staff["clerk"].groups.all())
    client.force_login(staff["examiner"])
    response = client.post(
        reverse("admin:appraisals_examresult_changelist"),
        {"action": "confirm", "_selected_action": [result.pk]},
        follow=True,
    )
    assert any("另一人复核" in m for m in texts(response))
    result.refresh_from_db()
    assert result.confirmed_at is None


def test_the_registration_list_runs_a_fixed_number_of_queries(
    client, staff, announcement, django_assert_max_num_queries
):
    from appraisals import services

    for _ in range(30):
        services.registration_accept(
            actor=staff["clerk"],
            candidate=CandidateFactory(),
            announcement=announcement,
            registration_date=D(2020, 9, 10),
        )
    client.force_login(staff["clerk"])
    with django_assert_max_num_queries(20):
        response = client.get(reverse("admin:appraisals_registration_changelist"))
    assert len(response.context["cl"].result_list) == 30


def test_the_registration_list_filters_offer_only_stations_in_scope_and_their_announced_occupations(
    client, staff, orgs, announcement
):
    from catalog.models import Occupation

    def publish(station, name):
        services.announcement_publish(
            actor=staff["officer_fj"],
            station=orgs[station],
            occupation=Occupation.objects.get(name=name),
            level="5",
            publish_date=datetime.date(2020, 9, 1),
        )

    publish("xm1", "美容师")
    publish("fz1", "保育员")  # another city's station
    client.force_login(staff["officer_xm"])
    response = client.get(reverse("admin:appraisals_registration_changelist"))
    filters = {getattr(spec, "field_path", ""): spec for spec in response.context["cl"].filter_specs}

    assert sorted(label for _, label in filters["announcement__occupation"].lookup_choices) == ["美发师", "美容师"]
    stations = {label for _, label in filters["station"].lookup_choices}
    assert str(orgs["xm1"]) in stations and str(orgs["fz1"]) not in stations


def test_the_station_column_is_shown_only_to_users_who_see_several_stations(client, staff, announcement):
    url = reverse("admin:appraisals_registration_changelist")
    client.force_login(staff["clerk"])
    assert "station" not in client.get(url).context["cl"].list_display
    client.force_login(staff["officer_xm"])
    assert "station" in client.get(url).context["cl"].list_display
