"""State changes of candidates. Each one validates the whole row and records who acted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from catalog.trace import acting_as

from .models import Candidate
from .validators import normalise_id_number, normalise_phone

if TYPE_CHECKING:
    from catalog.models import User

# What a caller may set. Birth date and sex are read from the ID number, never set.
EDITABLE_FIELDS = frozenset(
    field.name
    for field in Candidate._meta.concrete_fields
    if field.editable and not field.primary_key and field.name != "id_number"
)


def _check_field_names(fields: dict[str, Any]) -> None:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"考生没有可填写的字段：{'、'.join(sorted(unknown))}")


def _apply(candidate: Candidate, fields: dict[str, Any]) -> list[str]:
    """Set the values that differ; return the names of the fields that changed."""
    if "phone" in fields:
        # Compare normalised values, so "138 0013 8000" is no change from "13800138000".
        fields = {**fields, "phone": normalise_phone(fields["phone"])}
    changed = []
    for name, value in fields.items():
        if getattr(candidate, name) != value:
            setattr(candidate, name, value)
            changed.append(name)
    return changed


@transaction.atomic
def candidate_upsert(*, actor: User | None, id_number: str, name: str, **fields: Any) -> Candidate:
    """Create the candidate with this ID number, or bring the existing one up to date.

    1. Normalise the ID number (full-width digits, spaces, lower-case x), the lookup key.
    2. Lock the existing row, if any, so two updates do not interleave.
    3. Set the given fields; with no real change nothing is saved (no trace noise), so
       calling it again with the same data is harmless.
    4. ``full_clean()`` then ``save()`` as ``actor``, so the trace names who did it.

    Raises ``ValidationError`` (Chinese messages, ID number never repeated) for invalid
    data and ``TypeError`` for a field the candidate does not have or that is derived."""
    _check_field_names(fields)
    normalised = normalise_id_number(id_number)
    with acting_as(actor):
        candidate = Candidate.objects.select_for_update().filter(id_number=normalised).first()
        if candidate is None:
            candidate = Candidate(id_number=normalised, name=name, created_by=actor, **fields)
        elif not _apply(candidate, {"name": name, **fields}):
            return candidate
        candidate.full_clean()
        candidate.save()
    return candidate


@transaction.atomic
def candidate_update(*, actor: User | None, candidate: Candidate, **fields: Any) -> Candidate:
    """Change a saved candidate; the ID number may be among the fields (a typing error
    being corrected). Saves only on a real change, after validating the whole row."""
    _check_field_names({name: value for name, value in fields.items() if name != "id_number"})
    if "id_number" in fields:
        fields["id_number"] = normalise_id_number(fields["id_number"])
    with acting_as(actor):
        if _apply(candidate, fields):
            candidate.full_clean()
            candidate.save()
    return candidate
