"""The candidate row: derived birth date and sex, and the rules held by model and database."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from candidates.models import Candidate
from candidates.validators import EXCEL_NUMBER_MESSAGE
from tests.candidates.factories import CandidateFactory, make_id_number

pytestmark = pytest.mark.django_db

D = datetime.date


def new_candidate(**overrides):
    values = {
        "name": "林小明",
        "id_number": make_id_number(D(1990, 1, 1), 123),
        "phone": "13812345678",
        "education": Candidate.Education.SENIOR,
    }
    return Candidate(**{**values, **overrides})


def errors_of(candidate):
    with pytest.raises(ValidationError) as caught:
        candidate.full_clean()
    return caught.value.message_dict


def test_birth_date_and_sex_are_derived_on_clean_and_never_typed():
    candidate = new_candidate(id_number=make_id_number(D(1988, 12, 31), 124))
    candidate.full_clean()
    assert (candidate.birth_date, candidate.sex) == (D(1988, 12, 31), Candidate.Sex.FEMALE)
    assert not Candidate._meta.get_field("birth_date").editable
    assert not Candidate._meta.get_field("sex").editable


def test_save_derives_them_too_and_overrides_a_typed_value():
    candidate = new_candidate(birth_date=D(2000, 1, 1), sex=Candidate.Sex.FEMALE)
    candidate.save()
    candidate.refresh_from_db()
    assert (candidate.birth_date, candidate.sex) == (D(1990, 1, 1), Candidate.Sex.MALE)


def test_changing_the_id_number_with_update_fields_rederives():
    candidate = CandidateFactory()
    candidate.id_number = make_id_number(D(1975, 5, 5), 2)
    candidate.save(update_fields=["id_number"])
    candidate.refresh_from_db()
    assert (candidate.birth_date, candidate.sex) == (D(1975, 5, 5), Candidate.Sex.FEMALE)


def test_full_width_input_is_stored_normalised():
    candidate = new_candidate(id_number="３５０２０３１９９００１０１１２３ｘ", phone="138 1234 5678")
    candidate.full_clean()
    candidate.save()
    assert Candidate.objects.get().id_number == "35020319900101123X"
    assert Candidate.objects.get().phone == "13812345678"


def test_a_bad_id_number_is_reported_once_with_its_own_rule():
    assert errors_of(new_candidate(id_number="3.50203199001011E+17")) == {"id_number": [EXCEL_NUMBER_MESSAGE]}


def test_the_id_number_is_unique_after_normalising():
    CandidateFactory(id_number="35020319900101123X")
    assert "id_number" in errors_of(new_candidate(id_number="35020319900101123x"))


def test_save_refuses_an_invalid_id_number():
    with pytest.raises(ValidationError):
        new_candidate(id_number=make_id_number()[:-1] + "1").save()
    assert not Candidate.objects.exists()


@pytest.mark.parametrize("phone", ["12812345678", "1381234567", "23812345678", "138123456789"])
def test_only_mainland_mobile_numbers(phone):
    assert "手机号应为11位中国大陆手机号码" in errors_of(new_candidate(phone=phone))["phone"][0]


def test_years_in_trade_at_most_60():
    new_candidate(years_in_trade=60).full_clean()
    assert "years_in_trade" in errors_of(new_candidate(years_in_trade=61))


@pytest.mark.parametrize("years", [-1, 61])
def test_years_in_trade_is_held_by_the_database(years):
    with pytest.raises(IntegrityError), transaction.atomic():
        new_candidate(years_in_trade=years).save()


@pytest.mark.parametrize("kind", [Candidate.TraineeKind.SCHOOL_STUDENT, Candidate.TraineeKind.NEW_APPRENTICE])
def test_a_trainee_needs_school_or_enterprise_and_expected_finish_date(kind):
    errors = errors_of(new_candidate(trainee_kind=kind))
    assert set(errors) == {"school_or_enterprise", "expected_finish_date"}
    assert "学校或企业" in errors["school_or_enterprise"][0]
    new_candidate(
        trainee_kind=kind, school_or_enterprise="厦门技师学院", expected_finish_date=D(2021, 6, 30)
    ).full_clean()


def test_not_a_trainee_needs_neither():
    new_candidate(trainee_kind=Candidate.TraineeKind.NONE).full_clean()


@pytest.mark.parametrize(
    "missing", [{"school_or_enterprise": ""}, {"expected_finish_date": None}], ids=["no school", "no finish date"]
)
def test_the_trainee_rule_is_held_by_the_database(missing):
    values = {
        "trainee_kind": Candidate.TraineeKind.NEW_APPRENTICE,
        "school_or_enterprise": "厦门某企业",
        "expected_finish_date": D(2021, 6, 30),
    }
    with pytest.raises(IntegrityError, match="candidate_trainee_has_school_and_finish_date"), transaction.atomic():
        new_candidate(**{**values, **missing}).save()


def test_a_prior_certificate_number_needs_its_level():
    errors = errors_of(new_candidate(prior_certificate_number="1234567890"))
    assert set(errors) == {"prior_certificate_level"}
    new_candidate(prior_certificate_number="1234567890", prior_certificate_level="4").full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        new_candidate(prior_certificate_date=D(2015, 1, 1)).save()


def test_str_shows_the_masked_id_number():
    assert str(new_candidate()) == "林小明（350203********123X）"
