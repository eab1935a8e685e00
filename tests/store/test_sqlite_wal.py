"""The SQLite index's WAL stays bounded while readers never stop: two reader threads keep
overlapping read transactions open (as a busy API does) while batches are written. Without the
store's TRUNCATE checkpoints the WAL only grows (SQLite may start it over only when no reader
uses it); with them it stays near the limit, and every row is readable."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

from nlp.analyze import Analyzer
from store.base import MentionQuery
from store.sqlite import SQLiteStore
from tests.builders import mention
from yuqing.settings import Settings
from yuqing.wiring import query_tokenizer

LIMIT = 2 * 1024 * 1024
BATCHES, PER_BATCH = 40, 100
TEXTS = ["泰山港华燃气岱岳区停气三天，客服电话一直打不通", "泰安港华燃气这个月燃气费多收了两百，表走得太快",
         "新泰市平阳小区气压低，壁挂炉打不着火", "感谢泰安港华燃气抢修师傅半夜上门"]


def overlapping_readers(path: Path, stop: threading.Event) -> list[threading.Thread]:
    """Two readers, each holding a read transaction 40 ms at a time, half a turn apart."""

    def read(offset: float) -> None:
        time.sleep(offset)
        with closing(sqlite3.connect(path, isolation_level=None, timeout=10)) as conn:
            while not stop.is_set():
                conn.execute("BEGIN")
                conn.execute("SELECT count(*) FROM mentions").fetchone()
                time.sleep(0.04)
                conn.execute("COMMIT")
                time.sleep(0.001)

    return [threading.Thread(target=read, args=(offset,)) for offset in (0.0, 0.02)]


def write_under_readers(tmp_path: Path, analyzer: Analyzer, limit: int | None) -> tuple[int, int]:
    """(largest WAL size seen after a batch, rows readable at the end)."""
    path = tmp_path / f"mentions-{limit}.sqlite"
    store = SQLiteStore(path, query_tokenizer(Settings()), wal_limit_bytes=limit)
    analyses = [analyzer.analyze(mention(i, text)) for i, text in enumerate(TEXTS)]
    store.upsert([(mention(0, TEXTS[0]), analyses[0])])
    stop = threading.Event()
    readers = overlapping_readers(path, stop)
    for reader in readers:
        reader.start()
    largest = 0
    try:
        time.sleep(0.05)
        for batch in range(BATCHES):
            numbers = range(1 + batch * PER_BATCH, 1 + (batch + 1) * PER_BATCH)
            store.upsert([(mention(n, f"{TEXTS[n % 4]}（{n}号楼）"),
                           analyses[n % 4].model_copy(update={"fingerprint": f"{n * 2654435761 % 2**64:016x}"}))
                          for n in numbers])
            largest = max(largest, os.path.getsize(f"{path}-wal"))
    finally:
        stop.set()
        for reader in readers:
            reader.join(10)
    count = store.count(MentionQuery())
    store.close()
    return largest, count


def test_the_wal_stays_bounded_while_readers_never_stop(tmp_path: Path, analyzer: Analyzer) -> None:
    grown, rows = write_under_readers(tmp_path, analyzer, limit=None)
    assert rows == 1 + BATCHES * PER_BATCH
    assert grown > 4 * LIMIT  # the problem: SQLite alone never gets to start the WAL over
    bounded, rows = write_under_readers(tmp_path, analyzer, limit=LIMIT)
    assert rows == 1 + BATCHES * PER_BATCH  # nothing lost, readers and writer both went on
    assert bounded < 2 * LIMIT, f"the WAL grew to {bounded / 2**20:.1f} MB"
