"""File downloads: the one way a view or an admin action hands a file to the browser."""

from __future__ import annotations

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
