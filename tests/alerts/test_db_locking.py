"""SQLite write transactions stay short: a write session takes the write lock (BEGIN
IMMEDIATE) for its own transaction only. What it reads after committing (the API builds its
answer from the new state) must not hold the lock, or every other writer waits until that
request has ended (with 50 API clients: seconds, up to the busy timeout)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from alerts.db import Database


def test_reads_after_a_commit_hold_no_write_lock(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'locks.sqlite'}")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    request = db.session(write=True)  # as api.deps.write_session hands it to a route
    try:
        request.execute(text("INSERT INTO notes (body) VALUES ('派单')"))
        request.commit()
        assert request.execute(text("SELECT count(*) FROM notes")).scalar_one() == 1  # building the answer
        started = time.monotonic()
        with db.write() as other:  # another request's write meanwhile
            other.execute(text("INSERT INTO notes (body) VALUES ('退回')"))
        assert time.monotonic() - started < 1.0  # it did not queue behind the first request
    finally:
        request.rollback()
        request.close()
    with db.read() as session:
        assert session.execute(text("SELECT count(*) FROM notes")).scalar_one() == 2
    db.close()


def test_the_write_itself_still_takes_the_lock_up_front(tmp_path: Path) -> None:
    """Two writers queue on the busy timeout instead of failing on a lock upgrade."""
    db = Database(f"sqlite:///{tmp_path / 'locks.sqlite'}")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    first = db.session(write=True)
    try:
        first.execute(text("SELECT count(*) FROM notes"))  # a read first: the lock is taken already
        raw = db.engine.raw_connection()
        try:
            raw.execute("PRAGMA busy_timeout = 0")
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                raw.cursor().execute("BEGIN IMMEDIATE")
        finally:
            raw.close()
    finally:
        first.rollback()
        first.close()
    db.close()
