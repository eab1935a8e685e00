"""Briefing fixtures: our own mentions (tests/fixtures/reports/mentions.jsonl) through the real
ingest path into SQLite, and a real site-check store with results and incidents."""

from __future__ import annotations

import email
import email.policy
import json
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from crawlers.sitecheck.errors import Reason
from crawlers.sitecheck.records import CheckResult, CheckStatus
from crawlers.sitecheck.store import SiteStore
from tests.builders import BASE_TIME, mention
from tests.conftest import FIXTURES, make_settings
from yuqing.ingest import Ingestor
from yuqing.records import Platform
from yuqing.settings import Settings
from yuqing.settings_reports import ReportSettings
from yuqing.settings_sites import SitesSettings

DAY = BASE_TIME.date()  # 2026-11-20: the daily report's day, the weekly report's last day
TARGETS = [{"name": "官网首页", "url": "https://www.example.invalid/"},
           {"name": "缴费查询", "kind": "service", "url": "https://www.example.invalid/pay", "json_field": "ok"}]


def fixture_mentions():
    for line in (FIXTURES / "reports" / "mentions.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        yield mention(row.pop("n"), row.pop("text"), platform=Platform(row.pop("platform")),
                      hours_ago=row.pop("hours_ago"), **row)


def report_settings(tmp_path: Path, **reports) -> Settings:
    return make_settings(tmp_path / "data", sites=SitesSettings(targets=TARGETS),
                         reports=ReportSettings(**reports))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return report_settings(tmp_path)


@pytest.fixture
def loaded(store, analyzer):
    Ingestor(analyzer, store).ingest(fixture_mentions())
    return store


def _result(name: str, at: datetime, ok: bool, latency: float) -> CheckResult:
    return CheckResult(target=name, kind="page", url="https://www.example.invalid/",
                       status=CheckStatus.ok if ok else CheckStatus.failed,
                       reason=Reason.ok if ok else Reason.http_status, detail="" if ok else "HTTP 502",
                       http_status=200 if ok else 502, latency_ms=latency, checked_at=at)


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[SiteStore]:
    """Checks every 6 hours over the week up to DAY; 缴费查询 failed on DAY 06:00 and 12:00 (an
    incident from 06:00 to 18:00), and an older incident from the week before."""
    end = datetime(DAY.year, DAY.month, DAY.day, 18, tzinfo=BASE_TIME.tzinfo)
    with SiteStore(tmp_path / "data" / "sites.sqlite") as store:
        for step in range(7 * 4):
            at = end - timedelta(hours=6 * step)
            failing = at in (end - timedelta(hours=12), end - timedelta(hours=6))
            store.save_run([_result("官网首页", at, True, 100.0), _result("缴费查询", at, not failing, 80.0)],
                           started_at=at, finished_at=at)
        opened = store.open_incident(target="缴费查询", opened_at=end - timedelta(hours=12),
                                     reason=Reason.http_status, detail="HTTP 502", alert_ref=None)
        store.recover_incident(opened.id, at=end)
        old = store.open_incident(target="官网首页", opened_at=end - timedelta(days=9), reason=Reason.timeout,
                                  detail="超时", alert_ref=None)
        store.recover_incident(old.id, at=end - timedelta(days=9) + timedelta(hours=1))
        yield store


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
