"""The registration importer. Registration files in: CSV (UTF-8, UTF-8 with BOM,
GB18030/GBK, told apart without asking) or XLSX (streamed), checked row by row against the
same rules as the admin, then saved all together in one short transaction, or not at all.

- ``reading``: file kinds and encodings, the XLSX sheet through defusedxml, the columns
  and the header row;
- ``checking``: each cell read the way a clerk writes it, each row against the models'
  rules (``RegistrationImporter``, whose docstring lists the steps);
- ``report``: what was refused (row, column, value, rule) and what was saved;
- ``writing``: the ORM writer and PostgreSQL's ``COPY``;
- ``jobs``: importing a file, background ``ImportJob`` runs with their progress in the
  cache, and removing uploads nobody will confirm.

The names below are the package's interface; callers import them from here.
"""

from .checking import BATCH_SIZE, PREVIEW_ROWS, Progress, RegistrationImporter, parse_date, shown_value
from .jobs import (
    STORED_ERRORS,
    ImportInterrupted,
    import_file,
    import_job_start,
    job_with_live_progress,
    preview_dir,
    purge_import_files,
    run_import_job,
)
from .reading import (
    COLUMNS,
    LABELS,
    OPTIONAL_LABELS,
    REQUIRED_LABELS,
    Column,
    Table,
    detect_encoding,
    map_headers,
    open_table,
)
from .report import HEADER, ImportRefused, ImportReport, RowError
from .writing import CopyWriter, OrmWriter

__all__ = [
    "BATCH_SIZE",
    "COLUMNS",
    "HEADER",
    "LABELS",
    "OPTIONAL_LABELS",
    "PREVIEW_ROWS",
    "REQUIRED_LABELS",
    "STORED_ERRORS",
    "Column",
    "CopyWriter",
    "ImportInterrupted",
    "ImportRefused",
    "ImportReport",
    "OrmWriter",
    "Progress",
    "RegistrationImporter",
    "RowError",
    "Table",
    "detect_encoding",
    "import_file",
    "import_job_start",
    "job_with_live_progress",
    "map_headers",
    "open_table",
    "parse_date",
    "preview_dir",
    "purge_import_files",
    "run_import_job",
    "shown_value",
]
