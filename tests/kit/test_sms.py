"""The SMS backends: chosen by a dotted path, console and file ship, no real gateway."""

import io
import json

import pytest

from kit import sms


def test_the_configured_backend_is_loaded_by_its_dotted_path(settings):
    settings.JIANDING_SMS_BACKEND = "kit.sms.ConsoleBackend"
    assert isinstance(sms.get_backend(), sms.ConsoleBackend)
    settings.JIANDING_SMS_BACKEND = "kit.sms.FileBackend"
    assert isinstance(sms.get_backend(), sms.FileBackend)


def test_console_backend_prints_each_message_with_the_number_masked():
    stream = io.StringIO()
    sent = sms.ConsoleBackend(stream=stream).send_messages(
        [sms.SmsMessage("13800000001", "您好"), sms.SmsMessage("13800000002", "再见")]
    )
    assert sent == 2
    assert stream.getvalue().splitlines() == ["[短信] 至 138****0001：您好", "[短信] 至 138****0002：再见"]


@pytest.mark.django_db
def test_file_backend_writes_one_json_line_per_message(tmp_path, settings):
    settings.JIANDING_SMS_FILE_PATH = str(tmp_path / "sms")
    backend = sms.get_backend("kit.sms.FileBackend")
    assert backend.send_messages([sms.SmsMessage("13800000001", "准考证已可领取", "notice:1")]) == 1
    assert backend.send_messages([sms.SmsMessage("13800000002", "成绩已公示", "notice:2")]) == 1
    [path] = (tmp_path / "sms").iterdir()
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(line["to"], line["text"], line["reference"]) for line in lines] == [
        ("13800000001", "准考证已可领取", "notice:1"),
        ("13800000002", "成绩已公示", "notice:2"),
    ]
    assert backend.send_messages([]) == 0


def test_the_base_backend_is_only_an_interface():
    with pytest.raises(NotImplementedError):
        sms.BaseSmsBackend().send_messages([sms.SmsMessage("13800000001", "x")])
