"""Resident ID numbers outside the rows that need them (PIPL: sensitive personal information,
minimum necessary).

The trace (``catalog.trace.history``) copies every field of a row on every change. A full
ID number is kept only in the candidate's own row, the certificate and the archive record;
every history table keeps instead

- the **masked form** (350203********1234) in the column that held the number, and inside
  any text or JSON value (an archive record's contents, an import report, a complaint), so
  the history page still reads as before; and
- a **keyed hash** (HMAC-SHA256 with ``JIANDING_ID_HASH_KEY``) of the number in its own
  ``id_number_digest`` column, on the models that carry a person's number (candidate,
  certificate), so that whoever may see full numbers can still find a person's history by
  typing the number: the masked form alone is shared by thousands of people.

A plain SHA-256 would not do: ID numbers are few (about 10^11 with a checksum and a birth
date), so an unkeyed hash is reversed by trying them all. With the key kept out of the
database, a stolen dump reveals nothing. The cost is rotation: history no longer holds the
full numbers, so after a new key its digests can be recomputed only from the current rows
(a history row of a candidate whose masked number equals the current number's mask); rows
written under a number since corrected stay findable only with the old key. Rotate when the
key has leaked, not on a calendar."""

from __future__ import annotations

import hashlib
import hmac
import operator
import re
from collections.abc import Callable
from typing import Any

from django.db import models

from kit import conf

# An 18-character resident ID number standing alone (not inside a longer word or number,
# not a piece of a SHA-256 in hex). The same shape as kit.logs masks.
ID_NUMBER_IN_TEXT = re.compile(r"(?<![\dA-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![\dA-Za-z])")
DIGEST_LENGTH = 64


def hash_key() -> bytes:
    """The HMAC key: ``JIANDING_ID_HASH_KEY``, or derived from ``SECRET_KEY`` when unset."""
    return conf.id_hash_key().encode()


def id_number_digest(id_number: str | None) -> str | None:
    """The keyed hash of a normalised ID number (``None`` for none)."""
    if not id_number:
        return None
    return hmac.new(hash_key(), id_number.upper().encode(), hashlib.sha256).hexdigest()


def mask_id_numbers(value: Any) -> Any:
    """``value`` with every ID number in it masked: a string, or a JSON value (lists and
    dicts walked, keys included); anything else unchanged."""
    if isinstance(value, str):
        if len(value) < 18:
            return value
        return ID_NUMBER_IN_TEXT.sub(lambda m: f"{m.group(1)}********{m.group(2)}", value)
    if isinstance(value, list | tuple):
        return [mask_id_numbers(item) for item in value]
    if isinstance(value, dict):
        return {mask_id_numbers(key): mask_id_numbers(item) for key, item in value.items()}
    return value


def contains_id_number(value: Any) -> bool:
    return mask_id_numbers(value) != value


# --- fields of the history tables -----------------------------------------------------------
#
# simple-history copies the model's fields; ``catalog.trace`` swaps the class of each text,
# JSON and char field of a history model for one of these. ``pre_save`` is what Django
# writes for a field on save() and on bulk_create(), so no path (single save, the bulk
# paths of TracedQuerySet, a future one) writes a full number. They deconstruct as the plain
# Django field: the schema and the migrations are unchanged.


class _MaskingMixin:
    def pre_save(self, model_instance: Any, add: bool) -> Any:
        return mask_id_numbers(super().pre_save(model_instance, add))  # type: ignore[misc]

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()  # type: ignore[misc]
        plain = type(self).__mro__[2]
        return name, f"django.db.models.{plain.__name__}", args, kwargs


class MaskedCharField(_MaskingMixin, models.CharField):
    pass


class MaskedTextField(_MaskingMixin, models.TextField):
    pass


class MaskedJSONField(_MaskingMixin, models.JSONField):
    pass


