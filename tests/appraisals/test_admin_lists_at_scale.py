"""The lists as a province uses them: a capped count, names found by how clerks type them,
stations picked by typing, and a fixed number of queries whatever the page."""

import datetime

import pytest
from django.urls import reverse

from appraisals import services
from catalog import admin_scope
from tests.candidates.factories import CandidateFactory
from tests.lists import cap_lists

D = datetime.date
REGISTRATIONS = reverse("admin:appraisals_registration_changelist")
CANDIDATES = reverse("admin:candidates_candidate_changelist")


def register(staff, announcement, *names):
    return [
        services.registration_accept(
            actor=staff["clerk"],
            candidate=CandidateFactory(name=name),
            announcement=announcement,
            registration_date=D(2020, 9, 10),
        )
        for name in names
    ]


def listed_names(response):
    return sorted(r.candidate.name for r in response.context["cl"].result_list)


def test_a_long_list_counts_up_to_its_cap_and_says_there_is_more(client, staff, announcement, monkeypatch):
    from appraisals.admin.registrations import RegistrationAdmin

    register(staff, announcement, "张一", "张二", "张三", "张四", "张五")
    cap_lists(monkeypatch, RegistrationAdmin, cap=3, per_page=2)
    client.force_login(staff["officer_fj"])

    first = client.get(REGISTRATIONS)
    assert '共 <span class="result-count">3+</span> 条报名' in first.content.decode()
    assert len(first.context["cl"].result_list) == 2

    # Deeper in the list the count reaches further: the last page is there, counted exactly.
    last = client.get(REGISTRATIONS, {"p": 3})
    assert last.status_code == 200
    assert '共 <span class="result-count">5</span> 条报名' in last.content.decode()
    assert len(last.context["cl"].result_list) == 1


def test_a_short_list_shows_its_exact_count(client, staff, announcement):
    register(staff, announcement, "张一", "张二")
    client.force_login(staff["clerk"])
    assert '共 <span class="result-count">2</span> 条报名' in client.get(REGISTRATIONS).content.decode()


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("林小明", ["林小明"]),  # the whole name
        ("林", ["林小明", "林芳"]),  # the surname
        ("林小", ["林小明"]),  # its first characters
        ("小明", ["林小明", "王小明"]),  # the given name
        ("芳", ["林芳"]),  # a one-character given name
        ("明", []),  # the middle of a name is not how anyone is looked up
    ],
)
def test_names_are_found_whole_by_surname_or_by_given_name(client, staff, announcement, typed, found):
    register(staff, announcement, "林小明", "王小明", "林芳", "陈美玲")
    client.force_login(staff["officer_fj"])
    assert listed_names(client.get(REGISTRATIONS, {"q": typed})) == found
    candidates = client.get(CANDIDATES, {"q": typed}).context["cl"].result_list
    assert sorted(c.name for c in candidates) == found


def test_a_province_officer_picks_a_station_by_typing(client, staff, orgs, announcement, monkeypatch):
    register(staff, announcement, "林小明")
    monkeypatch.setattr(admin_scope, "STATION_CHOICES_UP_TO", 2)  # Fujian's officer sees three stations
    client.force_login(staff["officer_fj"])

    page = client.get(REGISTRATIONS)
    html = page.content.decode()
    assert 'data-placeholder="输入编号或名称查找"' in html and "admin-autocomplete" in html
    assert "autocomplete.js" in html  # the admin's scripts are on the list
    assert orgs["fz1"].name not in html  # no list of stations to read

    # Typing asks the station admin, which answers from the officer's scope only.
    answer = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "appraisals", "model_name": "registration", "field_name": "station", "term": "一站"},
    ).json()
    assert sorted(r["text"] for r in answer["results"]) == sorted([str(orgs["xm1"]), str(orgs["fz1"])])

    chosen = client.get(REGISTRATIONS, {"station__id__exact": orgs["fz1"].pk})
    assert listed_names(chosen) == []
    assert f'<option value="{orgs["fz1"].pk}" selected>' in chosen.content.decode()
    assert listed_names(client.get(REGISTRATIONS, {"station__id__exact": orgs["xm1"].pk})) == ["林小明"]


