"""An e-mail backend for tests whose mail is sent by another process (a Celery worker the
test started): each message becomes one JSON file in ``$JIANDING_TEST_MAILBOX``.

While a file named ``pause`` is in that folder, a send waits before writing anything and
leaves ``waiting-<pid>`` there, so a test can stop Redis or kill the process at that moment."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        box = Path(os.environ["JIANDING_TEST_MAILBOX"])
        pause = box / "pause"
        if pause.exists():
            (box / f"waiting-{os.getpid()}").touch()
            while pause.exists():
                time.sleep(0.05)
        for message in email_messages:
            record = {"to": list(message.to), "subject": str(message.subject), "pid": os.getpid()}
            (box / f"{uuid.uuid4().hex}.json").write_text(json.dumps(record, ensure_ascii=False))
        return len(email_messages)


def received(box: Path) -> list[tuple[str, str]]:
    """(recipient, subject) of every message in the mailbox."""
    found: list[tuple[str, str]] = []
    for path in box.glob("*.json"):
        record = json.loads(path.read_text())
        found.extend((to, record["subject"]) for to in record["to"])
    return found
