"""Briefings by e-mail, received by a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import SecretStr

from tests.yuqing.reports.conftest import DAY, free_port, report_settings
from yuqing.records import SHANGHAI
from yuqing.reports.chart import cjk_font
from yuqing.reports.mail import DeliveryError
from yuqing.reports.model import ReportKind
from yuqing.reports.service import generate_report, report_store, send_report
from yuqing.settings_ops import NotifySettings, SmtpSettings

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=SHANGHAI)


def mail_settings(tmp_path, port: int, **smtp):
    settings = report_settings(tmp_path, recipients=["pr@example.cn", "boss@example.cn"],
                               weekly_recipients=["board@example.cn", "boss@example.cn"])
    notify = NotifySettings(smtp=SmtpSettings(host="127.0.0.1", port=port, sender="yuqing@example.cn", **smtp))
    return settings.model_copy(update={"notify": notify})


def test_weekly_report_is_received_with_body_images_and_docx(tmp_path, smtp, loaded, sites) -> None:
    inbox, port = smtp
    settings = mail_settings(tmp_path, port)
    stored = generate_report(settings, kind=ReportKind.weekly, day=DAY, now=NOW, store=loaded, sites=sites,
                             extensions=[])
    delivery = send_report(settings, stored.id, now=NOW)
    assert delivery.ok and delivery.recipients == 3
    [(to, message)] = inbox.messages
    assert sorted(to) == ["board@example.cn", "boss@example.cn", "pr@example.cn"]
    assert message["Subject"] == stored.briefing.title and message["From"] == "yuqing@example.cn"
    html = message.get_body(("html",)).get_content()
    plain = message.get_body(("plain",)).get_content()
    assert f"本期共监测到相关信息 {stored.briefing.figures.total} 条" in html and stored.briefing.title in plain
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"{stored.briefing.title}.docx"
    assert attachment.get_content() == report_store(settings).file(stored.id, "docx").read_bytes()
    if cjk_font() is not None:
        images = [p for p in message.walk() if p.get_content_type() == "image/png"]
        assert len(images) == 2 and all(f"cid:{p['Content-ID'].strip('<>')}" in html for p in images)
    assert report_store(settings).get(stored.id).deliveries[-1].ok


def test_daily_goes_to_the_common_recipients_only(tmp_path, smtp, loaded, sites) -> None:
    inbox, port = smtp
    settings = mail_settings(tmp_path, port)
    stored = generate_report(settings, kind=ReportKind.daily, day=DAY, now=NOW, store=loaded, sites=sites,
                             extensions=[])
    assert send_report(settings, stored.id, now=NOW).recipients == 2
    assert sorted(inbox.messages[0][0]) == ["boss@example.cn", "pr@example.cn"]


def test_a_refused_connection_is_recorded_without_the_password(tmp_path, loaded, sites) -> None:
    settings = mail_settings(tmp_path, free_port(), username="yuqing", password=SecretStr("pa55-w0rd"))
    stored = generate_report(settings, kind=ReportKind.daily, day=DAY, now=NOW, store=loaded, sites=sites,
                             extensions=[])
    delivery = send_report(settings, stored.id, now=NOW)
    assert not delivery.ok and "邮件发送失败" in delivery.error and "pa55-w0rd" not in delivery.error
    kept = report_store(settings).get(stored.id)
    assert kept.deliveries == [delivery] and report_store(settings).file(stored.id, "html") is not None


def test_no_recipients_and_unknown_report(tmp_path, loaded, sites) -> None:
    settings = report_settings(tmp_path)
    stored = generate_report(settings, kind=ReportKind.daily, day=DAY, now=NOW, store=loaded, sites=sites,
                             extensions=[])
    with pytest.raises(DeliveryError, match="未配置收件人"):
        send_report(settings, stored.id, now=NOW)
    with pytest.raises(KeyError):
        send_report(settings, "daily-1999-01-01", now=NOW)
