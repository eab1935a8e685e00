"""Source health: after every run a source is `ok`, `degraded` or `blocked`, with the reason
and the time of its last successful item, read by `GET /api/sources` and `yuqing sources`.

A run is judged from its namespaced stats (`yuqing/<source>/<problem>`): refusals (login
wall, captcha, HTTP 403/418/429, empty-but-200, a missing signer) with no page read are
`blocked`; refusals or other problems next to pages read are `degraded`; else `ok`.

`SourceHealthMonitor.check(now=...)` is the operations-alert hook: it calls each listener
once per blocked episode with a `BlockedSource` when a source has been blocked longer than
its `blocked_alert_minutes`. The alerts stage subscribes with `listen()`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from yuqing.records import SHANGHAI
from yuqing.settings import Settings


class SourceState(StrEnum):
    ok = "ok"
    degraded = "degraded"
    blocked = "blocked"
    unknown = "unknown"  # never crawled


# Problems that mean the platform refused us (as opposed to a page we could not parse).
REFUSALS = ("needs_signer", "login_wall", "captcha", "http_403", "http_418", "http_429",
            "empty_200", "verify_check", "signature_rejected")
# Problems that mean we read nothing but are not a platform refusal.
STOPPERS = ("budget_exhausted", "disk_full")

REASONS_ZH = {
    "needs_signer": "需要配置签名器或 Cookie (blocked: needs signer/cookie)",
    "signature_rejected": "平台拒绝了请求签名，请更新签名器或 Cookie",
    "login_wall": "平台要求登录（登录墙），请更新 Cookie",
    "captcha": "平台要求验证码（反爬验证页）",
    "verify_check": "平台要求滑块/验证码验证",
    "http_403": "HTTP 403 禁止访问",
    "http_418": "HTTP 418 被平台限流",
    "http_429": "HTTP 429 请求过于频繁",
    "empty_200": "平台返回空白页面（HTTP 200 但无内容）",
    "budget_exhausted": "今日请求预算已用完",
    "disk_full": "数据目录磁盘空间不足，采集已暂停",
    "malformed": "页面或 JSON 格式异常（可能被截断或改版）",
    "api_error": "平台接口返回错误",
    "unknown": "尚未抓取",
    "page_budget": "翻页上限内未读到上次的位置（待补采）",
}
STATE_ZH = {SourceState.ok: "正常", SourceState.degraded: "部分异常", SourceState.blocked: "被封锁",
            SourceState.unknown: "尚未抓取"}


def reason_text(reason: str) -> str:
    """The staff-facing (Chinese) explanation of a reason code."""
    if not reason:
        return "正常"
    if reason.startswith("http_"):
        return REASONS_ZH.get(reason, f"HTTP {reason.removeprefix('http_')} 错误")
    return REASONS_ZH.get(reason, reason)


def assess(source: str, stats: Mapping[str, Any]) -> tuple[SourceState, str, dict[str, int], int]:
    """(state, reason, problems, items) of one run from its Scrapy stats."""
    prefix = f"yuqing/{source}/"
    counts = {k.removeprefix(prefix): int(v) for k, v in stats.items()
              if k.startswith(prefix) and isinstance(v, int | float)}
    items = counts.get("items", 0)
    pages_ok = counts.get("pages_ok", 0)
    benign = {"items", "pages", "pages_ok", "empty", "deleted", "stored_new", "stored_updated",
              "relevant", "evidence", "backfill_pages", "comments_requested", "known"}
    problems = {k: v for k, v in counts.items() if k not in benign and v}
    if problems.get("disk_full"):  # our side stopped the crawl, whatever the platform did
        return SourceState.degraded, "disk_full", problems, items
    refusals = {k: v for k, v in problems.items() if k in REFUSALS or k.startswith("http_4")}
    if refusals and pages_ok == 0:
        return SourceState.blocked, max(refusals, key=refusals.get), problems, items
    stoppers = {k: v for k, v in problems.items() if k in STOPPERS}
    if stoppers and pages_ok == 0:
        return SourceState.degraded, next(iter(stoppers)), problems, items
    if problems:
        return SourceState.degraded, max(problems, key=problems.get), problems, items
    return SourceState.ok, "", problems, items


@dataclass(frozen=True, slots=True)
class SourceHealth:
    source: str
    state: SourceState
    reason: str = ""
    last_run_at: datetime | None = None
    last_success_at: datetime | None = None
    blocked_since: datetime | None = None
    items: int = 0
    problems: dict[str, int] = field(default_factory=dict)
    alerted_for: datetime | None = None

    @property
    def reason_zh(self) -> str:
        return reason_text(self.reason if self.state != SourceState.unknown else "unknown")

    def since_success(self, now: datetime) -> timedelta | None:
        return now - self.last_success_at if self.last_success_at else None

    def as_dict(self, now: datetime) -> dict[str, Any]:
        since = self.since_success(now)
        return {
            "source": self.source, "state": self.state.value, "state_zh": STATE_ZH[self.state],
            "reason": self.reason,
            "reason_zh": self.reason_zh,
            "last_run_at": self.last_run_at.isoformat() if self.last_run_at else None,
            "last_success_at": self.last_success_at.isoformat() if self.last_success_at else None,
            "minutes_since_success": round(since.total_seconds() / 60) if since else None,
            "blocked_since": self.blocked_since.isoformat() if self.blocked_since else None,
            "items": self.items, "problems": self.problems,
        }


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(SHANGHAI) if value else None


class HealthBook:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get(self, source: str) -> SourceHealth | None:
        row = self.conn.execute("SELECT * FROM source_health WHERE source = ?", (source,)).fetchone()
        if row is None:
            return None
        return SourceHealth(
            source=row["source"], state=SourceState(row["state"]), reason=row["reason"],
            last_run_at=_time(row["last_run_at"]), last_success_at=_time(row["last_success_at"]),
            blocked_since=_time(row["blocked_since"]), items=row["items"],
            problems=json.loads(row["problems"]), alerted_for=_time(row["alerted_for"]))

    def record(self, source: str, state: SourceState, reason: str, *, items: int,
               problems: dict[str, int], now: datetime) -> SourceHealth:
        """Store one run's verdict; a blocked episode keeps the time it began."""
        before = self.get(source)
        success = now if items > 0 else (before.last_success_at if before else None)
        blocked_since = None
        if state == SourceState.blocked:
            blocked_since = before.blocked_since if before and before.blocked_since else now
        self.conn.execute(
            "INSERT OR REPLACE INTO source_health VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (source, state.value, reason, now.isoformat(), success.isoformat() if success else None,
             blocked_since.isoformat() if blocked_since else None,
             before.alerted_for.isoformat() if before and before.alerted_for and blocked_since else None,
             items, json.dumps(problems, sort_keys=True)))
        return self.get(source)

    def mark_alerted(self, source: str, blocked_since: datetime) -> None:
        self.conn.execute("UPDATE source_health SET alerted_for = ? WHERE source = ?",
                          (blocked_since.isoformat(), source))

    def all(self, sources: list[str]) -> list[SourceHealth]:
        """Health of the given sources, `unknown` for those never crawled."""
        return [self.get(s) or SourceHealth(source=s, state=SourceState.unknown) for s in sources]


