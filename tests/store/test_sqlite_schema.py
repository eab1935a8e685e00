"""SQLite-only behaviour: schema upgrades keep every stored mention; range queries use the
covering index."""

import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from store.base import MentionQuery
from store.sqlite import SQLiteStore
from store.sqlite_schema import SCHEMA_VERSION
from tests.conftest import FIXTURES
from yuqing.records import SHANGHAI
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


def test_overview_queries_read_the_covering_index(tmp_path: Path) -> None:
    """Counts, trend and facets over a time range must not read the wide rows (schema 3)."""
    path = tmp_path / "mentions.sqlite"
    shutil.copy(FIXTURES / "store" / "mentions-v1.sqlite", path)  # upgraded through every step
    since, until = datetime(2026, 1, 1, tzinfo=SHANGHAI), datetime(2027, 1, 1, tzinfo=SHANGHAI)
    with SQLiteStore(path, query_tokenizer(Settings())) as store:
        where, params, _ = store._where(MentionQuery(since=since, until=until, relevant=True))
        queries = [f"SELECT COUNT(*) FROM mentions m WHERE {where}",
                   f"SELECT m.day, m.sentiment, COUNT(*) FROM mentions m WHERE {where} GROUP BY m.day, m.sentiment"]
        queries += [f"SELECT {column}, COUNT(*) FROM mentions m WHERE {where} GROUP BY {column}"
                    for column in ("m.platform", "m.sentiment", "m.place", "m.region", "m.author_name")]
        for sql in queries:
            plan = " | ".join(row[3] for row in store._fetch(f"EXPLAIN QUERY PLAN {sql}", params))
            assert "COVERING INDEX mentions_facts" in plan, (sql, plan)
        names = {r[0] for r in store._fetch("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "mentions_published" not in names and "mentions_platform" not in names  # replaced in schema 3
