"""File downloads: the one way a view or an admin action hands a file to the browser."""

from __future__ import annotations

import mimetypes
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"


def file_response(content: bytes, filename: str, content_type: str = PDF, *, inline: bool = False) -> HttpResponse:
    """``content`` as a download named ``filename`` (Chinese names survive: RFC 6266);
    ``inline`` opens PDFs in the browser's viewer instead."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(not inline, filename) or ""
    return response


def stored_file_response(stored: Any, stem: str) -> HttpResponse:
    """An uploaded file (a scan, an attachment) as the browser opens it inline, read from
    storage by a view that has checked who asks: uploads are never served by URL. Named
    ``stem`` plus the stored file's own extension. Unknown types download rather than
    render (no stored HTML runs in our origin)."""
    name = str(stored.name)
    base = name.rsplit("/", 1)[-1]
    filename = stem + ("." + base.rsplit(".", 1)[-1].lower() if "." in base else "")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    safe = content_type in ("application/pdf", "image/jpeg", "image/png")
    with stored.open("rb") as handle:
        content = handle.read()
    response = file_response(content, filename, content_type if safe else "application/octet-stream", inline=safe)
    response["X-Content-Type-Options"] = "nosniff"
    return response
