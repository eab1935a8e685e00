"""Crawl state that must survive restarts: high-water marks per source and keyword.

A mark moves only when a keyword's pagination ended normally, so a crawl that dies half
way starts again from the old mark: re-fetched posts update in place (ingest is idempotent)
and nothing between the old mark and the crash is skipped.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
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
"""


class CrawlState:
    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), timeout=10, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.executescript(SCHEMA)

    def mark(self, source: str, key: str) -> str | None:
        row = self._conn.execute(
            "SELECT value FROM high_water WHERE source = ? AND key = ?", (source, key)
        ).fetchone()
        return row[0] if row else None

    def set_mark(self, source: str, key: str, value: str, now: datetime | None = None) -> None:
        now = now or datetime.now(SHANGHAI)
        self._conn.execute(
            "INSERT INTO high_water VALUES (?, ?, ?, ?) ON CONFLICT (source, key) "
            "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (source, key, value, now.isoformat()),
        )

    def marks(self, source: str) -> dict[str, str]:
        rows = self._conn.execute("SELECT key, value FROM high_water WHERE source = ?", (source,))
        return dict(rows.fetchall())

    def close(self) -> None:
        self._conn.close()