def test_a_clerk_has_no_station_to_choose_and_a_city_officer_a_short_list(client, staff, orgs, announcement):
    client.force_login(staff["clerk"])
    specs = client.get(REGISTRATIONS).context["cl"].filter_specs
    assert "station" not in [getattr(spec, "field_path", "") for spec in specs]

    client.force_login(staff["officer_xm"])
    specs = {getattr(s, "field_path", ""): s for s in client.get(REGISTRATIONS).context["cl"].filter_specs}
    assert sorted(label for _, label in specs["station"].lookup_choices) == sorted([str(orgs["xm1"]), str(orgs["xm2"])])


@pytest.mark.parametrize("who", ["clerk", "officer_fj", "supervisor_fj"])
@pytest.mark.django_db(transaction=True)  # committed, as a request is: scopes are kept between requests
def test_every_page_of_a_list_costs_the_same_few_queries(committed_db, client, staff, announcement, who, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from appraisals.admin.registrations import RegistrationAdmin

    register(staff, announcement, *[f"李{i}" for i in range(7)])
    monkeypatch.setattr(RegistrationAdmin, "list_per_page", 3)
    client.force_login(staff[who])
    client.get(REGISTRATIONS)  # the session is cached from here on, as after a login
    counts = []
    for page in (1, 2, 3):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(REGISTRATIONS, {"p": page}).status_code == 200
        counts.append(len(queries))
    assert len(set(counts)) == 1, counts
    # The user, their permissions and roles, the occupation filter's choices, the count and
    # the rows; an officer or a supervisor also the station filter's few choices. Their
    # stations and the unread count are kept between requests.
    assert counts[0] <= 6


def test_a_list_longer_than_its_cap_is_acted_on_by_page_not_all_at_once(client, staff, announcement, monkeypatch):
    from appraisals.admin.registrations import RegistrationAdmin
    from appraisals.models import Registration

    registrations = register(staff, announcement, "张一", "张二", "张三", "张四", "张五")
    cap_lists(monkeypatch, RegistrationAdmin, cap=3, per_page=2)
    client.force_login(staff["clerk"])

    page = client.get(REGISTRATIONS).content.decode()
    assert "共 3+ 条：要对全部执行，请先筛选或搜索" in page
    assert "选中全部" not in page  # the count behind “all” was never made
    assert "3+ 条结果。" in client.get(REGISTRATIONS, {"q": "张"}).content.decode()  # beside the search, too

    # The same refusal from the server, whatever the browser sends: nothing is reviewed.
    everything = {"action": "review_eligibility", "select_across": "1", "index": "0", "_selected_action": ["1"]}
    everything["_selected_action"] = [str(r.pk) for r in registrations[-2:]]
    response = client.post(REGISTRATIONS, everything, follow=True)
    assert "列表超过 3 条，不能对全部一次执行操作：请先筛选或搜索" in response.content.decode()
    assert set(Registration.objects.values_list("status", flat=True)) == {Registration.Status.REGISTERED}

    # Ticked on the page, the same action runs on those rows.
    response = client.post(REGISTRATIONS, {**everything, "select_across": "0"}, follow=True)
    assert Registration.objects.exclude(status=Registration.Status.REGISTERED).count() == 2


def test_a_list_within_its_cap_is_acted_on_all_at_once(client, staff, announcement, monkeypatch):
    from appraisals.admin.registrations import RegistrationAdmin
    from appraisals.models import Registration

    registrations = register(staff, announcement, "张一", "张二", "张三")
    monkeypatch.setattr(RegistrationAdmin, "list_per_page", 2)
    client.force_login(staff["clerk"])

    page = client.get(REGISTRATIONS).content.decode()
    assert "选中全部 3 个报名" in page
    assert "要对全部执行" not in page

    everything = {"action": "review_eligibility", "select_across": "1", "index": "0"}
    everything["_selected_action"] = [str(r.pk) for r in registrations[-2:]]
    client.post(REGISTRATIONS, everything, follow=True)
    assert not Registration.objects.filter(status=Registration.Status.REGISTERED).exists()
