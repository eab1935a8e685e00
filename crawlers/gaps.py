"""Gaps in coverage, per source and key (keyword, account, feed, board): the time ranges a
crawl could not read because the source was blocked or down, or because a run ran out of
pages before it reached what it had read before.

The rules, applied when a key's crawl ends:
- complete (it reached its lower bound, or the results ended): open gaps of the key are
  filled, and the key is covered up to the time the run started;
- incomplete (it stopped at its page budget): what is older than the oldest item it saw,
  back to the start of the open gap (or to the last complete coverage), is still missing;
- failed (blocked, broken): the gap runs from the last complete coverage to now.
While a gap is open, the spider reads that key deeper (`backfill_pages` more) and stops only
below the gap's start, so coming back after a blocked period fills what was missed.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from yuqing.records import SHANGHAI


@dataclass(frozen=True, slots=True)
class Gap:
    source: str
    key: str
    start: datetime
    end: datetime
    reason: str
    opened_at: datetime
    closed_at: datetime | None = None

    @property
    def hours(self) -> float:
        return max(0.0, (self.end - self.start).total_seconds() / 3600)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(SHANGHAI) if value else None


def _gap(row: sqlite3.Row) -> Gap:
    return Gap(source=row["source"], key=row["key"], start=_time(row["start"]), end=_time(row["end"]),
               reason=row["reason"], opened_at=_time(row["opened_at"]), closed_at=_time(row["closed_at"]))


class GapBook:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def covered_until(self, source: str, key: str) -> datetime | None:
        row = self.conn.execute("SELECT covered_until FROM coverage WHERE source = ? AND key = ?",
                                (source, key)).fetchone()
        return _time(row[0]) if row else None

    def open_gap(self, source: str, key: str) -> Gap | None:
        row = self.conn.execute(
            "SELECT * FROM gaps WHERE source = ? AND key = ? AND closed_at IS NULL "
            "ORDER BY start LIMIT 1", (source, key)).fetchone()
        return _gap(row) if row else None

    def gaps(self, source: str | None = None, *, include_closed: bool = False) -> list[Gap]:
        clauses, params = [], []
        if source:
            clauses.append("source = ?")
            params.append(source)
        if not include_closed:
            clauses.append("closed_at IS NULL")
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.conn.execute(f"SELECT * FROM gaps {where} ORDER BY source, key, start", params)
        return [_gap(row) for row in rows.fetchall()]

    def _set_coverage(self, source: str, key: str, until: datetime) -> None:
        self.conn.execute(
            "INSERT INTO coverage VALUES (?, ?, ?) ON CONFLICT (source, key) "
            "DO UPDATE SET covered_until = excluded.covered_until", (source, key, until.isoformat()))

    def _upsert_open(self, source: str, key: str, start: datetime, end: datetime, reason: str,
                     now: datetime) -> None:
        """Open a gap, or set the open one's range (a back-fill shrinks it, a failure grows it)."""
        cursor = self.conn.execute(
            "UPDATE gaps SET start = ?, end = ?, reason = ? WHERE source = ? AND key = ? "
            "AND closed_at IS NULL", (start.isoformat(), end.isoformat(), reason, source, key))
        if cursor.rowcount == 0:
            self.conn.execute(
                "INSERT INTO gaps (source, key, start, end, reason, opened_at) VALUES (?, ?, ?, ?, ?, ?)",
                (source, key, start.isoformat(), end.isoformat(), reason, now.isoformat()))

    def _close_open(self, source: str, key: str, now: datetime) -> None:
        self.conn.execute("UPDATE gaps SET closed_at = ? WHERE source = ? AND key = ? AND closed_at IS NULL",
                          (now.isoformat(), source, key))

    def crawled(self, source: str, key: str, *, complete: bool, oldest: datetime | None,
                started_at: datetime, now: datetime) -> None:
        """A key's pagination ended normally (see the module rules)."""
        current = self.open_gap(source, key)
        previous = self.covered_until(source, key)
        if complete:
            self._close_open(source, key, now)
        else:
            start = current.start if current else previous
            end = oldest or started_at
            if start is not None and end > start:
                reason = current.reason if current else "page_budget"
                self._upsert_open(source, key, start, end, reason, now)
            elif current:
                self._close_open(source, key, now)
        self._set_coverage(source, key, started_at)

    def failed(self, source: str, key: str, *, reason: str, now: datetime) -> None:
        """A key could not be read this run: what it missed since its last coverage is a gap."""
        current = self.open_gap(source, key)
        start = current.start if current else self.covered_until(source, key)
        if start is None:
            return  # never read yet: nothing was promised, health shows the problem
        self._upsert_open(source, key, start, now, reason, now)
