"""The admin's home per role (supervision.home) and the admin's look (catalog.admin_scope):
the day's counts equal the lists they open, the menu is the role's, the history page reads
in Chinese with field-level changes, and other stations' objects stay out of reach."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.test import RequestFactory
from django.urls import reverse

from catalog import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u4e00-\u9fff]")


def home(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response


def tiles(response) -> dict[str, object]:
    return {tile.title: tile for section in response.context["work_sections"] for tile in section.tiles}


def test_a_count_on_the_home_is_the_count_of_the_list_it_opens(client, case, staff, orgs):
    case.register()
    response = home(client, staff["clerk"])
    tile = tiles(response)["待资格审查"]
    assert tile.count == 1
    listed = client.get(tile.url)
    assert listed.context["cl"].result_count == 1
    assert case.registration in listed.context["cl"].result_list

    case.review()
    assert tiles(home(client, staff["clerk"]))["待资格审查"].count == 0
    # Reviewed without a consent form: the next work.
    assert tiles(home(client, staff["clerk"]))["缺自愿书"].count == 1


def test_the_counts_are_the_user_s_own_stations(client, case, orgs):
    case.register()
    changsha = UserFactory(username="clerk_cs", station=orgs["cs1"], role=roles.STATION_CLERK)
    assert tiles(home(client, changsha))["待资格审查"].count == 0


def test_each_role_sees_its_own_day_and_its_own_models(client, staff):
    clerk = home(client, staff["clerk"])
    assert "待资格审查" in tiles(clerk) and "未办结举报" not in tiles(clerk)
    listed = {
        f"{app['app_label']}.{model['object_name'].lower()}"
        for app in clerk.context["app_list"]
        for model in app["models"]
    }
    assert "appraisals.registration" in listed
    assert listed <= set(roles.ROLE_MENUS[roles.STATION_CLERK])
    assert "supervision.complaint" not in listed and "certificates.issuancebatch" not in listed

    officer = tiles(home(client, staff["officer_xm"]))
    assert {"待审批的鉴定申请", "待审批的发证批次"} <= officer.keys()
    supervisor = tiles(home(client, staff["supervisor_fj"]))
    assert {"待处理督导复核事项", "未办结举报"} <= supervisor.keys()
    assert supervisor["督导看板（报名、合格率、自愿书、发证）"].count is None
    sysadmin = home(client, staff["sysadmin"])
    assert {"待资格审查", "待审批的发证批次", "未办结举报"} <= tiles(sysadmin).keys()


def test_the_history_page_shows_each_change_in_chinese(client, case, staff):
    case.register().review()
    client.force_login(staff["clerk"])
    url = reverse("admin:appraisals_registration_history", args=[case.registration.pk])
    page = client.get(url).content.decode()
    start = page.index('<table id="change-history"')
    table = page[start : page.index("</table>", start)]
    assert "状态：</strong>已报名 → 资格审查通过" in table
    for english in ("HISTORY_CHANGE_REASON", "CHANGES", "None", "True", "Changed by"):
        assert english not in table
    assert "操作人" in table and "修改" in table and "新增" in table


def test_the_history_page_masks_person_data(client, case, staff):
    candidate = case.candidate
    old_phone = candidate.phone
    candidate.phone = "13912345678"
    candidate.save()
    client.force_login(staff["clerk"])
    case.register()  # the candidate is the clerk's station's once registered there
    page = client.get(reverse("admin:candidates_candidate_history", args=[candidate.pk])).content.decode()
    assert "139****5678" in page and "13912345678" not in page
    assert old_phone not in page


def test_a_work_list_s_history_is_its_case_s(client, case, staff):
    case.register()
    client.force_login(staff["officer_xm"])
    response = client.get(reverse("admin:certificates_passedregistration_history", args=[case.registration.pk]))
    assert response.status_code == 302
    assert response.url == reverse("admin:appraisals_registration_history", args=[case.registration.pk])


def test_another_station_s_history_is_not_found(client, case, orgs):
    case.register()
    changsha = UserFactory(username="clerk_cs", station=orgs["cs1"], role=roles.STATION_CLERK)
    client.force_login(changsha)
    response = client.get(reverse("admin:appraisals_registration_history", args=[case.registration.pk]), follow=True)
    page = response.content.decode()
    assert response.redirect_chain and case.candidate.name not in page
    assert "不存在" in page


def test_every_list_column_and_filter_has_a_chinese_heading(staff):
    request = RequestFactory().get("/admin/")
    request.user = staff["sysadmin"]
    missing = []
    for model, model_admin in admin.site._registry.items():
        for name in model_admin.get_list_display(request):
            label = str(label_for_field(name, model, model_admin))
            if label and not CJK.search(label):
                missing.append(f"{model._meta.label}.{name}：{label}")
    assert missing == []


@pytest.mark.parametrize("role", sorted(roles.ROLE_MENUS))
def test_every_app_a_role_reads_has_a_page_for_it(client, orgs, role):
    """The breadcrumbs of every object page link its app's page: it must not be empty (404)
    for a role that can open objects of that app."""
    user = UserFactory(username="someone", station=orgs["xm1"], role=role)
    if role in (roles.CENTRE_OFFICER, roles.SUPERVISOR):
        user.station, user.centre = None, orgs["xm"]
        user.save()
    client.force_login(user)
    request = RequestFactory().get("/admin/")
    request.user = user
    readable = {
        model._meta.app_label
        for model, model_admin in admin.site._registry.items()
        if model_admin.has_view_or_change_permission(request)
    }
    for app_label in readable:
        response = client.get(reverse("admin:app_list", args=[app_label]))
        assert response.status_code == 200, f"{role}：/admin/{app_label}/"
