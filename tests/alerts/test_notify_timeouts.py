"""Fault: notification channels timing out do not delay ticket transitions.

An SMTP server that accepts the connection and never greets (a silent TCP server on loopback)
and a group robot that never answers (the robot server's /hang) are configured next to a
healthy robot; staff move a ticket back and forth through the API. Every transition answers at
once while the deliveries wait for their timeouts in the background; then the two hanging
channels are logged as failed with the timeout as the reason, after their retries, and the
healthy channel received every notice.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from alerts.actor import SYSTEM
from alerts.db import Database, now_shanghai
from alerts.notify.models import Delivery
from alerts.notify.service import Notifier
from alerts.tickets.service import open_ticket
from api.app import create_app
from tests.alerts.robots import RobotServer, SilentServer
from tests.api.helpers import sign_in
from tests.conftest import make_settings
from yuqing.records import Role
from yuqing.settings_ops import ChannelSettings, NotifySettings, SmtpSettings

pytestmark = pytest.mark.slow
TIMEOUT = 2.0  # well above a transition on a busy machine (0.85 s seen), well below the drain
ATTEMPTS = 2
ROUNDS = 2  # assign + return each


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer().start()
    yield server
    server.stop()


@pytest.fixture
def robots() -> Iterator[RobotServer]:
    server = RobotServer().start()
    yield server
    server.stop()


def on_assign(kind: str, url: str | None = None, **values) -> ChannelSettings:
    return ChannelSettings(kind=kind, url=SecretStr(url) if url else None, events=["assigned"], min_level="blue",
                           **values)


def test_hanging_mail_and_robot_delay_no_transition(db: Database, tmp_path, store, robots: RobotServer,
                                                   silent: SilentServer) -> None:
    settings = make_settings(tmp_path / "data", notify=NotifySettings(
        channels={"mail": on_assign("email", to=["kefu@example.cn"]),
                  "robot": on_assign("wecom", f"{robots.base}/hang"), "fine": on_assign("wecom", f"{robots.base}/ok")},
        attempts=ATTEMPTS, backoff_seconds=0.01, timeout_seconds=TIMEOUT,
        smtp=SmtpSettings(host="127.0.0.1", port=silent.port, sender="yuqing@example.cn")))
    notifier = Notifier(db, settings)
    db.on_notices = notifier.publish
    with db.write() as session:
        ticket_id = open_ticket(session, title="燃气费多收", settings=settings, actor=SYSTEM, now=now_shanghai(),
                                level="yellow", category="billing").id
    with TestClient(create_app(settings, store=store, db=db, notifier=notifier)) as client:
        sign_in(client, db, settings, Role.supervisor)
        slowest = 0.0
        for n in range(ROUNDS):
            for action, body in (("assign", {"department": "customer"}), ("return", {"comment": f"退回 {n}"})):
                started = time.monotonic()
                response = client.post(f"/api/tickets/{ticket_id}/actions/{action}", json=body)
                slowest = max(slowest, time.monotonic() - started)
                assert response.status_code == 200, response.text
                if action == "assign" and n == ROUNDS - 1:
                    # read at once: this assignment's deliveries need ATTEMPTS x TIMEOUT to fail
                    with db.read() as session:
                        pending = {row.channel for row in session.scalars(
                            select(Delivery).where(Delivery.status == "pending"))}
        assert slowest < TIMEOUT  # no transition waited for a channel's timeout...
        assert {"mail", "robot"} <= pending  # ...while the hanging channels were still being tried
        assert notifier.drain(60)
    with db.read() as session:
        rows = list(session.scalars(select(Delivery)))
    by_channel = {name: [r for r in rows if r.channel == name] for name in ("mail", "robot", "fine")}
    assert all(len(found) == ROUNDS for found in by_channel.values())  # one delivery per assignment
    assert all(r.status == "sent" for r in by_channel["fine"]) and len(robots.bodies("/ok")) == ROUNDS
    for row in by_channel["mail"] + by_channel["robot"]:
        assert (row.status, row.attempts) == ("failed", ATTEMPTS)
        assert row.last_error in ("SMTP 请求超时", "请求超时"), row.last_error  # the reason says it timed out
    notifier.close()
