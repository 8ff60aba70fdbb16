"""Admin helpers every app's admin uses (no app of the project is imported here)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

# What ModelAdmin.get_list_display returns: field names and display callables (the same
# type as django-stubs', which keeps its alias private).
ListDisplay = list[str | Callable[[Any], str | bool]]


class ViewOnlyMixin:
    """For a model admin or an inline that only shows: nothing is added, changed or deleted
    through it (the services do that, from their own screens and actions). Put it first
    in the bases."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def report_rows(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    rows: Iterable[Any],
    act: Callable[[Any], Any],
    verb: str,
    label: Callable[[Any], str],
) -> None:
    """Run ``act`` on each row in its own transaction and tell the clerk, in Chinese,
    which rows succeeded and which were refused and why."""
    done, refused = 0, []
    for row in rows:
        try:
            with transaction.atomic():
                act(row)
            done += 1
        except ValidationError as error:
            refused.append(f"{label(row)}：{'；'.join(error.messages)}")
    if done:
        modeladmin.message_user(request, f"{verb}：成功 {done} 条。", messages.SUCCESS)
    if refused:
        modeladmin.message_user(
            request, f"{verb}：拒绝 {len(refused)} 条。" + " ".join(f"【{r}】" for r in refused), messages.ERROR
        )


def mask_middle(value: str, head: int, tail: int) -> str:
    """``value`` with all but its first ``head`` and last ``tail`` characters starred."""
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def display_value(field: Any, value: Any) -> str:
    """A stored value as a person reads it: the choice's label, 是/否, a local date and
    time, a file's name, the related object's name; blank for nothing."""
    import datetime

    from django.db.models.fields.files import FieldFile
    from django.utils import timezone
    from django.utils.formats import date_format

    if value is None or value == "":
        return ""
    choices = dict(getattr(field, "flatchoices", None) or ())
    if choices and value in choices:
        return str(choices[value])
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return date_format(value, "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return date_format(value, "DATE_FORMAT")
    if isinstance(value, FieldFile):
        return value.name.rsplit("/", 1)[-1] if value.name else ""
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    return str(value)
