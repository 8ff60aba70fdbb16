"""Resident ID numbers (GB 11643): normalising, validating, reading birth date and sex."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from candidates.validators import (
    EXCEL_NUMBER_MESSAGE,
    Sex,
    is_excel_number,
    normalise_id_number,
    parse_id_number,
    validate_id_number,
)
from tests.candidates.factories import make_id_number, with_check_digit

D = datetime.date
VALID = "35020319900101123X"  # base 35020319900101123, check digit X: odd 17th digit, male
TODAY = D(2020, 9, 20)


def refusal(value, **kwargs):
    with pytest.raises(ValidationError) as caught:
        validate_id_number(value, **kwargs)
    return caught.value


def test_a_valid_number_passes_and_its_check_digit_is_the_real_one():
    validate_id_number(VALID, today=TODAY)
    assert make_id_number(D(1990, 1, 1), 123) == VALID


def test_a_wrong_check_digit_is_refused_by_name():
    error = refusal(VALID[:-1] + "1", today=TODAY)
    assert error.code == "check_digit"
    assert "校验码错误" in error.messages[0]


def test_messages_never_repeat_the_number():
    for bad in [VALID[:-1] + "1", VALID[:15], "35020319900230" + "1234", VALID + "1"]:
        error = refusal(bad, today=TODAY)
        assert bad[:6] not in error.messages[0] and bad[-4:] not in error.messages[0]


@pytest.mark.parametrize(
    "typed",
    [
        "３５０２０３１９９００１０１１２３Ｘ",  # full-width digits and X
        "３５０２０３１９９００１０１１２３ｘ",  # full-width lower-case x
        "35020319900101123x",  # lower-case x
        " 350203 19900101 123X ",  # spaces, as read aloud
        "350203\u300019900101123X",  # an ideographic (full-width) space
        "350203-19900101-123X",
    ],
)
def test_typing_variants_are_normalised_to_the_canonical_form(typed):
    assert normalise_id_number(typed) == VALID
    validate_id_number(typed, today=TODAY)


def test_fifteen_digit_old_numbers_are_refused():
    error = refusal("350203900101123", today=TODAY)
    assert error.code == "length"
    assert "公民身份号码应为18位" in error.messages[0]


@pytest.mark.parametrize("value", ["", "3502031990010112", VALID + "0"])
def test_other_lengths_are_refused(value):
    assert refusal(value, today=TODAY).code == "length"


def test_letters_inside_the_number_are_refused():
    assert refusal("3502031990010112AX", today=TODAY).code == "format"


@pytest.mark.parametrize("birth", ["19900230", "19990229", "19901301", "19900100", "00000000"])
def test_impossible_birth_dates_are_refused_even_with_a_matching_check_digit(birth):
    error = refusal(with_check_digit(f"350203{birth}123"), today=TODAY)
    assert error.code == "birth_date"
    assert "出生日期" in error.messages[0]


def test_february_29_exists_in_leap_years():
    validate_id_number(make_id_number(D(2000, 2, 29), 11), today=TODAY)


@pytest.mark.parametrize(
    ("born", "refused"),
    [(TODAY - datetime.timedelta(days=1), False), (TODAY, False), (TODAY + datetime.timedelta(days=1), True)],
)
def test_a_birth_date_after_today_is_refused(born, refused):
    value = make_id_number(born, 11)
    if refused:
        assert refusal(value, today=TODAY).code == "birth_date_future"
    else:
        validate_id_number(value, today=TODAY)


def test_today_defaults_to_the_business_date():
    tomorrow = make_id_number(D(2020, 9, 21), 11)
    with time_machine.travel(datetime.datetime(2020, 9, 20, 12, tzinfo=datetime.UTC), tick=False):
        assert refusal(tomorrow).code == "birth_date_future"
    with time_machine.travel(datetime.datetime(2020, 9, 21, 12, tzinfo=datetime.UTC), tick=False):
        validate_id_number(tomorrow)


@pytest.mark.parametrize(
    "value",
    [
        "3.50203199001011E+17",  # how Excel shows a long number
        "3.50203199001011e+17",
        "3.50203199001011E17",
        3.50203199001011e17,  # a float straight from a spreadsheet reader
        "350203199001011000.0",  # the float printed back as text
        "350203199001011234.0",
        "350203199001011000",  # digits past the 15th zeroed, check digit no longer matches
        "３．５０２０３１９９００１０１１Ｅ＋１７",
    ],
)
def test_numbers_that_went_through_excel_get_the_excel_message(value):
    error = refusal(value, today=TODAY)
    assert error.code == "excel_number"
    assert error.messages == [EXCEL_NUMBER_MESSAGE]


def test_a_real_number_ending_in_000_with_a_matching_check_digit_is_not_taken_for_excel():
    for sequence in range(0, 1000, 100):
        value = make_id_number(D(1990, 1, 1), sequence)
        if value.endswith("000"):
            assert not is_excel_number(value)
            validate_id_number(value, today=TODAY)


@pytest.mark.parametrize(("sequence", "sex"), [(123, Sex.MALE), (124, Sex.FEMALE), (1, Sex.MALE), (990, Sex.FEMALE)])
def test_birth_date_and_sex_are_read_from_the_number(sequence, sex):
    assert parse_id_number(make_id_number(D(1985, 7, 15), sequence), today=TODAY) == (D(1985, 7, 15), sex)


def test_parse_refuses_what_validate_refuses():
    with pytest.raises(ValidationError):
        parse_id_number(VALID[:-1] + "1", today=TODAY)


ADDRESSES = ["110101", "350203", "350102", "430102", "440305", "650102"]
FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)} | {"X": "Ｘ"}


@st.composite
def valid_id_numbers(draw):
    born = draw(st.dates(min_value=D(1930, 1, 1), max_value=TODAY))
    return make_id_number(born, draw(st.integers(0, 999)), draw(st.sampled_from(ADDRESSES)))


@st.composite
def as_typed(draw, value):
    """The same number with any characters made full-width, an x lower-case, spaces around."""
    chars = [FULL_WIDTH[c] if draw(st.booleans()) else c for c in value]
    if chars[-1] in {"X", "Ｘ"} and draw(st.booleans()):
        chars[-1] = chars[-1].lower()
    return draw(st.sampled_from(["", " ", "\u3000"])) + "".join(chars) + draw(st.sampled_from(["", " "]))


@given(st.data())
def test_any_valid_number_round_trips_through_normalise(data):
    value = data.draw(valid_id_numbers())
    typed = data.draw(as_typed(value))
    assert normalise_id_number(value) == value
    assert normalise_id_number(typed) == value
    validate_id_number(typed, today=TODAY)


@pytest.mark.parametrize("address", ["990101", "000000", "350299", "123456"])
def test_an_address_code_that_is_no_region_is_refused_naming_the_rule(address):
    number = make_id_number(D(1990, 1, 1), 123, address)
    with pytest.raises(ValidationError) as refused:
        validate_id_number(number, today=TODAY)
    assert refused.value.code == "region"
    assert "行政区划代码" in refused.value.messages[0]
    assert number not in refused.value.messages[0] and address not in refused.value.messages[0]


@pytest.mark.parametrize(
    "address, born, valid",
    [
        ("110110", D(1986, 12, 31), True),  # 燕山区, abolished after 1986
        ("110110", D(1987, 1, 1), False),  # not given out to anyone born after that
        ("350203", D(1950, 6, 1), True),  # 思明区 (1983-): people born before it keep its code
        ("350200", D(1990, 1, 1), True),  # a city's own code
    ],
)
def test_the_address_code_must_have_existed_when_the_person_was_born(address, born, valid):
    number = make_id_number(born, 123, address)
    if valid:
        validate_id_number(number, today=TODAY)
    else:
        with pytest.raises(ValidationError, match="行政区划代码"):
            validate_id_number(number, today=TODAY)
