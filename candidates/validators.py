"""Rules on a candidate's identity: the resident ID number (GB 11643), the mobile number,
the minimum age, and the masked forms shown to people who may not see the full values.

Messages never repeat the number itself: what the user typed is personal information
(PIPL), and error messages end up in logs and screenshots."""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from stdnum import numdb
from stdnum.cn import ric

from kit import clock

ID_NUMBER_LENGTH = 18
ID_NUMBER_SHAPE = re.compile(r"\d{17}[\dX]")
PHONE_SHAPE = re.compile(r"1[3-9]\d{9}")
MINIMUM_AGE = 16

EXCEL_NUMBER_MESSAGE = "身份证号被 Excel 存成了数字（第15位之后的数字已丢失），请把该列设置为“文本”格式后重新填写"
# 3.50203199001011E+17, and the same with a lower-case e or without the plus sign.
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE]\+?\d+")
# 350203199001011000.0: a float printed back as text.
_FLOAT_TEXT = re.compile(r"\d+\.0+")
# GB/T 2260 administrative division codes (python-stdnum's table), read once per process.
_REGIONS = numdb.get("cn/loc")
# Everything that is not part of an ID number but is often typed or pasted inside one.
_SEPARATORS = re.compile(r"[\s\u200b\ufeff-]+")