MASKED_CLASSES: dict[type, type] = {
    models.CharField: MaskedCharField,
    models.TextField: MaskedTextField,
    models.JSONField: MaskedJSONField,
}


class IdNumberDigestField(models.CharField):
    """The keyed hash of the full number in ``source`` of the same (historical) row, taken
    before that column is masked."""

    def __init__(self, *args: Any, source: str = "id_number", **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("max_length", DIGEST_LENGTH)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("verbose_name", "公民身份号码密钥散列")
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        full = getattr(model_instance, self.source, None)
        if full and ID_NUMBER_IN_TEXT.fullmatch(full):
            return id_number_digest(full)
        # Already masked (a row rewritten by hand, a copy of a history row): keep what is there.
        return getattr(model_instance, self.attname)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs


def history_value(field: models.Field, row: dict[str, Any]) -> Any:
    """What ``field`` of a history model writes for ``row`` (a plain dict of the tracked
    row's values by attname), as its ``pre_save`` does on save(): for writers that bypass
    the ORM (the importer's ``COPY``)."""
    if isinstance(field, IdNumberDigestField):
        full = row.get(field.source)
        return id_number_digest(full) if full and ID_NUMBER_IN_TEXT.fullmatch(full) else None
    value = row[field.attname]
    return mask_id_numbers(value) if isinstance(field, _MaskingMixin) else value


def history_row_maker(fields: list[models.Field]) -> Callable[[dict[str, Any]], list[Any]]:
    """``history_value`` of every field at once, for a writer of many rows: the plain
    values read in one step, then the masked and hashed ones replaced."""
    sources = [field.source if isinstance(field, IdNumberDigestField) else field.attname for field in fields]
    read = operator.itemgetter(*sources) if len(sources) > 1 else (lambda row: (row[sources[0]],))
    masked = [i for i, field in enumerate(fields) if isinstance(field, _MaskingMixin)]
    hashed = [i for i, field in enumerate(fields) if isinstance(field, IdNumberDigestField)]

    def make(row: dict[str, Any]) -> list[Any]:
        values = list(read(row))
        for i in masked:
            values[i] = mask_id_numbers(values[i])
        for i in hashed:
            full = values[i]
            values[i] = id_number_digest(full) if full and ID_NUMBER_IN_TEXT.fullmatch(full) else None
        return values

    return make


def masked_copy(field: models.Field) -> None:
    """Swap a copied (historical) field's class for its masking twin, in place."""
    for plain, masked in MASKED_CLASSES.items():
        if type(field) is plain:
            field.__class__ = masked
            return


# --- rewriting stored history -----------------------------------------------------------------


def rewrite_history(apps: Any, app_label: str, *, digest_sources: dict[str, str] | None = None) -> int:
    """Mask every full ID number in the history tables of ``app_label`` (and fill
    ``id_number_digest`` from the number before masking it, for the models named in
    ``digest_sources``: historical model name -> the column holding the number).

    For data migrations: works on the migration state's models (plain fields), row by row
    in primary-key order, updating only the rows that change. Returns the rows changed."""
    digest_sources = digest_sources or {}
    changed = 0
    for model in apps.get_app_config(app_label).get_models():
        if not model.__name__.startswith("Historical"):
            continue
        text_fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        text_fields = [f for f in text_fields if f.name != "id_number_digest"]
        source = digest_sources.get(model.__name__)
        for row in model._base_manager.order_by("pk").iterator(chunk_size=2000):
            updates: dict[str, Any] = {}
            if source:
                full = getattr(row, source)
                if full and ID_NUMBER_IN_TEXT.fullmatch(full) and not row.id_number_digest:
                    updates["id_number_digest"] = id_number_digest(full)
            for field in text_fields:
                value = getattr(row, field.attname)
                masked = mask_id_numbers(value)
                if masked != value:
                    updates[field.attname] = masked
            if updates:
                model._base_manager.filter(pk=row.pk).update(**updates)
                changed += 1
    return changed
