"""``format_html`` for what admin lists call once per cell of every row.

Django's ``format_html`` sends every argument through ``conditional_escape`` and ``escape``,
each wrapped by ``keep_lazy`` (a check for lazy strings on every call): about 20 µs a call
here, and a list of 100 rows calls it four to six hundred times. This one escapes a plain
``str`` with ``html.escape`` (what ``django.utils.html.escape`` does to one), passes a
``SafeString`` as it is and an ``int`` as its digits, and leaves anything else to
``conditional_escape``: the same characters, for a quarter of the time."""

from __future__ import annotations

import html
from typing import Any

from django.utils import html as django_html
from django.utils.safestring import SafeString


def escaped(value: Any) -> str:
    """``conditional_escape(value)``, without the lazy-string wrappers for the usual kinds."""
    kind = type(value)
    if kind is SafeString:
        return value
    if kind is str:
        return html.escape(value)
    if kind is int:
        return str(value)
    return django_html.conditional_escape(value)


def format_html(format_string: str, *args: Any, **kwargs: Any) -> SafeString:
    """``django.utils.html.format_html``: the arguments escaped, the format string trusted."""
    if type(format_string) is not str or not (args or kwargs):
        return django_html.format_html(format_string, *args, **kwargs)
    return SafeString(format_string.format(*[escaped(a) for a in args], **{k: escaped(v) for k, v in kwargs.items()}))
