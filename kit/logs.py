"""Log output without resident ID numbers or mobile numbers (PIPL): whatever a message, an
argument or an exception's text carries (a database error's DETAIL line quotes the key it
refused), the formatter masks them as the screens do before anything is written."""

from __future__ import annotations

import logging
import re

# 18-character resident ID numbers and mainland mobile numbers, standing alone.
_ID_NUMBER = re.compile(r"(?<![\dA-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![\dA-Za-z])")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_personal_numbers(text: str) -> str:
    text = _ID_NUMBER.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    return _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


class MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_personal_numbers(super().format(record))
