"""State changes of candidates. Each one validates the whole row and records who acted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet

from catalog.trace import acting_as

from .models import Candidate
from .photos import open_photo_zip, photo_jpeg
from .validators import normalise_id_number, normalise_phone

if TYPE_CHECKING:
    from catalog.models import User

# What a caller may set. Birth date and sex are read from the ID number, never set.
EDITABLE_FIELDS = frozenset(
    field.name
    for field in Candidate._meta.concrete_fields
    if field.editable and not field.primary_key and field.name != "id_number"
)  # the photo is not editable: it goes through candidate_photo_set


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
        candidate = Candidate.objects.select_for_update(of=("self",)).filter(id_number=normalised).first()
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


# --- photos ---------------------------------------------------------------------------------


def _store_photo(*, actor: User | None, candidate: Candidate, jpeg: bytes) -> Candidate:
    # The replaced file stays: the candidate's history names it.
    with acting_as(actor):
        candidate.photo.save("photo.jpg", ContentFile(jpeg), save=False)
        candidate.save(update_fields=["photo"])
    return candidate


@transaction.atomic
def candidate_photo_set(*, actor: User | None, candidate: Candidate, content: bytes, name: str) -> Candidate:
    """Set or replace one candidate's photo from an uploaded file called ``name``.

    The image is checked and re-encoded by ``photos.photo_jpeg`` (JPEG or PNG by content,
    size limits, EXIF and other metadata dropped); raises ``ValidationError`` naming the
    file and the rule. The change is traced as ``actor``."""
    jpeg = photo_jpeg(content, name)
    locked = Candidate.objects.select_for_update(of=("self",)).get(pk=candidate.pk)
    _store_photo(actor=actor, candidate=locked, jpeg=jpeg)
    candidate.photo = locked.photo
    return candidate


@dataclass
class PhotoImportReport:
    """What a ZIP import did: the photos saved (masked file names) and, per file not
    saved, the reason."""

    saved: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return len(self.saved) + len(self.replaced)


def candidate_photos_import(
    *, actor: User | None, candidates: QuerySet[Candidate], upload: IO[bytes]
) -> PhotoImportReport:
    """Import a ZIP of photos, each named by its candidate's ID number.

    Good files are saved and bad ones listed (a clerk fixes the few bad ones and sends
    them again, rather than the whole batch):

    1. A broken, overfull or oversized ZIP is refused whole (``ValidationError``).
    2. Every file's name is checked (``photos.open_photo_zip``): folder, extension, a
       valid ID number, the same person twice.
    3. Each ID number must be one of ``candidates`` (the people the importing user may
       change: the caller scopes it); only then is the photo read and checked
       (``PhotoZip.jpeg``), and saved in a transaction of its own."""
    report = PhotoImportReport()
    with open_photo_zip(upload) as bundle:
        report.errors = [entry.error for entry in bundle.entries if entry.error]
        named = [entry for entry in bundle.entries if not entry.error]
        found = {c.id_number: c for c in candidates.filter(id_number__in={entry.id_number for entry in named})}
        for entry in named:
            candidate = found.get(entry.id_number)
            if candidate is None:
                report.errors.append(f"{entry.name}：本站没有这名考生（须先在本站报名或录入考生）。")
                continue
            try:
                jpeg = bundle.jpeg(entry)
            except ValidationError as error:
                report.errors.extend(error.messages)
                continue
            had_photo = bool(candidate.photo)
            with transaction.atomic():
                locked = Candidate.objects.select_for_update(of=("self",)).get(pk=candidate.pk)
                _store_photo(actor=actor, candidate=locked, jpeg=jpeg)
            (report.replaced if had_photo else report.saved).append(entry.name)
    return report
