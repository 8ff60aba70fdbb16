"""Role boundaries: each user sees and changes only their organisation's data."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from catalog import roles
from catalog.models import Station

pytestmark = pytest.mark.django_db


def station_codes_listed(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:catalog_station_changelist"))
    assert response.status_code == 200
    return {s.code for s in response.context["cl"].result_list}


def test_migration_creates_the_five_roles():
    names = set(Group.objects.values_list("name", flat=True))
    assert {roles.STATION_CLERK, roles.EXAMINER, roles.SUPERVISOR, roles.CENTRE_OFFICER, roles.SYSTEM_ADMIN} <= names


def test_supervisor_role_only_views_the_case_and_acts_only_on_supervision():
    permissions = Group.objects.get(name=roles.SUPERVISOR).permissions.select_related("content_type")
    acting = {f"{p.content_type.app_label}.{p.codename}" for p in permissions if not p.codename.startswith("view_")}
    assert acting == {
        "certificates.add_supervisionfinding",
        "certificates.change_supervisionfinding",
        "certificates.review_issuancebatch",
        "supervision.change_reviewitem",
        "supervision.add_sessionsupervisionrecord",
        "supervision.change_complaint",
    }
    assert "view_registration" in {p.codename for p in permissions}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("clerk", {"XM001"}),
        ("examiner", {"XM001"}),
        ("officer_xm", {"XM001", "XM002"}),
        ("officer_fj", {"XM001", "XM002", "FZ001"}),
        ("supervisor_fj", {"XM001", "XM002", "FZ001"}),
        ("sysadmin", {"XM001", "XM002", "FZ001", "CS001"}),
    ],
)
def test_station_list_is_scoped_to_the_users_organisation(client, people, who, expected):
    assert station_codes_listed(client, people[who]) == expected


def test_crafted_url_to_another_stations_page_is_refused(client, people, orgs):
    client.force_login(people["clerk"])
    other = orgs["xm2"]
    response = client.get(reverse("admin:catalog_station_change", args=[other.pk]))
    assert response.status_code == 302
    assert other.name not in response.content.decode()
    history = client.get(reverse("admin:catalog_station_history", args=[other.pk]))
    # As the object's own page: back to the home with “不存在”, the trace not shown.
    assert history.status_code == 302 and other.name not in client.get(history.url).content.decode()


def test_crafted_post_to_another_stations_object_changes_nothing(client, people, orgs):
    client.force_login(people["officer_xm"])
    target = orgs["fz1"]  # Fuzhou: outside the Xiamen centre
    client.post(
        reverse("admin:catalog_station_change", args=[target.pk]),
        {"code": target.code, "name": "被篡改", "region": target.region_id, "centre": orgs["xm"].pk, "is_active": "on"},
    )
    target.refresh_from_db()
    assert target.name == "福州一站"


def test_officer_cannot_move_a_station_to_a_centre_outside_their_tree(client, people, orgs):
    client.force_login(people["officer_xm"])
    station = orgs["xm2"]
    response = client.post(
        reverse("admin:catalog_station_change", args=[station.pk]),
        {"code": station.code, "name": station.name, "region": station.region_id, "centre": orgs["hn"].pk},
    )
    assert response.status_code == 200
    assert "centre" in response.context["adminform"].form.errors
    station.refresh_from_db()
    assert station.centre == orgs["xm"]


def test_officer_changes_a_station_in_scope_and_the_trace_names_them(client, people, orgs):
    client.force_login(people["officer_xm"])
    station = orgs["xm2"]
    response = client.post(
        reverse("admin:catalog_station_change", args=[station.pk]),
        {
            "code": station.code,
            "name": "厦门二站（新址）",
            "region": station.region_id,
            "centre": orgs["xm"].pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    station.refresh_from_db()
    assert station.name == "厦门二站（新址）"
    latest = station.history.first()
    assert latest.history_user == people["officer_xm"]
    delta = latest.diff_against(latest.prev_record)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("name", "厦门二站", "厦门二站（新址）")]


def test_supervisor_reads_but_cannot_change(client, people, orgs):
    client.force_login(people["supervisor_fj"])
    station = orgs["fz1"]
    assert client.get(reverse("admin:catalog_station_change", args=[station.pk])).status_code == 200
    response = client.post(
        reverse("admin:catalog_station_change", args=[station.pk]),
        {"code": station.code, "name": "督导改名", "region": station.region_id, "centre": orgs["fz"].pk},
    )
    assert response.status_code == 403
    station.refresh_from_db()
    assert station.name == "福州一站"


def test_clerk_cannot_add_stations(client, people):
    client.force_login(people["clerk"])
    assert client.get(reverse("admin:catalog_station_add")).status_code == 403


def test_autocomplete_offers_only_stations_in_scope(client, people):
    client.force_login(people["sysadmin"])
    url = reverse("admin:autocomplete")
    params = {"app_label": "catalog", "model_name": "user", "field_name": "station"}
    assert len(client.get(url, params).json()["results"]) == 4
    people["officer_xm"].user_permissions.add(
        *Group.objects.get(name=roles.SYSTEM_ADMIN).permissions.filter(codename__in=["view_user", "change_user"])
    )
    client.force_login(people["officer_xm"])
    texts = {r["text"] for r in client.get(url, params).json()["results"]}
    assert texts == {"XM001 厦门一站", "XM002 厦门二站"}


def test_list_filter_offers_only_centres_in_scope(client, people):
    client.force_login(people["officer_fj"])
    response = client.get(reverse("admin:catalog_station_changelist"))
    centre_filter = next(f for f in response.context["cl"].filter_specs if f.field_path == "centre")
    # The centres the officer may see (their own province's and its cities'), no others.
    assert sorted(label for _, label in centre_filter.lookup_choices) == ["厦门市中心", "福州市中心", "福建省中心"]


def test_centre_list_is_scoped(client, people):
    client.force_login(people["officer_xm"])
    response = client.get(reverse("admin:catalog_guidancecentre_changelist"))
    assert {c.code for c in response.context["cl"].result_list} == {"FJ-XM"}


def test_user_without_organisation_or_role_sees_no_station(client, orgs):
    from tests.factories import UserFactory

    nobody = UserFactory(username="nobody")
    nobody.user_permissions.add(*Group.objects.get(name=roles.STATION_CLERK).permissions.all())
    assert station_codes_listed(client, nobody) == set()


def test_a_user_belongs_to_one_organisation_at_most(orgs):
    from django.db import IntegrityError, transaction

    from tests.factories import UserFactory

    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(username="both", station=orgs["xm1"], centre=orgs["xm"])
    assert not Station.objects.filter(users__username="both").exists()
