"""SQLite-only behaviour: schema upgrades keep every stored mention."""

import shutil
import sqlite3
from pathlib import Path

import pytest

from store.base import MentionQuery
from store.sqlite import SQLiteStore
from store.sqlite_schema import SCHEMA_VERSION
from tests.conftest import FIXTURES
from yuqing.settings import Settings
from yuqing.wiring import query_tokenizer


def test_schema_1_file_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "mentions.sqlite"
    shutil.copy(FIXTURES / "store" / "mentions-v1.sqlite", path)  # written by the first release
    with SQLiteStore(path, query_tokenizer(Settings())) as store:
        assert store.count(MentionQuery()) == 2
        stored = store.get("weibo:1")
        assert stored.analysis.event_id == "" and "outage" in stored.categories
        # The fingerprint bands were back-filled, so old mentions are found as near-duplicates.
        found = store.near_duplicates(stored.analysis.fingerprint, stored.mention.published_at,
                                      stored.mention.published_at.replace(year=2030))
        assert [s.mention.id for s in found] == ["weibo:1"]
        assert store.search(MentionQuery(text="停气")).total == 1
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mentions.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError, match="newer yuqing"):
        SQLiteStore(path, query_tokenizer(Settings()))
