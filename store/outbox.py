"""A durable local outbox for analysed mentions the Elasticsearch index could not take yet.

Two kinds of entries, in one SQLite file in the data directory:
- `pending`: Elasticsearch was unreachable or shed load (connection errors, HTTP 429/503);
  replayed in the order they arrived once it answers again;
- `rejected`: Elasticsearch refused the document itself (mapping conflict, oversize field).
  Kept with the reason until a person retries or discards it (`yuqing es outbox`), or
  until a later version of the same mention is stored, which supersedes it.

Nothing leaves the outbox except by being stored, superseded or discarded on purpose.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from yuqing.records import SHANGHAI, Analysis, Mention

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- arrival order, replay order
    mention_id TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    mention TEXT NOT NULL,                  -- Mention as JSON
    analysis TEXT NOT NULL,                 -- Analysis as JSON (without tokens)
    tokens TEXT NOT NULL,                   -- the search tokens as a JSON list
    queued_at INTEGER NOT NULL,             -- epoch seconds
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_status ON outbox (status, seq);
CREATE INDEX IF NOT EXISTS outbox_mention ON outbox (mention_id);
"""
_COLUMNS = "seq, mention_id, status, reason, mention, analysis, tokens, queued_at, attempts"


class OutboxStatus(StrEnum):
    pending = "pending"
    rejected = "rejected"


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    seq: int
    mention: Mention
    analysis: Analysis
    status: OutboxStatus
    reason: str
    queued_at: datetime
    attempts: int

    @property
    def mention_id(self) -> str:
        return self.mention.id


class Outbox:
    """The outbox file; safe to share between threads (one connection behind a lock)."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")  # an acknowledged entry survives a power cut
        self._conn.executescript(f"BEGIN IMMEDIATE; {SCHEMA} COMMIT;")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _tx(self, statements: Iterable[tuple[str, Iterable]]) -> list[int]:
        """Run statements in one transaction; returns the last row ids of the inserts."""
        ids: list[int] = []
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for sql, params in statements:
                    cursor = self._conn.execute(sql, tuple(params))
                    if sql.lstrip().upper().startswith("INSERT"):
                        ids.append(cursor.lastrowid)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        return ids

    def _query(self, sql: str, params: Iterable = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, tuple(params)).fetchall()

    # -- adding ------------------------------------------------------------------------
    def append(self, items: Iterable[tuple[Mention, Analysis]], *, status: OutboxStatus = OutboxStatus.pending,
               reason: str = "", now: datetime | None = None) -> list[int]:
        """Add entries at the end, in order; returns their sequence numbers."""
        queued_at = int((now or datetime.now(SHANGHAI)).timestamp())
        sql = ("INSERT INTO outbox (mention_id, status, reason, mention, analysis, tokens, queued_at) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)")
        return self._tx(
            (sql, (m.id, status.value, reason, m.model_dump_json(), a.model_dump_json(),
                   json.dumps(a.tokens, ensure_ascii=False), queued_at))
            for m, a in items
        )

    # -- reading -----------------------------------------------------------------------
    def has_pending(self) -> bool:
        return bool(self._query("SELECT EXISTS (SELECT 1 FROM outbox WHERE status = 'pending')")[0][0])

    def counts(self) -> dict[OutboxStatus, int]:
        rows = dict(self._query("SELECT status, COUNT(*) FROM outbox GROUP BY status"))
        return {status: rows.get(status.value, 0) for status in OutboxStatus}

    def entries(self, status: OutboxStatus, *, limit: int = 1000, after: int = 0) -> list[OutboxEntry]:
        """Entries of one status in arrival order, from sequence number `after` on."""
        rows = self._query(f"SELECT {_COLUMNS} FROM outbox WHERE status = ? AND seq > ? ORDER BY seq LIMIT ?",
                           (status.value, after, limit))
        return [_entry(row) for row in rows]

    # -- settling ----------------------------------------------------------------------
    def settle(self, *, stored: Iterable[int] = (), rejected: Iterable[tuple[int, str]] = (),
               retry: Iterable[tuple[int, str]] = ()) -> None:
        """After a replay attempt: remove what was stored, mark what was refused, count the rest."""
        statements: list[tuple[str, Iterable]] = [("DELETE FROM outbox WHERE seq = ?", (seq,)) for seq in stored]
        statements += [("UPDATE outbox SET status = 'rejected', reason = ?, attempts = attempts + 1 "
                         "WHERE seq = ?", (reason, seq)) for seq, reason in rejected]
        statements += [("UPDATE outbox SET reason = ?, attempts = attempts + 1 WHERE seq = ?", (reason, seq))
                       for seq, reason in retry]
        self._tx(statements)

    def supersede(self, mention_ids: Iterable[str]) -> int:
        """Drop rejected entries of mentions whose newer version was just stored; how many."""
        ids = list(mention_ids)
        if not ids or not self._query("SELECT EXISTS (SELECT 1 FROM outbox WHERE status = 'rejected')")[0][0]:
            return 0
        removed = 0
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            marks = ", ".join("?" * len(part))
            with self._lock:
                removed += self._conn.execute(
                    f"DELETE FROM outbox WHERE status = 'rejected' AND mention_id IN ({marks})", part).rowcount
        return removed

    def requeue_rejected(self, mention_ids: Iterable[str] | None = None) -> int:
        """Move rejected entries (all, or those of some mentions) to the end of the queue."""
        where, params = "status = 'rejected'", []
        if mention_ids is not None:
            params = list(mention_ids)
            where += f" AND mention_id IN ({', '.join('?' * len(params))})"
        moved = self._query(f"SELECT COUNT(*) FROM outbox WHERE {where}", params)[0][0]
        self._tx([
            ("INSERT INTO outbox (mention_id, status, reason, mention, analysis, tokens, queued_at, attempts) "
             f"SELECT mention_id, 'pending', reason, mention, analysis, tokens, queued_at, attempts "
             f"FROM outbox WHERE {where} ORDER BY seq", params),
            (f"DELETE FROM outbox WHERE {where}", params),
        ])
        return moved

    def discard(self, mention_id: str) -> int:
        """Delete the rejected entries of one mention on a person's decision; how many."""
        with self._lock:
            return self._conn.execute(
                "DELETE FROM outbox WHERE status = 'rejected' AND mention_id = ?", (mention_id,)).rowcount


def _entry(row: tuple) -> OutboxEntry:
    seq, _, status, reason, mention, analysis, tokens, queued_at, attempts = row
    return OutboxEntry(
        seq=seq,
        mention=Mention.model_validate_json(mention),
        analysis=Analysis.model_validate_json(analysis).model_copy(update={"tokens": json.loads(tokens)}),
        status=OutboxStatus(status),
        reason=reason,
        queued_at=datetime.fromtimestamp(queued_at, SHANGHAI),
        attempts=attempts,
    )
