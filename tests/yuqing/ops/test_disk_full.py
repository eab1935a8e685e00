"""The disk filling up stops ingest with a clear alert instead of corrupting the store.

Three ways, each with real components:
- a real `yuqing crawl` meets the guard (`storage.min_free_mb` above what is free): it stops
  with `disk_full`, its high-water marks stay where they were, the source's health says why,
  and an operations alert is open for the IT department;
- a real small file system (a 12 MB tmpfs, mounted when the tests run as root with the right
  to mount; skipped with the reason otherwise) filled by ingest: first the guard trips while
  space is left for the alert, then, with the guard off, SQLite itself runs out of room — the
  write is refused whole, every acknowledged mention is there and the database is intact;
- SQLite's `max_page_count` (a database that may not grow) gives the same SQLITE_FULL wherever
  the tests run, so the store's roll-back is always tested.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import select

from alerts.db import open_database
from alerts.models import Alert, AlertKind
from crawlers.health import HealthBook
from crawlers.state import CrawlState
from store.base import MentionQuery, StoreFull
from store.sqlite import SQLiteStore
from tests.builders import mention
from tests.conftest import FIXTURES, REPO, make_settings
from yuqing.ops.disk import ALERT_KEY, DiskGuard
from yuqing.settings import Settings, StorageSettings
from yuqing.wiring import build_ingestor, disk_space_check, query_tokenizer

COMPLAINT = "泰山港华燃气岱岳区停气三天，客服电话一直打不通，{n}号楼居民做不了饭"


def integrity(path: Path) -> str:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def operations_alerts(settings: Settings) -> list[Alert]:
    db = open_database(settings)
    try:
        with db.read() as session:
            return list(session.scalars(select(Alert).where(Alert.kind == AlertKind.operations.value,
                                                            Alert.event_key == ALERT_KEY)))
    finally:
        db.close()


def test_a_crawl_meeting_the_guard_stops_cleanly_and_keeps_its_marks(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = tmp_path / "yuqing.toml"
    config.write_text(f'[storage]\ndata_dir = "{data}"\nmin_free_mb = 1000000\n', encoding="utf-8")
    state = CrawlState(data / "crawl_state.sqlite")
    state.set_mark("weibo", "泰安 燃气", "4950000000000000")  # what an earlier crawl had read
    state.close()
    done = subprocess.run([sys.executable, "-m", "yuqing", "crawl", "weibo", "--config", str(config), "--replay",
                           str(FIXTURES / "weibo"), "--keyword", "泰安 燃气"], capture_output=True, text=True,
                          cwd=REPO, timeout=180, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 1, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["finish_reason"] == "disk_full" and report["disk_full"] == 1
    assert report.get("stored_new", 0) == 0
    assert "ingest paused" in done.stderr and "storage.min_free_mb" in done.stderr
    state = CrawlState(data / "crawl_state.sqlite")
    assert state.mark("weibo", "泰安 燃气") == "4950000000000000"  # not moved past what was not stored
    health = HealthBook(state.conn).get("weibo")
    state.close()
    assert health.reason == "disk_full" and "磁盘空间不足" in health.reason_zh
    settings = make_settings(data)
    (alert,) = operations_alerts(settings)
    assert alert.title == "数据目录磁盘空间不足，采集入库已暂停" and "低于下限 1000000 MB" in alert.summary
    assert alert.department == "it"
    with SQLiteStore(data / "mentions.sqlite", query_tokenizer(settings)) as store:
        assert store.count(MentionQuery()) == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 12 MB tmpfs of its own (needs root and the right to mount)."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(mount)], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({(done.stderr or 'not root').strip()}); "
                    "test_a_database_that_may_not_grow covers the store's side")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(path: Path, leave_mb: float) -> None:
    """Grow a ballast file until only `leave_mb` is free on path's file system."""
    stat = os.statvfs(path)
    free = stat.f_bavail * stat.f_frsize
    with (path / "ballast.bin").open("ab") as ballast:
        ballast.write(b"\0" * max(0, int(free - leave_mb * 1024 * 1024)))