class Sex(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


# --- the resident ID number ------------------------------------------------------------


def normalise_id_number(raw: Any) -> str:
    """The canonical text of an ID number as typed, pasted or imported.

    Full-width digits and letters become half-width (NFKC), spaces and hyphens go,
    a lower-case x becomes X. A float (what Excel hands over for a number cell) is
    kept as its text, so that the validator can recognise it and say what went wrong.
    Never raises: validation is ``validate_id_number``'s job."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw))
    return _SEPARATORS.sub("", text).upper()


def is_excel_number(value: str) -> bool:
    """Whether the (normalised) value is an ID number that went through a spreadsheet
    number cell: scientific notation, a trailing ".0", or 18 digits whose last three were
    zeroed (a float keeps 15 significant digits) and whose check digit therefore fails."""
    if _SCIENTIFIC.fullmatch(value) or _FLOAT_TEXT.fullmatch(value):
        return True
    return (
        len(value) == ID_NUMBER_LENGTH
        and value.isdigit()
        and value.endswith("000")
        and ric.calc_check_digit(value) != value[-1]
    )


def _birth_date_or_none(value: str) -> datetime.date | None:
    """Digits 7–14 as a date (what ``ric.get_birth_date`` reads), of a value already of the
    right shape: read here directly, since an import checks tens of thousands."""
    try:
        return datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def validate_id_number(value: Any, *, today: datetime.date | None = None) -> None:
    """Refuse anything that is not a valid 18-character resident ID number, naming the rule.

    Steps, each with its own message: spreadsheet damage, length, characters, birth date
    exists, birth date not after ``today`` (the business date by default), check digit,
    address code (a typo there usually breaks the check digit first, the clearer message)."""
    _checked_birth_date(normalise_id_number(value), today)


def _checked_birth_date(value: str, today: datetime.date | None) -> datetime.date:
    """``validate_id_number`` of a normalised value; its birth date once valid."""
    if is_excel_number(value):
        raise ValidationError(EXCEL_NUMBER_MESSAGE, code="excel_number")
    if len(value) != ID_NUMBER_LENGTH:
        if len(value) == 15 and value.isdigit():
            raise ValidationError(
                "公民身份号码应为18位（15位的旧号码不再受理，请使用第二代居民身份证号码）", code="length"
            )
        raise ValidationError("公民身份号码应为18位，现为%(length)d位", code="length", params={"length": len(value)})
    if not ID_NUMBER_SHAPE.fullmatch(value):
        raise ValidationError("公民身份号码前17位应为数字，末位应为数字或X", code="format")
    birth_date = _birth_date_or_none(value)
    if birth_date is None:
        raise ValidationError("公民身份号码中的出生日期（第7–14位）不是有效日期", code="birth_date")
    if birth_date > (today or clock.today()):
        raise ValidationError("公民身份号码中的出生日期（第7–14位）晚于今天", code="birth_date_future")
    if ric.calc_check_digit(value) != value[-1]:
        raise ValidationError("公民身份号码校验码错误（第18位与前17位不符），请核对", code="check_digit")
    if not region_code_known(value[:6], birth_date.year):
        raise ValidationError("公民身份号码前6位（地址码）不是有效的行政区划代码（GB/T 2260），请核对", code="region")
    return birth_date


def region_code_known(code: str, birth_year: int) -> bool:
    """Whether ``code`` is an administrative division code (GB/T 2260, python-stdnum's table)
    that still existed in ``birth_year``.

    Only a code abolished before the person was born is refused, never one created after:
    numbers were first given out in the 1980s, and a person keeps the code of the county
    that gave theirs, whatever year they were born."""
    last_year = _region_last_year(code)
    return last_year is not None and birth_year <= last_year


_STILL_EXISTS = 10_000  # the last year of a code that was never abolished


@functools.lru_cache(maxsize=8192)
def _region_last_year(code: str) -> int | None:
    """The last year ``code`` existed (``_STILL_EXISTS`` if it still does), None if it never
    did: looked up in the table once per code and process (an import checks thousands of
    people from the same few counties)."""
    found = _REGIONS.info(code)
    counties = {key: value for _, props in found for key, value in props.items()}.get("county", "")
    last: int | None = None
    for county in counties.split(","):
        if not county.startswith("["):
            return _STILL_EXISTS if county else last
        _created, abolished = county[1:].split("]", 1)[0].split("-")
        if not abolished:
            return _STILL_EXISTS
        last = max(last or 0, int(abolished))
    return last


def parse_id_number(value: Any, *, today: datetime.date | None = None) -> tuple[datetime.date, str]:
    """Birth date and sex (``Sex.MALE`` for an odd 17th digit, ``Sex.FEMALE`` for even)
    of a valid ID number; raises ``ValidationError`` like ``validate_id_number``."""
    value = normalise_id_number(value)
    birth_date = _checked_birth_date(value, today)
    sex = Sex.MALE if int(value[16]) % 2 else Sex.FEMALE
    return birth_date, sex


# --- the mobile number -----------------------------------------------------------------


def normalise_phone(raw: Any) -> str:
    """Half-width digits without spaces or hyphens, without a +86/0086 country prefix."""
    if raw is None:
        return ""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", str(raw)))
    for prefix in ("+86", "0086"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            return text[len(prefix) :]
    return text


def validate_phone(value: Any) -> None:
    if not PHONE_SHAPE.fullmatch(normalise_phone(value)):
        raise ValidationError("手机号应为11位中国大陆手机号码（以1开头，第二位为3–9）", code="phone")


# --- age -------------------------------------------------------------------------------


def _birthday_in(birth_date: datetime.date, year: int) -> datetime.date:
    """The birthday in a given year; a 29 February birthday falls on 1 March in other years."""
    try:
        return birth_date.replace(year=year)
    except ValueError:
        return datetime.date(year, 3, 1)


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    """Full years of age on ``day``: the birthday itself counts as the new year of age."""
    age = day.year - birth_date.year
    if day < _birthday_in(birth_date, day.year):
        age -= 1
    return age


def check_minimum_age(candidate: Any, day: datetime.date) -> None:
    """Refuse a candidate younger than 16 on ``day`` (the registration's date, not today)."""
    birth_date = candidate.birth_date or parse_id_number(candidate.id_number)[0]
    if age_on(birth_date, day) < MINIMUM_AGE:
        raise ValidationError("报名日期时考生未满16周岁", code="under_age")


# --- masking (PIPL: show only what the reader needs) -------------------------------------


def _mask(value: str | None, head: int, tail: int) -> str:
    value = value or ""
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def mask_id_number(value: str | None) -> str:
    """350203********1234: the address code and the last four characters."""
    return _mask(value, 6, 4)


def mask_phone(value: str | None) -> str:
    """138****5678."""
    return _mask(value, 3, 4)