@dataclass(frozen=True, slots=True)
class BlockedSource:
    """An operations alert: a source blocked longer than its configured limit."""

    source: str
    reason: str
    blocked_since: datetime
    minutes: int
    last_success_at: datetime | None

    @property
    def message_zh(self) -> str:
        return (f"数据源 {self.source} 已被封锁 {self.minutes} 分钟：{reason_text(self.reason)}。"
                f"上次成功抓取：{self.last_success_at:%Y-%m-%d %H:%M}" if self.last_success_at else
                f"数据源 {self.source} 已被封锁 {self.minutes} 分钟：{reason_text(self.reason)}。从未成功抓取。")


def blocked_too_long(health: SourceHealth, limit_minutes: int, now: datetime) -> BlockedSource | None:
    """The alert condition: blocked, and for at least `limit_minutes`."""
    if health.state != SourceState.blocked or health.blocked_since is None:
        return None
    minutes = int((now - health.blocked_since).total_seconds() // 60)
    if minutes < limit_minutes:
        return None
    return BlockedSource(source=health.source, reason=health.reason, blocked_since=health.blocked_since,
                         minutes=minutes, last_success_at=health.last_success_at)


BlockedListener = Callable[[BlockedSource], None]


class SourceHealthMonitor:
    """Checks every enabled source against its blocked-alert limit and tells listeners."""

    def __init__(self, settings: Settings, book: HealthBook) -> None:
        self.settings = settings
        self.book = book
        self._listeners: list[BlockedListener] = []

    def listen(self, listener: BlockedListener) -> None:
        self._listeners.append(listener)

    def check(self, *, now: datetime) -> list[BlockedSource]:
        """New alerts (one per blocked episode), each already passed to every listener."""
        raised = []
        for name, config in self.settings.sources:
            health = self.book.get(name)
            if not config.enabled or health is None:
                continue
            alert = blocked_too_long(health, config.blocked_alert_minutes, now)
            if alert is None or health.alerted_for == health.blocked_since:
                continue
            for listener in self._listeners:
                listener(alert)
            self.book.mark_alerted(name, alert.blocked_since)
            raised.append(alert)
        return raised
