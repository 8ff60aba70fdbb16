"""Admin helpers every app's admin uses (no app of the project is imported here)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest
from django.utils.functional import cached_property

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


# Person data (PIPL) shown masked on history pages and archive contents: field name -> (head, tail).
MASKED_PERSON_FIELDS = {"id_number": (6, 4), "holder_id_number": (6, 4), "phone": (3, 4)}


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
            value = value.astimezone(timezone.get_current_timezone())
        return date_format(value, "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return date_format(value, "DATE_FORMAT")
    if isinstance(value, FieldFile):
        return value.name.rsplit("/", 1)[-1] if value.name else ""
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    return str(value)


def snapshot_text(item: Mapping[str, Any], models: Sequence[Any], labels: Mapping[str, str] | None = None) -> str:
    """A stored snapshot (JSON: field name -> value) as a person reads it: each key by the
    verbose name of the first of ``models`` with that field (or ``labels``), each value by
    ``display_value`` (ISO date-times in local time), person data masked, blanks left out."""
    from django.core.exceptions import FieldDoesNotExist
    from django.utils.dateparse import parse_datetime

    parts = []
    for key, value in item.items():
        field = None
        for model in models:
            try:
                field = model._meta.get_field(key)
                break
            except FieldDoesNotExist:
                continue
        label = (labels or {}).get(key) or str(getattr(field, "verbose_name", key))
        if isinstance(value, str) and "T" in value and (moment := parse_datetime(value)) is not None:
            value = moment
        if key in MASKED_PERSON_FIELDS and isinstance(value, str):
            value = mask_middle(value, *MASKED_PERSON_FIELDS[key])
        shown = display_value(field, value)
        if shown:
            parts.append(f"{label}：{shown}")
    return "；".join(parts)


class BusinessDateFieldListFilter(admin.DateFieldListFilter):
    """The admin's date filter (今天, 过去7天, 本月, 今年) counted from the business date
    (``kit.clock``), not the wall clock. Registered for every date field by catalog.admin_scope."""

    def __init__(
        self, field: Any, request: HttpRequest, params: Any, model: Any, model_admin: Any, field_path: str
    ) -> None:
        super().__init__(field, request, params, model, model_admin, field_path)
        self.links = business_date_links(field, field_path, self.links)


def business_date_links(field: Any, field_path: str, links: Any) -> tuple:
    """Django's date-filter links with their ranges moved to the business date."""
    import datetime

    from django.db import models
    from django.utils import timezone

    from kit import clock

    day = clock.today()
    today: datetime.date | datetime.datetime = day
    if isinstance(field, models.DateTimeField):
        today = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    tomorrow = today + datetime.timedelta(days=1)
    next_month = (
        today.replace(year=today.year + 1, month=1, day=1)
        if today.month == 12
        else today.replace(month=today.month + 1, day=1)
    )
    next_year = today.replace(year=today.year + 1, month=1, day=1)
    since, until = f"{field_path}__gte", f"{field_path}__lt"
    ranges = [
        (today, tomorrow),
        (today - datetime.timedelta(days=7), tomorrow),
        (today.replace(day=1), next_month),
        (today.replace(month=1, day=1), next_year),
    ]
    # Django's order: any date, today, past 7 days, this month, this year, then (null) no/has date.
    moved = [links[0], *((title, {since: a, until: b}) for (title, _), (a, b) in zip(links[1:5], ranges, strict=True))]
    return (*moved, *links[5:])


def whole_list_action(action: Any) -> Any:
    """Mark an admin action built to run on a whole list as one set (one service call for all
    its rows, e.g. a batch of certificates): it may run on “all” of a list longer than the
    cap, which the row-by-row actions may not (``CappedPaginator``)."""
    action.acts_on_the_whole_list = True
    return action


class CappedPaginator(Paginator):
    """A list's paginator that counts at most ``CAP`` rows (deeper in a list, up to the page
    after the one asked for): counting a province's million cases would read them all on
    every page, and a clerk narrows a long list with a filter or a search rather than
    paging through it. ``capped`` says the list goes on (the page shows “1000+”)."""

    CAP = 1_000
    PAGES_AHEAD = 1

    def __init__(self, object_list: Any, per_page: int | str, *args: Any, page_asked: int = 1, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, *args, **kwargs)
        self.limit = max(self.CAP, (page_asked + self.PAGES_AHEAD) * int(per_page))
        self.capped = False

    @cached_property
    def count(self) -> int:
        rows: Any = self.object_list
        counted = self._counted_up_to(rows, self.limit + 1)
        self.capped = counted > self.limit
        return min(counted, self.limit)

    @property
    def too_long_to_act_on_all(self) -> bool:
        """The list holds more than ``CAP`` rows: only a ``whole_list_action`` runs on all of them at once."""
        return self.capped or self.count > self.CAP

    @classmethod
    def longer_than_cap(cls, rows: Any) -> bool:
        return cls._counted_up_to(rows, cls.CAP + 1) > cls.CAP

    @staticmethod
    def _counted_up_to(rows: Any, most: int) -> int:
        # Counted without the list's order and computed columns: any ``most`` rows will do,
        # so the database stops at them instead of sorting the whole scope first.
        return rows.order_by().values("pk")[:most].count()
