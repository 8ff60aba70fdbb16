"""candidate_upsert and candidate_update: keyed by the normalised ID number, traced."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from candidates.models import Candidate
from candidates.selectors import find_by_id_number
from candidates.services import candidate_update, candidate_upsert
from tests.candidates.factories import CandidateFactory, make_id_number

pytestmark = pytest.mark.django_db

ID = make_id_number(datetime.date(1990, 1, 1), 123)  # 35020319900101123X
FIELDS = {"phone": "13812345678", "education": Candidate.Education.COLLEGE, "years_in_trade": 5}


def test_upsert_creates_then_is_idempotent(people):
    clerk = people["clerk"]
    first = candidate_upsert(actor=clerk, id_number=ID, name="林小明", **FIELDS)
    again = candidate_upsert(actor=clerk, id_number=ID.lower(), name="林小明", **{**FIELDS, "phone": "138 1234 5678"})
    assert again.pk == first.pk
    assert Candidate.objects.count() == 1
    # A call that changes nothing leaves no trace noise.
    assert list(first.history.values_list("history_type", flat=True)) == ["+"]
    assert first.history.get().history_user == clerk


def test_upsert_updates_by_the_normalised_id_number_and_records_the_actor(people):
    candidate_upsert(actor=people["clerk"], id_number=ID, name="林小明", **FIELDS)
    updated = candidate_upsert(
        actor=people["officer_xm"], id_number="３５０２０３１９９００１０１１２３ｘ", name="林晓明", **FIELDS
    )
    assert updated.name == "林晓明"
    latest = updated.history.first()
    assert (latest.history_type, latest.history_user) == ("~", people["officer_xm"])
    assert latest.prev_record.history_user == people["clerk"]


def test_upsert_validates_the_whole_row_and_writes_nothing_when_invalid(people):
    with pytest.raises(ValidationError) as caught:
        candidate_upsert(actor=people["clerk"], id_number=ID, name="林小明", **{**FIELDS, "phone": "12345"})
    assert set(caught.value.message_dict) == {"phone"}
    assert not Candidate.objects.exists()


def test_upsert_refuses_derived_and_unknown_fields(people):
    with pytest.raises(TypeError):
        candidate_upsert(actor=people["clerk"], id_number=ID, name="林小明", birth_date=datetime.date(2000, 1, 1))
    with pytest.raises(TypeError):
        candidate_upsert(actor=people["clerk"], id_number=ID, name="林小明", nickname="小林")


def test_update_corrects_an_id_number_and_rederives(people):
    candidate = CandidateFactory()
    corrected = make_id_number(datetime.date(1970, 3, 3), 2)
    candidate_update(actor=people["clerk"], candidate=candidate, id_number=corrected)
    candidate.refresh_from_db()
    assert (candidate.id_number, candidate.birth_date, candidate.sex) == (corrected, datetime.date(1970, 3, 3), "F")
    assert candidate.history.first().history_user == people["clerk"]


def test_update_without_a_change_saves_nothing(people):
    candidate = CandidateFactory()
    candidate_update(actor=people["clerk"], candidate=candidate, name=candidate.name)
    assert candidate.history.count() == 1


def test_find_by_id_number_however_it_was_typed():
    candidate = CandidateFactory(id_number=ID)
    assert find_by_id_number(" 350203 19900101 123x") == candidate
    assert find_by_id_number("３５０２０３１９９００１０１１２３Ｘ") == candidate
    assert find_by_id_number(make_id_number(datetime.date(1990, 1, 1), 124)) is None
    assert find_by_id_number("3.50203199001011E+17") is None
    assert find_by_id_number("350203") is None
