"""kit.html.format_html writes what Django's format_html writes."""

import datetime
from decimal import Decimal

import pytest
from django.utils import html as django_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from kit.html import format_html

ARGUMENTS = [
    "王<b>伟</b> & “李” 'x'",
    mark_safe("<b>已确认</b>"),
    SafeString('<span class="ok">合格</span>'),
    42,
    True,
    None,
    Decimal("60.50"),
    datetime.date(2020, 9, 20),
    gettext_lazy("Select this object for an action - {}"),
    "",
]


@pytest.mark.parametrize("value", ARGUMENTS, ids=repr)
def test_each_kind_of_argument_is_escaped_as_django_escapes_it(value):
    template = '<span title="{}">{}</span>'
    ours = format_html(template, value, value)
    assert ours == django_html.format_html(template, value, value)
    assert isinstance(ours, SafeString)


def test_named_arguments_and_a_lazy_format_string_as_django():
    assert format_html('<a href="{url}">{text}</a>', url="/a?b=1&c=2", text="<x>") == (
        '<a href="/a?b=1&amp;c=2">&lt;x&gt;</a>'
    )
    lazy = gettext_lazy("Select this object for an action - {}")
    assert format_html(lazy, "<王>") == django_html.format_html(lazy, "<王>")
