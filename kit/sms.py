"""Short messages (短信) to candidates, through a pluggable backend, as Django sends e-mail.

``JIANDING_SMS_BACKEND`` names the backend class by dotted path. Shipped here: the console
backend (prints each message; the default), the file backend (one JSON line per message in
a file of ``JIANDING_SMS_FILE_PATH``, one file per day) and the in-memory backend for tests
(``kit.sms.outbox``). No real gateway is shipped: one is a subclass of ``BaseSmsBackend``
whose ``send_messages`` returns how many messages the gateway took."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from django.utils.module_loading import import_string

from . import clock, conf
from .logs import mask_personal_numbers


@dataclass(frozen=True)
class SmsMessage:
    """One message to one mobile number. ``reference`` ties it to the sender's log row."""

    to: str
    text: str
    reference: str = ""


class BaseSmsBackend:
    """The interface: ``send_messages`` delivers what it can and returns how many it delivered."""

    def __init__(self, **options: Any) -> None:
        self.options = options

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        raise NotImplementedError


class ConsoleBackend(BaseSmsBackend):
    """Writes each message to a stream (standard output): development and demos. The
    number is masked, as in the logs: a console is often captured into one."""

    def __init__(self, stream: TextIO | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        with self._lock:
            for message in messages:
                self.stream.write(f"[短信] 至 {mask_personal_numbers(message.to)}：{message.text}\n")
            self.stream.flush()
        return len(messages)


class FileBackend(BaseSmsBackend):
    """Appends one JSON line per message to ``<directory>/sms-YYYY-MM-DD.jsonl``."""

    def __init__(self, directory: str | Path | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.directory = Path(directory or conf.sms_file_path())

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        if not messages:
            return 0
        self.directory.mkdir(parents=True, exist_ok=True)
        now = clock.now()
        path = self.directory / f"sms-{now:%Y-%m-%d}.jsonl"
        with path.open("a", encoding="utf-8") as file:
            for message in messages:
                file.write(json.dumps({**asdict(message), "at": now.isoformat()}, ensure_ascii=False) + "\n")
        return len(messages)


outbox: list[SmsMessage] = []


class LocmemBackend(BaseSmsBackend):
    """Keeps messages in ``kit.sms.outbox`` (tests)."""

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        outbox.extend(messages)
        return len(messages)


def get_backend(path: str | None = None, **options: Any) -> BaseSmsBackend:
    """An instance of the configured backend (or of ``path``)."""
    backend: type[BaseSmsBackend] = import_string(path or conf.sms_backend())
    return backend(**options)


def send_messages(messages: Sequence[SmsMessage]) -> int:
    return get_backend().send_messages(messages)
