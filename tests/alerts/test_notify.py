"""Notifications against a real HTTP server and a real SMTP server on loopback: every channel
kind, signatures, retries with backoff, the delivery log, and no channel waiting for another."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_string
from email.header import decode_header, make_header

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from alerts.db import Database
from alerts.levels import Level
from alerts.notify.models import Delivery
from alerts.notify.outbox import Notice
from alerts.notify.service import Notifier, channels_for, delivery_log
from alerts.tickets.service import open_ticket, transition
from tests.alerts.robots import MailServer, RobotServer
from tests.builders import BASE_TIME, actor
from tests.conftest import make_settings
from tools.pg_server import free_port
from yuqing.settings_ops import ChannelSettings, NotifySettings, SmtpSettings

ROBOT_KEY = "ROBOT-KEY-0123456789abcdef"
SIGN_SECRET = "SEC-signing-secret-xyz"
RED = Notice(kind="alert", subject="【红色预警】停气降压（岱岳区）：整个小区停气", body="详情见系统", ref="alert:1",
             level="red")


@pytest.fixture
def robots() -> Iterator[RobotServer]:
    server = RobotServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail() -> Iterator[MailServer]:
    server = MailServer().start()
    yield server
    server.stop()


def channel(kind: str, url: str | None = None, **values) -> ChannelSettings:
    return ChannelSettings(kind=kind, url=SecretStr(url) if url else None, **values)


def wired(db: Database, tmp_path, channels: dict[str, ChannelSettings], smtp_port: int | None = None) -> Notifier:
    settings = make_settings(tmp_path, notify=NotifySettings(
        channels=channels, attempts=3, backoff_seconds=0.01, timeout_seconds=2,
        smtp=SmtpSettings(host="127.0.0.1", port=smtp_port or free_port(), sender="yuqing@example.cn")))
    notifier = Notifier(db, settings)
    db.on_notices = notifier.publish
    return notifier


def log_rows(db: Database) -> dict[str, Delivery]:
    with db.read() as session:
        return {row.channel: row for row in session.scalars(select(Delivery))}


def test_every_channel_kind_delivers_and_signs(db: Database, tmp_path, robots: RobotServer,
                                               mail: MailServer) -> None:
    notifier = wired(db, tmp_path, {
        "pr-wecom": channel("wecom", f"{robots.base}/ok?key={ROBOT_KEY}"),
        "pr-dingtalk": channel("dingtalk", f"{robots.base}/ok?access_token={ROBOT_KEY}",
                               secret=SecretStr(SIGN_SECRET)),
        "pr-feishu": channel("feishu", f"{robots.base}/feishu", secret=SecretStr(SIGN_SECRET)),
        "duty-sms": channel("sms", f"{robots.base}/ok", to=["13800000000"]),
        "pr-mail": channel("email", to=["pr@example.cn", "lead@example.cn"]),
    }, smtp_port=mail.port)
    notifier.publish([RED])
    assert notifier.drain(10)
    rows = log_rows(db)
    assert {name: row.status for name, row in rows.items()} == dict.fromkeys(rows, "sent") and len(rows) == 5
    by_query = {next(iter(r.query), "none"): r for r in robots.bodies("/ok")}  # they arrive in any order
    wecom, dingtalk, sms = by_query["key"], by_query["access_token"], by_query["none"]
    assert wecom.body["markdown"]["content"].startswith(f"**{RED.subject}**")
    stamp = dingtalk.query["timestamp"][0]
    expected = base64.b64encode(hmac.new(SIGN_SECRET.encode(), f"{stamp}\n{SIGN_SECRET}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert dingtalk.query["sign"] == [expected] and dingtalk.body["markdown"]["title"] == RED.subject
    (feishu,) = robots.bodies("/feishu")
    key = f"{feishu.body['timestamp']}\n{SIGN_SECRET}".encode()
    assert feishu.body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert sms.body["phones"] == ["13800000000"] and sms.body["text"].startswith(RED.subject)
    (sender, recipients, raw) = mail.messages[0]
    message = message_from_string(raw)
    assert sender == "yuqing@example.cn" and recipients == ["pr@example.cn", "lead@example.cn"]
    assert str(make_header(decode_header(message["Subject"]))) == RED.subject
    notifier.close()


def test_a_dead_channel_is_retried_logged_and_never_holds_up_the_others(
        db: Database, tmp_path, robots: RobotServer, caplog: pytest.LogCaptureFixture) -> None:
    notifier = wired(db, tmp_path, {
        "dead": channel("wecom", f"{robots.base}/down?key={ROBOT_KEY}"),
        "refuses": channel("wecom", f"{robots.base}/error?key={ROBOT_KEY}"),
        "flaky": channel("dingtalk", f"{robots.base}/flaky?access_token={ROBOT_KEY}"),
        "fine": channel("feishu", f"{robots.base}/feishu"),
        "mail-down": channel("email", to=["pr@example.cn"]),  # nothing listens on the SMTP port
    })
    with caplog.at_level(logging.DEBUG):
        notifier.publish([RED])
        assert notifier.drain(10)
    rows = log_rows(db)
    assert (rows["dead"].status, rows["dead"].attempts, rows["dead"].last_error) == ("failed", 3, "HTTP 500")
    assert rows["refuses"].status == "failed" and "310000" in rows["refuses"].last_error
    assert (rows["flaky"].status, rows["flaky"].attempts) == ("sent", 3)  # two 503s, then delivered
    assert (rows["fine"].status, rows["fine"].attempts) == ("sent", 1)
    assert rows["mail-down"].status == "failed" and "ConnectionRefused" in rows["mail-down"].last_error
    assert robots.calls["/down"] == 3
    everything = caplog.text + " ".join(f"{r.last_error} {r.body} {r.subject}" for r in rows.values())
    assert ROBOT_KEY not in everything and "127.0.0.1" not in " ".join(r.last_error for r in rows.values())
    notifier.close()


def test_a_hanging_robot_delays_neither_other_channels_nor_the_ticket(db: Database, tmp_path,
                                                                       robots: RobotServer) -> None:
    notifier = wired(db, tmp_path, {
        "hangs": channel("wecom", f"{robots.base}/hang", events=["assigned"], min_level="blue"),
        "fine": channel("wecom", f"{robots.base}/ok", events=["assigned"], min_level="blue"),
    })
    settings = notifier.settings
    started = time.monotonic()
    with db.write() as session:
        ticket = open_ticket(session, title="燃气费多收", settings=settings, actor=actor("pr"), now=BASE_TIME,
                             level=Level.yellow, category="billing")
    with db.write() as session:
        transition(session, ticket_id=ticket.id, action="assign", actor=actor("pr"), settings=settings,
                   now=BASE_TIME, department="customer")
    assert time.monotonic() - started < 1.0  # the transition committed without waiting for any robot
    deadline = time.monotonic() + 5
    while log_rows(db).get("fine") is None or log_rows(db)["fine"].status != "sent":
        assert time.monotonic() < deadline, "the healthy channel waited for the hanging one"
        time.sleep(0.02)
    assert log_rows(db)["hangs"].status == "pending"
    robots.release.set()
    assert notifier.drain(10)
    notifier.close()


def test_channel_filters(tmp_path) -> None:
    settings = make_settings(tmp_path, notify=NotifySettings(channels={
        "pr": channel("wecom", "http://127.0.0.1:9/x"),  # alerts orange and up by default
        "kefu": channel("wecom", "http://127.0.0.1:9/y", events=["assigned", "reminder"], departments=["customer"],
                        min_level="blue"),
        "off": channel("wecom", "http://127.0.0.1:9/z", enabled=False),
    }))
    yellow = Notice(kind="alert", subject="s", body="b", level="yellow")
    assert channels_for(settings, RED) == ["pr"] and channels_for(settings, yellow) == []
    assigned = Notice(kind="assigned", subject="s", body="b", level="blue", department="customer")
    assert channels_for(settings, assigned) == ["kefu"]
    # the 客服 group takes only its own department's tickets; the PR group (no filter) takes all
    dispatch = Notice(kind="assigned", subject="s", body="b", level="red", department="dispatch")
    assert channels_for(settings, dispatch) == ["pr"]


def test_stale_pending_deliveries_are_sent_again(db: Database, tmp_path, robots: RobotServer) -> None:
    notifier = wired(db, tmp_path, {"fine": channel("wecom", f"{robots.base}/ok")})
    with db.write() as session:
        session.add(Delivery(channel="fine", kind="alert", ref="alert:9", subject="遗留消息", body="进程重启前未发出",
                             created_at=BASE_TIME, updated_at=BASE_TIME))
    assert notifier.resend_stale(now=BASE_TIME + timedelta(minutes=10)) == 0  # not stale yet
    assert notifier.resend_stale(now=BASE_TIME + timedelta(hours=1)) == 1
    assert notifier.drain(10)
    with db.read() as session:
        (row,) = delivery_log(session)
    assert row.status == "sent" and robots.bodies("/ok")[0].body["markdown"]["content"].startswith("**遗留消息**")
    notifier.close()


def test_channel_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="needs 'to' addresses"):
        ChannelSettings(kind="email")
    with pytest.raises(ValueError, match="needs its webhook 'url'"):
        ChannelSettings(kind="dingtalk")
