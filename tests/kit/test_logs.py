"""No full ID number or mobile number in the logs: the console handler masks every line,
exceptions included (a refused import, a 500 on the public lookup)."""

import logging
import logging.config

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from kit.logs import mask_personal_numbers
from tests.candidates.factories import make_id_number

ID = make_id_number()
PHONE = "13800138000"


def test_numbers_are_masked_wherever_they_stand():
    text = f"导入失败：Key (id_number)=({ID}) already exists; 电话{PHONE}; 证书 FJ-XM-2020-000001"
    masked = mask_personal_numbers(text)
    assert ID not in masked and PHONE not in masked
    assert f"{ID[:6]}********{ID[-4:]}" in masked and "138****8000" in masked
    assert "FJ-XM-2020-000001" in masked


@pytest.fixture
def console(tmp_path):
    """The project's console handler, writing to a file the test reads."""
    out = (tmp_path / "log.txt").open("w+", encoding="utf-8")
    handler = logging.StreamHandler(out)
    formatter_config = settings.LOGGING["formatters"]["masked"]
    handler.setFormatter(
        logging.config.DictConfigurator({}).configure_custom(dict(formatter_config))  # the same formatter
    )
    root = logging.getLogger()
    root.addHandler(handler)
    yield out
    root.removeHandler(handler)


def read(out) -> str:
    out.flush()
    out.seek(0)
    return out.read()


def test_an_exception_quoting_an_id_number_is_logged_masked(console):
    try:
        raise ValueError(f"duplicate key value violates unique constraint DETAIL: Key (id_number)=({ID})")
    except ValueError:
        logging.getLogger("appraisals.importing").exception("报名导入在保存时遇到冲突")
    text = read(console)
    assert "报名导入在保存时遇到冲突" in text and "Traceback" in text
    assert ID not in text


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_a_500_on_the_lookup_logs_no_id_number(client, console, monkeypatch):
    from certificates import selectors

    def broken(*args, **kwargs):
        raise RuntimeError(f"查询出错：{args}")  # the ID number and name end up in the message

    monkeypatch.setattr(selectors, "lookup_by_id_number", broken)
    client.raise_request_exception = False
    response = client.post(reverse("verify"), {"key": ID, "name": "王五"}, REMOTE_ADDR="203.0.113.50")
    assert response.status_code == 500
    text = read(console)
    assert "Internal Server Error: /verify/" in text and "RuntimeError" in text
    assert ID not in text and ID not in response.content.decode()
