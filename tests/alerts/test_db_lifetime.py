"""A Database opened for one job and closed leaves nothing behind. The service opens one for
each operations alert (the disk-space check every five minutes, a blocked source, a failing
site) and runs for months, so anything a closed Database leaves behind is a leak."""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from pathlib import Path

from sqlalchemy import text

from alerts.db import Database


def open_write_close(url: str) -> weakref.ref:
    db = Database(url)
    db.migrate()
    with db.write() as session:
        session.execute(text("SELECT 1"))
    db.close()
    return weakref.ref(db)


def test_a_closed_database_is_freed(tmp_path: Path) -> None:
    gone = open_write_close(f"sqlite:///{tmp_path / 'alerts.sqlite'}")
    gc.collect()
    # SQLAlchemy's event registry held the session factories' listeners, and through them the
    # Database and its engine, for the life of the process.
    assert gone() is None


def test_opening_and_closing_does_not_grow_memory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'alerts.sqlite'}"
    open_write_close(url)  # first use fills SQLAlchemy's and Alembic's one-off caches
    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(30):
            open_write_close(url)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown / 30 < 8_000, f"{grown / 30:.0f} bytes kept per Database opened and closed"  # was ~68 kB
