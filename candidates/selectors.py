"""Reads of candidates shared by screens, imports and reports."""

from __future__ import annotations

from .models import Candidate
from .validators import ID_NUMBER_SHAPE, normalise_id_number


def find_by_id_number(raw: str) -> Candidate | None:
    """The candidate with this ID number, however it was typed (full-width digits,
    spaces, lower-case x); None when there is none or the text is not an ID number."""
    id_number = normalise_id_number(raw)
    if not ID_NUMBER_SHAPE.fullmatch(id_number):
        return None
    return Candidate.objects.filter(id_number=id_number).first()
