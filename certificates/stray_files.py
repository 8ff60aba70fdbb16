"""Stored copies of personal files that no row names any more (PIPL art. 19: kept no longer
than needed): deleted by a nightly sweep.

A service stores a file before its transaction commits, since the row it writes names the
file: the archive record's copy of the consent scan at issuance (``services._archive_set``,
a whole batch of them at once), a consent form's scan when it is attached. When that
transaction rolls back (a later case of the batch refused, a database error), or the
process dies before the commit, the file stays on disk and nothing points at it: a consent
form with a name, an ID number and a signature that no screen shows, no retention rule
reaches and no one knows is there. A file younger than ``GRACE`` is left alone: it may
belong to a transaction still running."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.files.storage import Storage
from django.db.models import FileField, Model

from appraisals.models import ConsentForm
from kit import clock

from .models import ArchiveRecord

logger = logging.getLogger(__name__)

GRACE = datetime.timedelta(days=1)
# (model, file field, the folder its upload_to writes under): every file there is one of its rows'.
KEPT_FILES: list[tuple[type[Model], str, str]] = [
    (ArchiveRecord, "consent_scan", "archive"),
    (ConsentForm, "scan", "consent"),
]


@dataclass
class StrayReport:
    deleted: list[str] = field(default_factory=list)
    kept_young: int = 0


def _files_under(storage: Storage, folder: str) -> Iterator[str]:
    folders, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _files_under(storage, f"{folder}/{sub}")


def sweep(*, now: datetime.datetime | None = None, dry_run: bool = False) -> StrayReport:
    """Delete every file under a kept folder that no row names, once it is older than ``GRACE``.
    Names are logged (paths, never contents); a dry run deletes nothing and reports the same."""
    now = now or clock.wall()  # file times are the machine's, not the business date's
    report = StrayReport()
    for model, field_name, folder in KEPT_FILES:
        file_field = model._meta.get_field(field_name)
        assert isinstance(file_field, FileField)
        storage = file_field.storage
        if not storage.exists(folder):
            continue
        # The names' hashes, not the names: a province's 660,000 scans in 30 MB rather than 100.
        # Two names sharing a hash would keep a stray file, never delete a named one.
        rows = model._default_manager.exclude(**{field_name: ""}).values_list(field_name, flat=True)
        named = {hash(name) for name in rows.iterator(chunk_size=20_000)}
        for name in _files_under(storage, folder):
            if hash(name) in named:
                continue
            if storage.get_modified_time(name) > now - GRACE:
                report.kept_young += 1
                continue
            if not dry_run:
                storage.delete(name)
            report.deleted.append(name)
            logger.info("stray file %s: %s", "found" if dry_run else "deleted", name)
    return report
