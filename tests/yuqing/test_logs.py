"""Log lines: JSON (or text) with the request or job id, extra fields, exceptions, and every
configured secret masked whatever code wrote it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from tests.conftest import make_settings
from yuqing.logs import MASK, configure_logging, job_id, job_scope, request_id, secret_values
from yuqing.settings_ops import AlertSettings, ChannelSettings, NotifySettings, SmtpSettings
from yuqing.settings_run import LoggingSettings

WEBHOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0123456789abcdef"


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def settings_with_secrets(tmp_path, log_format: str = "json"):
    return make_settings(
        tmp_path / "data", logging=LoggingSettings(format=log_format),
        alerts=AlertSettings(database_url="postgresql+psycopg://yuqing:pg-pass-9876@db.example/yuqing"),
        notify=NotifySettings(smtp=SmtpSettings(username="mailer", password="smtp-pass-1234"),
                              channels={"pr": ChannelSettings(kind="wecom", url=WEBHOOK)}))


def test_secret_values_finds_every_secret_and_the_database_password_alone(tmp_path) -> None:
    found = secret_values(settings_with_secrets(tmp_path))
    assert {"smtp-pass-1234", WEBHOOK, "pg-pass-9876"} <= set(found)
    assert "postgresql+psycopg://yuqing:pg-pass-9876@db.example/yuqing" in found
    assert found == sorted(found, key=len, reverse=True)  # a URL is masked before the password in it


def test_json_lines_carry_ids_fields_and_exceptions_with_secrets_masked(tmp_path, restore_root) -> None:
    stream = io.StringIO()
    configure_logging(settings_with_secrets(tmp_path), stream=stream)
    log = logging.getLogger("yuqing.test")
    token = request_id.set("req-1")
    try:
        log.info("sending to %s with %s", WEBHOOK, "smtp-pass-1234", extra={"route": "/api/x"})
    finally:
        request_id.reset(token)
    with job_scope("crawl:weibo") as job:
        try:
            raise ValueError("connect to postgresql+psycopg://yuqing:pg-pass-9876@db.example/yuqing failed")
        except ValueError:
            log.exception("database down")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["request_id"] == "req-1" and "job_id" not in first and first["route"] == "/api/x"
    assert first["level"] == "INFO" and first["logger"] == "yuqing.test" and first["time"].endswith("+08:00")
    assert first["message"] == f"sending to {MASK} with {MASK}"
    assert second["job_id"] == job and job.startswith("crawl:weibo:") and "request_id" not in second
    assert "ValueError" in second["exception"] and "pg-pass-9876" not in stream.getvalue()
    assert job_id.get() == ""  # the scope ended


def test_text_format_has_the_same_fields(tmp_path, restore_root) -> None:
    stream = io.StringIO()
    configure_logging(settings_with_secrets(tmp_path, "text"), stream=stream)
    with job_scope("tickets:sla"):
        logging.getLogger("yuqing.x").warning("escalated %d tickets", 3, extra={"department": "customer"})
    line = stream.getvalue().strip()
    assert " WARNING yuqing.x [job_id=tickets:sla:" in line
    assert line.endswith("escalated 3 tickets department=customer")


def test_noisy_client_libraries_are_quiet(tmp_path, restore_root) -> None:
    stream = io.StringIO()
    configure_logging(make_settings(tmp_path / "data"), stream=stream)
    logging.getLogger("httpx").info("HTTP Request: POST %s", WEBHOOK)  # httpx logs whole URLs at INFO
    logging.getLogger("apscheduler.executors.default").info('Running job "tickets:sla"')
    assert stream.getvalue() == ""
