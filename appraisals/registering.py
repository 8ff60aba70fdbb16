"""报名 by ID number: the clerk types the person with the registration, rather than
picking one among the people their station can see. A service beside ``services.py``
(which another module of work owns) until they are merged."""

from __future__ import annotations

import datetime
import unicodedata
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from candidates.models import Candidate
from candidates.services import candidate_upsert
from candidates.validators import normalise_id_number
from catalog.models import User
from catalog.trace import service

from . import services
from .models import ExamAnnouncement, LateEntryApproval, Registration

NAME_MISMATCH = "姓名与该公民身份号码已登记的姓名不一致，请核对公民身份号码和姓名。"


def _name_key(name: str) -> str:
    """A name as compared with the record: full-width forms and spaces do not count."""
    return "".join(unicodedata.normalize("NFKC", name).split())


@service
def registration_accept_by_id_number(
    *,
    actor: User,
    id_number: str,
    name: str,
    announcement: ExamAnnouncement,
    registration_date: datetime.date,
    fee: Decimal | None = None,
    late_entry_approval: LateEntryApproval | None = None,
    **candidate_fields: Any,
) -> Registration:
    """Enter the person (new, or brought up to date) and register them, together: a
    refused registration leaves the person as they were.

    1. Lock the person with this ID number, if known. A name that differs from the
       record's (full-width forms and spaces aside) is refused without showing the
       record's (PIPL; a mistyped ID number is the likely cause); the record's spelling
       stays.
    2. ``candidate_upsert`` with the fields given; a blank one (``None`` or ``""``) keeps
       the value on record (a new person gets the model's default).
    3. ``registration_accept``; its refusal rolls back step 2 (one transaction)."""
    id_number = normalise_id_number(id_number)
    fields = {key: value for key, value in candidate_fields.items() if value not in (None, "")}
    known = Candidate.objects.select_for_update(of=("self",)).filter(id_number=id_number).first()
    if known is not None:
        if _name_key(known.name) != _name_key(name):
            raise ValidationError({"name": NAME_MISMATCH})
        name = known.name
    candidate = candidate_upsert(actor=actor, id_number=id_number, name=name, **fields)
    return services.registration_accept(
        actor=actor,
        candidate=candidate,
        announcement=announcement,
        registration_date=registration_date,
        fee=fee,
        late_entry_approval=late_entry_approval,
    )
