"""The SQLite mention index's connections: lent to one thread at a time, a few kept idle.

The store used to keep one connection per thread. The API runs its routes in anyio's worker
threads, which end after 10 s idle and are started anew at the next burst of requests, so
each new thread opened another connection, and the list `close()` needs kept every earlier
one open: each with its own page cache (up to 2 MB as the index grows), schema and statement
caches. Under a day of ingest with a busy API that grew `yuqing run` by about 5 MB an hour.

Here a thread borrows a connection for one operation (a nested borrow in the same thread gets
the same connection) and gives it back; at most `keep` idle connections stay open, any more
are closed on return. So the connections open are at most the threads inside the index at the
same moment plus `keep`, however many threads come and go.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

KEEP_IDLE = 8


class ConnectionPool:
    def __init__(self, connect: Callable[[], sqlite3.Connection], *, keep: int = KEEP_IDLE) -> None:
        if keep < 1:
            raise ValueError("keep must be at least 1")
        self._connect, self.keep = connect, keep
        self._idle: list[sqlite3.Connection] = []
        self._lent: set[sqlite3.Connection] = set()
        self._lock = threading.Lock()
        self._local = threading.local()

    @property
    def open_count(self) -> int:
        """Connections open now: idle plus lent."""
        with self._lock:
            return len(self._idle) + len(self._lent)

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection for the duration of the block."""
        held = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        conn = self._take()
        self._local.conn = conn
        try:
            yield conn
        finally:
            self._local.conn = None
            self._give(conn)

    def _take(self) -> sqlite3.Connection:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._connect()
        with self._lock:
            self._lent.add(conn)
        return conn

    def _give(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            if conn not in self._lent:  # close() ran meanwhile and closed it
                return
            self._lent.discard(conn)
        try:
            if conn.in_transaction:  # a block left early; never hand on an open transaction
                conn.execute("ROLLBACK")
        except sqlite3.Error:
            with suppress(sqlite3.Error):
                conn.close()
            return
        with self._lock:
            if len(self._idle) < self.keep:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        """Close every connection (idle and lent); later borrows open new ones."""
        with self._lock:
            conns = [*self._idle, *self._lent]
            self._idle.clear()
            self._lent.clear()
        for conn in conns:
            with suppress(sqlite3.Error):
                conn.close()
