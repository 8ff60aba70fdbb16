"""Form widgets shared by the screens outside the admin."""

from __future__ import annotations

from typing import Any

from django import forms


class IsoDateInput(forms.DateInput):
    """The browser's date picker (``<input type="date">``). It reads and sends ISO dates only
    (YYYY-MM-DD); the zh-hans locale would render 2020/09/01, which the picker shows as empty."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")