def test_filling_a_real_small_file_system(small_disk: Path, analyzer) -> None:
    settings = Settings(storage=StorageSettings(data_dir=small_disk / "data", min_free_mb=3))
    ingestor = build_ingestor(settings)
    ingestor.analyzer = analyzer  # the session's analyzer: models already loaded
    ingestor.ingest([mention(0, COMPLAINT.format(n=0))])  # files exist before the disk fills
    fill(small_disk, leave_mb=5)
    stored, n = [], 1
    with pytest.raises(StoreFull, match="ingest paused"):
        while n < 2000:
            ingestor.ingest([mention(n, COMPLAINT.format(n=n), hours_ago=n / 60)])
            stored.append(f"weibo:{n}")
            n += 1
    assert stored, "the guard tripped before anything was stored: leave more room"
    (alert,) = operations_alerts(settings)  # written into the space the guard held back
    assert "采集入库已暂停" in alert.title and alert.status == "confirmed"  # with a ticket for IT
    ingestor.space_guard = None  # the guard off: now SQLite itself meets the full disk
    fill(small_disk, leave_mb=0)
    with pytest.raises(StoreFull, match="disk is full"):
        for m in range(n, n + 2000):
            ingestor.ingest([mention(m, COMPLAINT.format(n=m) * 20, hours_ago=m / 60)])
            stored.append(f"weibo:{m}")
    ingestor.close()
    (small_disk / "ballast.bin").unlink()  # space is back
    db = small_disk / "data" / "mentions.sqlite"
    assert integrity(db) == "ok"
    with SQLiteStore(db, query_tokenizer(settings)) as store:
        assert all(store.get(mention_id) is not None for mention_id in stored)  # every acknowledged one
        assert store.count(MentionQuery()) == len(stored) + 1  # and nothing half-written beside them
    disk_space_check(settings)
    assert [a.status for a in operations_alerts(settings)] == ["resolved"]


def test_a_database_that_may_not_grow_refuses_whole_writes(tmp_path: Path, analyzer) -> None:
    path = tmp_path / "mentions.sqlite"
    store = SQLiteStore(path, query_tokenizer(Settings()))
    first = mention(1, COMPLAINT.format(n=1))
    store.upsert([(first, analyzer.analyze(first))])
    with store._connection() as conn:  # the pool lends this one again to the writes below (same thread)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + 3}")  # this connection may add 3 pages
    acknowledged = [first.id]
    with pytest.raises(StoreFull, match="nothing of this write was stored"):
        for n in range(2, 500):
            item = mention(n, COMPLAINT.format(n=n) * 10)
            store.upsert([(item, analyzer.analyze(item))])
            acknowledged.append(item.id)
    failed = f"weibo:{len(acknowledged) + 1}"
    store.close()
    assert integrity(path) == "ok"
    with closing(sqlite3.connect(path)) as conn:  # the refused mention left no row in any table
        rowids = [r[0] for r in conn.execute("SELECT rowid FROM mentions WHERE id = ?", (failed,))]
        assert rowids == []
        assert conn.execute("SELECT COUNT(*) FROM mentions").fetchone()[0] == len(acknowledged)
        assert conn.execute("SELECT COUNT(*) FROM mention_fts").fetchone()[0] == len(acknowledged)
    with SQLiteStore(path, query_tokenizer(Settings())) as again:  # and it works again with room
        item = mention(999, COMPLAINT.format(n=999))
        assert again.upsert([(item, analyzer.analyze(item))]).inserted == 1


def test_the_guard_tells_once_per_episode_and_rechecks_at_most_every_second(tmp_path: Path) -> None:
    told, clock = [], [0.0]
    guard = DiskGuard(tmp_path, 10**9, on_low=told.append, check_every=1, clock=lambda: clock[0])
    for _ in range(3):
        with pytest.raises(StoreFull):
            guard.check()
    assert len(told) == 1 and told[0].free > 0
    guard.min_free_mb = 1  # space is back (here: the limit dropped)
    clock[0] += 1
    guard.check()
    guard.min_free_mb = 10**9
    clock[0] += 1
    with pytest.raises(StoreFull):
        guard.check()
    assert len(told) == 2  # a new episode is told again
    DiskGuard(tmp_path, 0).check()  # 0: off
