"""The demo's candidate notices: the daily sweep run on the business date, so a clerk sees
what the candidates were told (the case page, 考生告知短信). The messages go to the file
backend (``JIANDING_SMS_FILE_PATH``), not the console, to keep ``load_demo`` quiet.
Idempotent: the notice log tells each moment once."""

from __future__ import annotations

from candidates.notices import notices_deliver_pending
from certificates.notices import sweep
from kit import clock, sms


def demo_notices_load() -> int:
    """Tell the demo's candidates what is due on the business date; returns how many were new."""
    told = sweep(clock.today())
    notices_deliver_pending(backend=sms.get_backend("kit.sms.FileBackend"))
    return told
