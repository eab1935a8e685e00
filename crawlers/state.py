"""Crawl state that must survive restarts, in one SQLite file (`crawl_state.sqlite`):
high-water marks per source and key, the daily request budget, items to re-check (board
messages still waiting for an official reply), gaps in coverage (`crawlers/gaps.py`) and
source health (`crawlers/health.py`).

A mark moves only when a key's pagination ended normally, so a crawl that dies half
way starts again from the old mark: re-fetched posts update in place (ingest is idempotent)
and nothing between the old mark and the crash is skipped.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from yuqing.records import SHANGHAI

SCHEMA = """
CREATE TABLE IF NOT EXISTS high_water (
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (source, key)
);
CREATE TABLE IF NOT EXISTS request_budget (
    source TEXT NOT NULL,
    day TEXT NOT NULL,              -- Asia/Shanghai date
    used INTEGER NOT NULL,
    PRIMARY KEY (source, day)
);
CREATE TABLE IF NOT EXISTS recheck (
    source TEXT NOT NULL,
    item TEXT NOT NULL,             -- platform id to fetch again (e.g. a message without reply)
    payload TEXT NOT NULL,          -- what the spider needs to fetch it (JSON)
    added_at TEXT NOT NULL,
    PRIMARY KEY (source, item)
);
CREATE TABLE IF NOT EXISTS coverage (
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    covered_until TEXT NOT NULL,    -- a complete crawl of the key reached back to here...
    PRIMARY KEY (source, key)       -- ...and forward to this time
);
CREATE TABLE IF NOT EXISTS gaps (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    start TEXT NOT NULL,            -- missing from here...
    end TEXT NOT NULL,              -- ...to here (ISO times, Asia/Shanghai)
    reason TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    closed_at TEXT                  -- NULL while still missing
);
CREATE INDEX IF NOT EXISTS gaps_open ON gaps (source, key, closed_at);
CREATE TABLE IF NOT EXISTS source_health (
    source TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    reason TEXT NOT NULL,
    last_run_at TEXT NOT NULL,
    last_success_at TEXT,           -- last run that stored at least one item
    blocked_since TEXT,
    alerted_for TEXT,               -- blocked_since of the episode already alerted
    items INTEGER NOT NULL,
    problems TEXT NOT NULL          -- JSON {problem: count} of the last run
);
"""


def now_shanghai() -> datetime:
    return datetime.now(SHANGHAI)


class CrawlState:
    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(path), timeout=10, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.executescript(SCHEMA)

    # -- high-water marks --------------------------------------------------------------
    def mark(self, source: str, key: str) -> str | None:
        row = self.conn.execute(
            "SELECT value FROM high_water WHERE source = ? AND key = ?", (source, key)
        ).fetchone()
        return row[0] if row else None

    def set_mark(self, source: str, key: str, value: str, now: datetime | None = None) -> None:
        now = now or now_shanghai()
        self.conn.execute(
            "INSERT INTO high_water VALUES (?, ?, ?, ?) ON CONFLICT (source, key) "
            "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (source, key, value, now.isoformat()),
        )

    def marks(self, source: str) -> dict[str, str]:
        rows = self.conn.execute("SELECT key, value FROM high_water WHERE source = ?", (source,))
        return {row[0]: row[1] for row in rows.fetchall()}

    # -- daily request budget ----------------------------------------------------------
    def take_request(self, source: str, budget: int, now: datetime | None = None) -> bool:
        """Count one request against today's budget; False (and nothing counted) when spent."""
        day = (now or now_shanghai()).astimezone(SHANGHAI).date().isoformat()
        cursor = self.conn.execute(
            "INSERT INTO request_budget VALUES (?, ?, 1) ON CONFLICT (source, day) "
            "DO UPDATE SET used = used + 1 WHERE used < ?", (source, day, budget))
        return cursor.rowcount == 1

    def requests_used(self, source: str, now: datetime | None = None) -> int:
        day = (now or now_shanghai()).astimezone(SHANGHAI).date().isoformat()
        row = self.conn.execute("SELECT used FROM request_budget WHERE source = ? AND day = ?",
                                (source, day)).fetchone()
        return row[0] if row else 0

    # -- items to fetch again ----------------------------------------------------------
    def add_recheck(self, source: str, item: str, payload: str, now: datetime | None = None) -> None:
        self.conn.execute("INSERT OR IGNORE INTO recheck VALUES (?, ?, ?, ?)",
                          (source, item, payload, (now or now_shanghai()).isoformat()))

    def done_recheck(self, source: str, item: str) -> None:
        self.conn.execute("DELETE FROM recheck WHERE source = ? AND item = ?", (source, item))

    def rechecks(self, source: str, max_age: timedelta, now: datetime | None = None) -> list[tuple[str, str]]:
        """Items still to fetch again; those older than `max_age` are given up."""
        cutoff = ((now or now_shanghai()) - max_age).isoformat()
        self.conn.execute("DELETE FROM recheck WHERE source = ? AND added_at < ?", (source, cutoff))
        rows = self.conn.execute("SELECT item, payload FROM recheck WHERE source = ? ORDER BY added_at",
                                 (source,))
        return [(row[0], row[1]) for row in rows.fetchall()]

    def close(self) -> None:
        self.conn.close()
