"""The full trace (全程留痕): who changed what, when, before and after.

django-simple-history keeps a historical row per change. It learns the actor from
the request (HistoryRequestMiddleware) or from ``acting_as`` in services and tasks.
``TracedQuerySet`` makes the bulk paths that Django runs without signals
(``update``, ``bulk_create``, ``bulk_update``) write history too, so no path is silent.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

from django.db import models, transaction
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from kit import clock, privacy

_actor: contextvars.ContextVar[Any] = contextvars.ContextVar("jianding_actor", default=None)
_reason: contextvars.ContextVar[str] = contextvars.ContextVar("jianding_reason", default="")
# Django's bulk_update runs update() per batch; the bulk_update override records instead.
_inside_bulk_update: contextvars.ContextVar[bool] = contextvars.ContextVar("jianding_bulk_update", default=False)


@contextlib.contextmanager
def acting_as(user: Any, reason: str = "") -> Iterator[None]:
    """Attribute every change made inside the block to ``user``, with an optional reason."""
    user_token = _actor.set(user)
    reason_token = _reason.set(reason)
    try:
        yield
    finally:
        _actor.reset(user_token)
        _reason.reset(reason_token)


def current_actor(request: Any = None, **kwargs: Any) -> Any:
    """simple-history's ``get_user`` hook: the service's actor first, then the request's user."""
    actor = _actor.get()
    if actor is not None:
        return actor
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return None


def current_reason() -> str:
    return _reason.get()


@receiver(pre_create_historical_record)
def _attach_reason_and_business_time(sender: Any, instance: Any, history_instance: Any, **kwargs: Any) -> None:
    # The trace follows the one clock: a replay of 2020 records 2020, not the wall clock.
    if not hasattr(instance, "_history_date"):
        history_instance.history_date = clock.now()
    if not history_instance.history_change_reason:
        history_instance.history_change_reason = current_reason() or None


class PrivateHistoricalRecords(HistoricalRecords):
    """simple-history's records with no full resident ID number in them (kit.privacy):
    every char, text and JSON column of the history table masks ID numbers on write, and a
    model that carries a person's number (``id_field``) gets ``id_number_digest``, the
    number's keyed hash, to find that person's history by."""

    def __init__(self, *args: Any, id_field: str | None = None, **kwargs: Any) -> None:
        self.id_field = id_field
        super().__init__(*args, **kwargs)

    def copy_fields(self, model: Any) -> dict[str, Any]:
        fields = super().copy_fields(model)
        for field in fields.values():
            privacy.masked_copy(field)
        return fields

    def get_extra_fields(self, model: Any, fields: Any) -> dict[str, Any]:
        extra = super().get_extra_fields(model, fields)
        if self.id_field:
            extra["id_number_digest"] = privacy.IdNumberDigestField(source=self.id_field)
        return extra


def history(**kwargs: Any) -> HistoricalRecords:
    """The one way a model gets its trace (``id_field``: the column holding a person's
    resident ID number, whose history is then findable by the full number)."""
    return PrivateHistoricalRecords(get_user=current_actor, **kwargs)


class TracedQuerySet(models.QuerySet):
    """A queryset whose bulk writes leave the same trace as single saves."""

    def update(self, **kwargs: Any) -> int:
        if _inside_bulk_update.get():
            return super().update(**kwargs)
        pks = list(self.values_list("pk", flat=True))
        count = super().update(**kwargs)
        if pks:
            changed = list(self.model._default_manager.filter(pk__in=pks))
            self.model.history.bulk_history_create(
                changed,
                update=True,
                default_user=current_actor(),
                default_change_reason=current_reason(),
                default_date=clock.now(),
            )
        return count

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list:
        created = super().bulk_create(objs, *args, **kwargs)
        with_pk = [obj for obj in created if obj.pk is not None]
        if with_pk:
            self.model.history.bulk_history_create(
                with_pk, default_user=current_actor(), default_change_reason=current_reason(), default_date=clock.now()
            )
        return created

    def bulk_update(self, objs: Any, fields: Any, *args: Any, **kwargs: Any) -> int:
        objs = list(objs)
        token = _inside_bulk_update.set(True)
        try:
            count = super().bulk_update(objs, fields, *args, **kwargs)
        finally:
            _inside_bulk_update.reset(token)
        if objs:
            self.model.history.bulk_history_create(
                objs,
                update=True,
                default_user=current_actor(),
                default_change_reason=current_reason(),
                default_date=clock.now(),
            )
        return count


TracedManager = models.Manager.from_queryset(TracedQuerySet)

P = ParamSpec("P")
R = TypeVar("R")


def service(func: Callable[P, R]) -> Callable[P, R]:
    """A state change: one transaction, every change attributed to the ``actor`` keyword
    argument. The wrapped signature is kept, so callers and mypy see the real one."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic(), acting_as(kwargs.get("actor")):
            return func(*args, **kwargs)

    return wrapper
