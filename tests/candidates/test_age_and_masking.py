"""The minimum age on the registration's date, and the masked forms of ID and mobile numbers."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from candidates.models import Candidate
from candidates.validators import age_on, check_minimum_age, mask_id_number, mask_phone, normalise_phone
from tests.candidates.factories import make_id_number

D = datetime.date
ONE_DAY = datetime.timedelta(days=1)


def candidate_born(birth_date):
    # Unsaved: the rule needs no database.
    return Candidate(name="测试", id_number=make_id_number(birth_date, 11), birth_date=birth_date)


@pytest.mark.parametrize(
    ("day", "age"),
    [(D(2020, 9, 29), 15), (D(2020, 9, 30), 16), (D(2020, 10, 1), 16), (D(2021, 9, 30), 17)],
)
def test_age_counts_the_birthday_itself(day, age):
    assert age_on(D(2004, 9, 30), day) == age


@pytest.mark.parametrize(
    ("day", "age"),
    [
        (D(2021, 2, 28), 16),  # non-leap year: the birthday is 1 March
        (D(2021, 3, 1), 17),
        (D(2024, 2, 28), 19),  # leap year: 29 February itself
        (D(2024, 2, 29), 20),
    ],
)
def test_a_29_february_birthday_falls_on_1_march_in_other_years(day, age):
    assert age_on(D(2004, 2, 29), day) == age


@pytest.mark.parametrize(
    ("day", "allowed"),
    [(D(2020, 9, 30) - ONE_DAY, False), (D(2020, 9, 30), True), (D(2020, 9, 30) + ONE_DAY, True)],
)
def test_minimum_age_on_the_day_before_the_day_and_the_day_after_the_16th_birthday(day, allowed):
    candidate = candidate_born(D(2004, 9, 30))
    if allowed:
        check_minimum_age(candidate, day)
    else:
        with pytest.raises(ValidationError, match="报名日期时考生未满16周岁"):
            check_minimum_age(candidate, day)


@pytest.mark.parametrize(
    ("born", "day", "allowed"),
    [
        (D(2004, 2, 29), D(2020, 2, 28), False),  # 2020 is a leap year: the 16th birthday is 29 Feb
        (D(2004, 2, 29), D(2020, 2, 29), True),
        (D(2084, 2, 29), D(2100, 2, 28), False),  # 2100 is not: the 16th birthday is 1 March
        (D(2084, 2, 29), D(2100, 3, 1), True),
    ],
)
def test_minimum_age_for_a_29_february_birthday(born, day, allowed):
    candidate = Candidate(name="测试", id_number="", birth_date=born)
    if allowed:
        check_minimum_age(candidate, day)
    else:
        with pytest.raises(ValidationError, match="报名日期时考生未满16周岁"):
            check_minimum_age(candidate, day)


def test_minimum_age_reads_the_birth_date_from_the_id_number_when_not_derived_yet():
    candidate = Candidate(name="测试", id_number=make_id_number(D(2004, 9, 30), 11))
    with pytest.raises(ValidationError):
        check_minimum_age(candidate, D(2020, 9, 29))
    check_minimum_age(candidate, D(2020, 9, 30))


def test_id_numbers_are_masked_to_the_first_6_and_last_4():
    assert mask_id_number("350203199001011234") == "350203********1234"
    assert mask_id_number("35020319900101123X") == "350203********123X"


def test_phones_are_masked_to_the_first_3_and_last_4():
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize("value", [None, "", "123", "1234567890"])
def test_masking_short_or_empty_values_reveals_nothing(value):
    masked = mask_id_number(value)
    assert set(masked) <= {"*"} and len(masked) == len(value or "")


@pytest.mark.parametrize("typed", ["138 1234 5678", "138-1234-5678", "+8613812345678", "１３８１２３４５６７８"])
def test_phones_are_normalised(typed):
    assert normalise_phone(typed) == "13812345678"
