"""Fault: the crawl process killed (SIGKILL) in the middle of a crawl resumes from its
high-water mark with no duplicate and no gap.

A real message board on a loopback HTTP server (list pages and message pages rendered from the
fixtures in tests/fixtures/faults/, each message page answered slowly so the crawl takes a few
seconds) and the real `yuqing crawl board` in a child process, as the scheduler runs it:

1. a first crawl reads the 20 messages there and sets the board's mark;
2. 60 new messages arrive; a second crawl is killed with SIGKILL after some of them are stored;
3. 10 more arrive; a third crawl starts from the mark of step 1 (the old messages are skipped,
   never fetched again), stores every message the killed crawl did not, updates in place the
   ones it did, and moves the mark;
4. a fourth crawl finds nothing new.
Every message is in the store exactly once and the store passes SQLite's integrity check.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from crawlers.state import CrawlState
from tests.conftest import REPO
from tests.crawlers.board_site import Board, serve_board, template

pytestmark = pytest.mark.slow


@pytest.fixture
def board() -> Iterator[tuple[Board, str]]:
    state = Board()
    with serve_board(state) as base:
        yield state, base


def start_crawl(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "yuqing", "crawl", "board", "--config", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)}, start_new_session=True)


def crawl(config: Path) -> dict[str, Any]:
    process = start_crawl(config)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def stored(db: Path) -> list[str]:
    """The stored board messages' URLs (one row per mention id), or [] before the store exists."""
    if not db.exists():
        return []
    with closing(sqlite3.connect(db, timeout=30)) as conn:
        try:
            return [row[0] for row in conn.execute("SELECT url FROM mentions")]
        except sqlite3.OperationalError:  # the first crawl has not created the table yet
            return []


def mark(data: Path) -> int | None:
    state = CrawlState(data / "crawl_state.sqlite")
    try:
        value = state.mark("board", "泰安12345")
    finally:
        state.close()
    return None if value is None else int(value)


def test_a_crawl_killed_midway_resumes_from_its_mark_with_no_duplicate_and_no_gap(
        board: tuple[Board, str], tmp_path: Path) -> None:
    site, base = board
    data = tmp_path / "data"
    config = tmp_path / "yuqing.toml"
    config.write_text(template("board-crawl.toml").substitute(data=data, base=base), encoding="utf-8")
    db = data / "mentions.sqlite"

    site.messages = 20
    first = crawl(config)
    assert first["stored_new"] == 20 and first["finish_reason"] == "finished"
    mark_after_first = mark(data)
    assert mark_after_first == int(site.published(20).timestamp())

    site.messages, site.delay = 80, 0.15
    site.fetched.clear()
    process = start_crawl(config)
    deadline = time.monotonic() + 120
    while len(stored(db)) < 20 + 8:
        assert process.poll() is None, f"the crawl ended before it could be killed: {process.stderr.read()[-2000:]}"
        assert time.monotonic() < deadline, "the crawl stored nothing new"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    killed_new = len(stored(db)) - 20
    assert 8 <= killed_new < 60, "the crawl was not killed in the middle"
    assert mark(data) == mark_after_first  # a killed crawl never moved the mark

    site.messages, site.delay = 90, 0.0
    site.fetched.clear()
    resumed = crawl(config)
    assert resumed["finish_reason"] == "finished"
    assert resumed["stored_new"] == 70 - killed_new  # what the killed crawl had not stored...
    assert resumed["stored_updated"] == killed_new  # ...and what it had, updated in place
    assert resumed["known"] == 20  # the messages below the mark were skipped...
    assert sorted(site.fetched) == list(range(21, 91))  # ...never fetched again; every newer one was
    assert mark(data) == int(site.published(90).timestamp())

    urls = stored(db)
    assert len(urls) == len(set(urls)) == 90  # no duplicate
    assert sorted(int(url.rsplit("/", 1)[1]) for url in urls) == list(range(1, 91))  # no gap
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    site.fetched.clear()
    again = crawl(config)
    assert again.get("stored_new", 0) == 0 and again.get("stored_updated", 0) == 0 and again["known"] == 90
    assert site.fetched == [] and len(stored(db)) == 90
