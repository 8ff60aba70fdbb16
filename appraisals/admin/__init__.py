"""The clerk's screens, one module per area. Display only: every change goes through
``appraisals.services``, from add forms (``ServiceForm``) and from bulk actions that
report each row. Importing this package registers every admin class.

``AnnouncedOccupationFilter``, ``CaseReadOnlyInline`` and ``candidate_label`` live in
``appraisals.admin.shared`` and ``report_rows`` in ``kit.admin``; they are re-exported
here while other apps' admins still import them from ``appraisals.admin``."""

from kit.admin import report_rows

from . import (
    announcements,
    case_steps,
    examday,
    import_jobs,
    late_entries,
    registrations,
    registry,
    sessions,
    trainees,
)
from .shared import AnnouncedOccupationFilter, CaseReadOnlyInline, candidate_label

__all__ = [
    "AnnouncedOccupationFilter",
    "CaseReadOnlyInline",
    "announcements",
    "candidate_label",
    "case_steps",
    "examday",
    "import_jobs",
    "late_entries",
    "registrations",
    "registry",
    "report_rows",
    "sessions",
    "trainees",
]
