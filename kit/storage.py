"""Where personal files are stored: the "private" storage (``STORAGES``), outside
MEDIA_ROOT, handed out only by views that check who asks."""

from __future__ import annotations

from django.core.files.storage import Storage, storages


def private_storage() -> Storage:
    # A callable, so migrations name this function rather than freezing a path.
    return storages["private"]
