"""The supervisors' dashboard: charts and per-station figures, scoped to the user."""

import datetime

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
D = datetime.date


def test_the_dashboard_charts_registrations_with_the_cut_off_marked(client, staff, case):
    case.to_examined()
    case.score("80", "80")
    client.force_login(staff["supervisor_fj"])
    response = client.get(reverse("supervision_dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<svg" in page and "报名截止 09-30" in page
    assert "2020-09-10：1" in page  # the bar's tooltip
    [row] = response.context["rows"]
    assert (row["station"], row["figures"].registrations, row["figures"].passed) == ("厦门一站", 1, 1)
    assert "100%" in str(row["pass_rate"])


def test_filters_narrow_the_figures(client, staff, case):
    case.register()
    client.force_login(staff["supervisor_fj"])
    response = client.get(reverse("supervision_dashboard"), {"date_from": "2020-09-11"})
    assert response.context["total"] == 0
    fuzhou = case.orgs["fz1"].region
    response = client.get(reverse("supervision_dashboard"), {"region": fuzhou.pk})
    assert response.context["rows"] == []


def test_each_user_sees_only_their_stations(client, staff, orgs, case):
    from catalog import roles
    from tests.factories import UserFactory

    case.register()
    other = UserFactory(username="clerk_xm2", station=orgs["xm2"], role=roles.STATION_CLERK)
    client.force_login(other)
    assert client.get(reverse("supervision_dashboard")).context["total"] == 0
    client.force_login(staff["clerk"])
    assert client.get(reverse("supervision_dashboard")).context["total"] == 1


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(reverse("supervision_dashboard"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_chosen_dates_come_back_in_iso_form_for_the_date_picker(client, staff, case):
    case.register()
    client.force_login(staff["supervisor_fj"])
    page = client.get(reverse("supervision_dashboard"), {"date_from": "2020-09-01", "date_to": "2020-09-30"})
    html = page.content.decode()
    assert 'type="date" name="date_from" value="2020-09-01"' in html and page.context["total"] == 1


def test_an_invalid_choice_is_ignored_and_the_others_still_filter(client, staff, case):
    case.register()
    client.force_login(staff["clerk"])
    hunan = case.orgs["cs1"].region  # outside the clerk's stations: not a choice
    response = client.get(reverse("supervision_dashboard"), {"region": hunan.pk, "date_from": "2020-09-11"})
    assert "region" in response.context["form"].errors
    assert response.context["total"] == 0  # the valid date still narrows


def test_the_region_and_occupation_choices_are_the_users(client, staff, case):
    case.register()
    client.force_login(staff["clerk"])
    form = client.get(reverse("supervision_dashboard")).context["form"]
    assert {r.code for r in form.fields["region"].queryset} == {"350200", "350000"}
    assert [o.name for o in form.fields["occupation"].queryset] == ["美发师"]


def test_the_page_links_to_the_supervision_lists_the_user_may_open(client, staff):
    client.force_login(staff["supervisor_fj"])
    links = dict((title, url) for url, title in client.get(reverse("supervision_dashboard")).context["links"])
    assert links["督导复核事项"] == reverse("supervision_review_queue")
    assert links["举报"] == reverse("admin:supervision_complaint_changelist")
