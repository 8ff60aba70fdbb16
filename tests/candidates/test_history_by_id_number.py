"""按公民身份号码查找历史记录: history keeps masked numbers, so a user who may see full
numbers finds a person's history by typing the full number (its keyed hash), a number since
corrected included; others may not; every search is in the access log."""

import datetime

import pytest
from django.urls import reverse

from candidates.models import Candidate
from candidates.services import candidate_update
from supervision.models import PersonalDataAccess
from tests.candidates.factories import CandidateFactory, make_id_number

pytestmark = pytest.mark.django_db

OLD = make_id_number(datetime.date(1990, 1, 1), 123)
NEW = make_id_number(datetime.date(1990, 1, 2), 123)
URL = reverse("admin:candidates_candidate_history_by_id_number")
CHANGELIST = reverse("admin:candidates_candidate_changelist")


@pytest.fixture
def corrected(people):
    """Entered with a typing error in the number, corrected later."""
    candidate = CandidateFactory(name="林小明", id_number=OLD, created_by=people["clerk"])
    candidate_update(actor=people["clerk"], candidate=candidate, id_number=NEW)
    CandidateFactory(name="王五", created_by=people["clerk"])
    return candidate


def test_the_full_number_finds_the_history_even_of_a_corrected_number(client, people, corrected):
    client.force_login(people["sysadmin"])
    assert 'id="history-by-id-number"' in client.get(CHANGELIST).content.decode()
    response = client.post(URL, {"id_number": OLD.lower()})
    assert response.status_code == 200
    [item] = response.context["found"]
    assert item["candidate"] == corrected and not item["current"]
    assert [record.history_type for record in item["records"]] == ["+"]
    html = response.content.decode()
    assert "林小明" in html and "（现用号码已更正）" in html
    assert OLD not in html and NEW not in html  # the record shows the number masked
    assert reverse("admin:candidates_candidate_history", args=[corrected.pk]) in html
    # The current number finds both records of the person.
    [item] = client.post(URL, {"id_number": NEW}).context["found"]
    assert item["current"] and len(item["records"]) == 1


def test_each_search_is_in_the_access_log_without_the_full_number(client, people, corrected):
    client.force_login(people["sysadmin"])
    client.post(URL, {"id_number": OLD})
    record = PersonalDataAccess.objects.get()
    assert record.actor == people["sysadmin"] and record.action == PersonalDataAccess.Action.UNMASK
    assert "林小明" in record.subject and OLD not in record.subject and OLD[:6] in record.subject
    assert record.reason == "按完整身份证号查找历史记录"


def test_a_partial_number_is_refused_and_finds_nothing(client, people, corrected):
    client.force_login(people["sysadmin"])
    response = client.post(URL, {"id_number": OLD[:10]})
    assert response.context["found"] is None
    assert "请输入完整的18位公民身份号码" in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_an_unknown_number_finds_nobody(client, people, corrected):
    client.force_login(people["sysadmin"])
    response = client.post(URL, {"id_number": make_id_number(datetime.date(1980, 5, 5), 7)})
    assert response.context["found"] == []
    assert "没有找到" in response.content.decode()


def test_without_the_full_id_permission_there_is_no_search(client, people, corrected):
    client.force_login(people["clerk"])
    assert not people["clerk"].has_perm("candidates.view_full_id_number")
    assert client.post(URL, {"id_number": OLD}).status_code == 403
    assert 'id="history-by-id-number"' not in client.get(CHANGELIST).content.decode()
    assert Candidate.history.filter(id=corrected.pk).count() == 2
