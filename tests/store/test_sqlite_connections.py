"""The SQLite index's connections stay bounded however many threads come and go.

The API serves routes from anyio's worker threads, which end after 10 s idle and are started
anew later; the store used to open one connection per thread and keep every one open, so a
long-running service gained a connection (and its page cache) with each new worker thread.
Here threads come and go as those workers do, and the connections really open on the database
file (counted in /proc/self/fd, not asked of the store) stay at the pool's bound."""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import suppress
from pathlib import Path

import pytest

from nlp.analyze import Analyzer
from store.base import MentionQuery
from store.sqlite import SQLiteStore
from store.sqlite_pool import ConnectionPool
from tests.builders import mention
from yuqing.settings import Settings
from yuqing.wiring import query_tokenizer

TEXTS = ["泰山港华燃气岱岳区停气三天，客服电话一直打不通", "泰安港华燃气这个月燃气费多收了两百，表走得太快"]
pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to count open files")


def files_open_on(path: Path) -> int:
    """Open file descriptors of this process on the database file itself (one per connection)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with suppress(OSError):  # closed meanwhile (the listing's own descriptor)
            count += os.readlink(f"/proc/self/fd/{fd}") == str(path)
    return count


def read_in_waves(store: SQLiteStore, *, waves: int, width: int) -> list[int]:
    """`waves` rounds of `width` new threads each reading at the same time, then ending."""
    counts: list[int] = []

    def read(barrier: threading.Barrier) -> None:
        barrier.wait(10)  # all of this wave inside at once
        counts.append(store.count(MentionQuery(text="燃气")))
        store.search(MentionQuery(text="停气"))

    for _ in range(waves):
        barrier = threading.Barrier(width)
        threads = [threading.Thread(target=read, args=(barrier,)) for _ in range(width)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    return counts


def test_connections_stay_bounded_while_threads_come_and_go(tmp_path: Path, analyzer: Analyzer) -> None:
    path = tmp_path / "mentions.sqlite"
    store = SQLiteStore(path, query_tokenizer(Settings()), keep_connections=3)
    store.upsert([(mention(n, TEXTS[n % 2]), analyzer.analyze(mention(n, TEXTS[n % 2]))) for n in range(20)])
    try:
        counts = read_in_waves(store, waves=15, width=5)  # 75 threads, 5 at a time
        assert counts == [20] * 75  # every reader got its answer
        assert store.open_connections == 3  # the idle ones kept
        # SQLite may hold a closed connection's descriptor back for the next open while other
        # connections of the process lock the file: at most one per thread at once. Before the
        # pool: one open connection per thread ever seen (76 here).
        assert files_open_on(path) <= 3 + 5
    finally:
        store.close()
    assert files_open_on(path) == 0


def test_threads_at_once_get_connections_of_their_own(tmp_path: Path) -> None:
    path = tmp_path / "pool.sqlite"
    pool = ConnectionPool(lambda: sqlite3.connect(path, isolation_level=None, check_same_thread=False), keep=2)
    width, barrier, seen, lock = 6, threading.Barrier(6), [], threading.Lock()

    def hold() -> None:
        with pool.connection() as conn:
            with pool.connection() as nested:  # a nested borrow in the same thread: the same one
                assert nested is conn
            with lock:
                seen.append(conn)
            barrier.wait(10)  # all six held at once

    threads = [threading.Thread(target=hold) for _ in range(width)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len({id(conn) for conn in seen}) == width  # never one connection in two threads at once
    assert pool.open_count == 2 == files_open_on(path)  # the rest closed when given back
    pool.close()
    assert pool.open_count == 0 == files_open_on(path)


def test_a_transaction_left_open_is_rolled_back_before_the_connection_is_lent_again(tmp_path: Path) -> None:
    pool = ConnectionPool(lambda: sqlite3.connect(tmp_path / "t.sqlite", isolation_level=None,
                                                  check_same_thread=False), keep=1)
    with pool.connection() as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(RuntimeError), pool.connection() as conn:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t VALUES (1)")
        raise RuntimeError("the block ends early")
    with pool.connection() as again:
        assert again is conn  # the same connection, lent again ...
        assert not again.in_transaction  # ... without the half-done transaction
        assert again.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0
    pool.close()
