"""The public lookup (证书查询) at /verify/: no login, masked ID numbers, the same "not
found" for every miss, and a rate limit per client."""

import datetime
import itertools
import re

import pytest
from django.urls import reverse

from candidates.validators import mask_id_number
from certificates import services
from certificates.documents import lookup_url
from certificates.views import LIMITED, NOT_FOUND

from .conftest import at, issue

pytestmark = pytest.mark.django_db

D = datetime.date
_addresses = itertools.count(1)


@pytest.fixture
def ip():
    """A client address of its own per test: the counters live in the shared cache."""
    n = next(_addresses)
    return f"198.51.{n // 250}.{n % 250 + 1}"


@pytest.fixture
def certificate(officers, orgs, passed):
    return issue(officers, orgs, [passed.refresh()])[0]


def lookup(client, ip, key, name):
    return client.post(reverse("verify"), {"key": key, "name": name}, REMOTE_ADDR=ip)


def test_the_page_opens_without_login_in_chinese_and_mobile_friendly(client, ip):
    response = client.get(reverse("verify"), REMOTE_ADDR=ip)
    page = response.content.decode()
    assert response.status_code == 200
    assert "职业资格证书查询" in page and 'name="viewport"' in page and 'lang="zh-Hans"' in page
    assert "010-84661234" in page
    assert "no-store" in response["Cache-Control"]


def test_number_and_name_find_the_certificate_with_the_id_number_masked(client, ip, certificate, passed):
    response = lookup(client, ip, certificate.number, "陈美玲")
    page = response.content.decode()
    assert response.status_code == 200
    assert certificate.number in page and "美发师" in page and "五级/初级工" in page
    assert "2020年11月28日" in page and "厦门市中心" in page
    assert mask_id_number(passed.candidate.id_number) in page
    assert passed.candidate.id_number not in page
    assert passed.candidate.id_number[6:14] not in page  # not even the birth date


def test_id_number_and_name_find_the_certificate(client, ip, certificate, passed):
    typed = " " + passed.candidate.id_number.lower().replace("x", "x") + " "
    page = lookup(client, ip, typed, "陈美玲").content.decode()
    assert certificate.number in page
    assert passed.candidate.id_number not in page


def test_every_miss_says_only_not_found(client, ip, certificate, passed):
    misses = [
        (certificate.number, "陈美"),  # the number exists, the name does not match
        ("FJ-XM-2020-999999", "陈美玲"),  # no such number
        (passed.candidate.id_number, "王五"),  # the ID exists, the name does not match
        ("350203199001019999", "陈美玲"),  # an ID with no certificate
    ]
    pages = []
    for key, name in misses:
        response = lookup(client, ip, key, name)
        assert response.status_code == 200
        page = response.content.decode()
        assert NOT_FOUND in page
        pages.append(re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page))
    assert len(set(pages)) == 1  # nothing tells one kind of miss from another


def test_the_qr_link_opens_that_certificate(client, ip, certificate):
    url = lookup_url(certificate)
    assert url.startswith("http://127.0.0.1:8000/verify/?no=FJ-XM-2020-000001&code=")
    response = client.get(url.split("8000")[1], REMOTE_ADDR=ip)
    assert certificate.number in response.content.decode()
    wrong = client.get(reverse("verify"), {"no": certificate.number, "code": "ABCDEFGHJKLM"}, REMOTE_ADDR=ip)
    assert NOT_FOUND in wrong.content.decode()


def test_the_lookup_is_rate_limited_per_client(settings, client, ip, certificate):
    settings.JIANDING_VERIFY_RATE = "3/h"
    for _ in range(3):
        assert lookup(client, ip, certificate.number, "陈美玲").status_code == 200
    limited = lookup(client, ip, certificate.number, "陈美玲")
    assert limited.status_code == 429
    page = limited.content.decode()
    assert LIMITED in page and certificate.number not in page  # a correct guess is not answered either
    # The QR link counts too, and another client is not affected.
    assert client.get(lookup_url(certificate).split("8000")[1], REMOTE_ADDR=ip).status_code == 429
    other = "203.0.113.77" if ip != "203.0.113.77" else "203.0.113.78"
    assert lookup(client, other, certificate.number, "陈美玲").status_code == 200


def test_the_daily_limit_holds_too(settings, client, ip, certificate):
    settings.JIANDING_VERIFY_DAILY_RATE = "2/d"
    lookup(client, ip, "x", "y")
    lookup(client, ip, "x", "y")
    assert lookup(client, ip, certificate.number, "陈美玲").status_code == 429


def test_opening_the_empty_form_is_not_counted(settings, client, ip, certificate):
    settings.JIANDING_VERIFY_RATE = "1/h"
    for _ in range(3):
        assert client.get(reverse("verify"), REMOTE_ADDR=ip).status_code == 200
    assert certificate.number in lookup(client, ip, certificate.number, "陈美玲").content.decode()


def test_statuses_valid_exited_and_revoked(settings, client, ip, officers, orgs, electrician_case):
    certificate = issue(officers, orgs, [electrician_case.refresh()])[0]
    settings.JIANDING_BUSINESS_DATE = D(2020, 12, 10)  # 电工 is still in the catalog
    page = lookup(client, ip, certificate.number, "林志强").content.decode()
    assert "有效" in page and "退出" not in page.split("查询结果")[1].split("</section>")[0]

    settings.JIANDING_BUSINESS_DATE = D(2021, 1, 5)  # it has left
    page = lookup(client, ip, certificate.number, "林志强").content.decode()
    assert "有效（职业已退出目录）" in page
    assert "已于 2020年12月31日 退出国家职业资格目录；退出目录前已发放的职业资格证书继续有效" in page

    services.certificate_revoke(
        actor=officers["a"], certificate=certificate, reason="材料造假", revoked_on=D(2021, 1, 5)
    )
    page = lookup(client, ip, certificate.number, "林志强").content.decode()
    assert "已撤销" in page and "材料造假" not in page  # the reason stays inside the back office


def test_a_reissued_certificate_shows_as_voided(client, ip, officers, orgs, electrician_case, staff):
    old = issue(officers, orgs, [electrician_case.refresh()])[0]
    request = services.lost_request_record(
        actor=officers["a"], certificate=old, applicant_name="林志强", reason="搬家遗失", received_on=D(2020, 12, 8)
    )
    services.lost_request_process(
        actor=officers["a"], request=request, processed_on=D(2020, 12, 10), now=at(D(2020, 12, 10))
    )
    page = lookup(client, ip, old.number, "林志强").content.decode()
    assert "已作废" in page and "补发" in page
