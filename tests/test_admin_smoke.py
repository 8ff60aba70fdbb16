"""Every admin page's list, search and add view answers, in Chinese, for a system admin."""

import pytest
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db

MODEL_ADMINS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.fixture
def admin_client_zh(client, people):
    client.force_login(people["sysadmin"])
    return client


@pytest.mark.parametrize(("model", "model_admin"), MODEL_ADMINS, ids=[m._meta.label for m, _ in MODEL_ADMINS])
def test_changelist_search_and_add_pages(admin_client_zh, model, model_admin, django_assert_max_num_queries):
    info = (model._meta.app_label, model._meta.model_name)
    with django_assert_max_num_queries(25):
        response = admin_client_zh.get(reverse("admin:{}_{}_changelist".format(*info)))
    assert response.status_code == 200
    if model_admin.search_fields:
        assert admin_client_zh.get(reverse("admin:{}_{}_changelist".format(*info)), {"q": "福建"}).status_code == 200
    if model_admin.has_add_permission(response.wsgi_request):
        assert admin_client_zh.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200


def test_admin_index_is_in_chinese(admin_client_zh):
    page = admin_client_zh.get(reverse("admin:index")).content.decode()
    assert "鉴定" in page and "目录与机构" in page and "注销" in page
