"""Who saw whose personal data (PIPL: sensitive personal information, minimum necessary).

Every unmasking of a full ID or phone number, export with full numbers, archive record
opened and public lookup that finds a certificate is told here, as a signal: the app that
shows the data tells it without importing the one that keeps the record (supervision's
append-only ``PersonalDataAccess``, which supervisors read). ``subject`` names the person
or record by name and number, never by the full ID number."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.dispatch import Signal
from django.http import HttpRequest

# Sent with actor (a user, or None for the public), action, subject, reason, address.
personal_data_accessed = Signal()

UNMASK = "unmask"
EXPORT = "export"
ARCHIVE = "archive"
LOOKUP = "lookup"


def client_address(request: HttpRequest) -> str:
    """The client's address as the rate limits read it (behind a proxy, its header)."""
    meta: Any = request.META
    return str(meta.get(settings.RATELIMIT_IP_META_KEY) or meta.get("REMOTE_ADDR") or "")[:64]


def record(request: HttpRequest, *, action: str, subject: str, reason: str) -> None:
    user = getattr(request, "user", None)
    actor = user if user is not None and user.is_authenticated else None
    personal_data_accessed.send(
        sender=action, actor=actor, action=action, subject=subject, reason=reason, address=client_address(request)
    )
