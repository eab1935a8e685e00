"""The SQLite daily roll-up (store/sqlite_rollup.py) answers every query it takes exactly as
counting the mentions would, after inserts, re-crawls that change a mention, reviewers'
corrections and deletions; and an index written before it existed is back-filled."""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from store.base import Facet, MentionQuery
from store.sqlite import SQLiteStore
from store.sqlite_rollup import scope
from tests.builders import mention
from yuqing.records import (
    SHANGHAI,
    Analysis,
    Author,
    Category,
    CategoryHit,
    Correction,
    Platform,
    Sentiment,
    SentimentLabel,
)
from yuqing.settings import Settings
from yuqing.wiring import query_tokenizer

START = datetime(2026, 11, 1, tzinfo=SHANGHAI)
PLACES = ["", "泰山区", "岱岳区", "泰山区财源街道", "新泰市"]
REGIONS = ["", "山东", "北京"]
WORDS = ["燃气", "停气", "漏气", "收费", "维修", "客服"]


def _analysis(rng: random.Random, n: int) -> Analysis:
    label = rng.choice(list(SentimentLabel))
    return Analysis(
        relevant=rng.random() < 0.7, relevance_score=0.5,
        sentiment=Sentiment(label=label, score=0.5, model="test"),
        categories=[CategoryHit(code=c, confidence=0.9) for c in rng.sample(list(Category), rng.randint(0, 2))],
        keywords=rng.sample(WORDS, rng.randint(0, 3)), place=rng.choice(PLACES),
        fingerprint=f"{rng.getrandbits(64):016x}",
        duplicate_of=f"weibo:{n - 1}" if n and rng.random() < 0.2 else "")


def _mention(rng: random.Random, n: int):
    # Times on both sides of midnight, so day boundaries are exercised.
    published = START + timedelta(days=rng.randint(0, 4), hours=rng.choice([0, 0.01, 12, 23.99]))
    return mention(n, f"第{n}条", platform=rng.choice([Platform.weibo, Platform.wechat, Platform.news]),
                   id=f"weibo:{n}", published_at=published, region=rng.choice(REGIONS),
                   author=Author(name=f"作者{n % 7}", id=str(n % 7)))


QUERIES = [
    MentionQuery(),
    MentionQuery(since=START + timedelta(days=1), until=START + timedelta(days=3)),
    MentionQuery(since=START + timedelta(days=2)),
    MentionQuery(until=START + timedelta(days=2)),
    MentionQuery(relevant=True),
    MentionQuery(relevant=False, collapse_duplicates=True),
    MentionQuery(platforms=[Platform.weibo, Platform.news], sentiments=[SentimentLabel.negative]),
    MentionQuery(since=START + timedelta(days=1), relevant=True, sentiments=[SentimentLabel.neutral],
                 collapse_duplicates=True),
]


def _answers(store: SQLiteStore, query: MentionQuery) -> dict:
    return {"count": store.count(query), "trend": store.trend(query), "keywords": store.keywords(query, 50),
            **{facet.value: store.facet(query, facet, 50) for facet in Facet}}


def _assert_rollup_matches_scan(store: SQLiteStore) -> None:
    for query in QUERIES:
        assert scope(query) is not None, query  # these are all the roll-up's to answer
        rolled = _answers(store, query)
        store.use_rollup = False
        try:
            counted = _answers(store, query)
        finally:
            store.use_rollup = True
        assert rolled == counted, query
    assert store.count(MentionQuery()) > 0


def test_rollup_equals_counting_through_every_kind_of_write(store: SQLiteStore) -> None:
    rng = random.Random(4)
    store.upsert([(_mention(rng, n), _analysis(rng, n)) for n in range(300)])
    _assert_rollup_matches_scan(store)

    # Re-crawls: the same ids come back with another time, platform, region and analysis.
    store.upsert([(_mention(rng, n), _analysis(rng, n)) for n in rng.sample(range(300), 120)])
    _assert_rollup_matches_scan(store)

    # Reviewers' corrections, then a re-crawl of corrected mentions (the correction outlives it).
    for n in rng.sample(range(300), 60):
        store.correct(f"weibo:{n}", Correction(
            sentiment=rng.choice([None, *SentimentLabel]),
            categories=rng.choice([None, [], [rng.choice(list(Category))]]), by="审核员"))
    store.upsert([(_mention(rng, n), _analysis(rng, n)) for n in rng.sample(range(300), 60)])
    _assert_rollup_matches_scan(store)

    # Deletions, with the category and keyword rows removed before or after the mention.
    with store._connection() as conn:
        for order, rowid in enumerate(r[0] for r in conn.execute("SELECT rowid FROM mentions LIMIT 40")):
            children = ["DELETE FROM mention_categories WHERE mention_rowid = ?",
                        "DELETE FROM mention_keywords WHERE mention_rowid = ?"]
            own = ["DELETE FROM mentions WHERE rowid = ?"]
            for sql in (own + children if order % 2 else children + own):
                conn.execute(sql, (rowid,))
    _assert_rollup_matches_scan(store)


def test_queries_the_rollup_cannot_answer_are_counted(store: SQLiteStore) -> None:
    rng = random.Random(5)
    store.upsert([(_mention(rng, n), _analysis(rng, n)) for n in range(100)])
    partial_day = MentionQuery(since=START + timedelta(days=1, hours=12))
    for query in (partial_day, MentionQuery(text="条"), MentionQuery(categories=[Category.outage]),
                  MentionQuery(place="泰山区"), MentionQuery(author="作者1"), MentionQuery(corrected=False)):
        assert scope(query) is None, query
    # Platform and sentiment are kept on the mentions' own counts only.
    by_platform = MentionQuery(platforms=[Platform.weibo], sentiments=[SentimentLabel.negative])
    assert scope(by_platform) is not None and scope(by_platform, "place") is None
    # Counted, so the half day is exact: the roll-up would have counted the whole day.
    with store._connection() as conn:
        expected = conn.execute("SELECT COUNT(*) FROM mentions WHERE published_at >= ?",
                                (int(partial_day.since.timestamp()),)).fetchone()[0]
    assert store.count(partial_day) == expected
    whole_day = MentionQuery(since=START + timedelta(days=1))
    assert store.count(partial_day) < store.count(whole_day)


def test_overview_counts_read_only_the_rollup(store: SQLiteStore) -> None:
    query = MentionQuery(since=START, until=START + timedelta(days=30), relevant=True)
    where, params = scope(query, "place")
    plan = " | ".join(r[3] for r in store._fetch(
        f"EXPLAIN QUERY PLAN SELECT r.value, SUM(r.n) FROM mention_rollup r WHERE {where} GROUP BY r.value", params))
    assert "SEARCH r USING PRIMARY KEY (dim=? AND day>? AND day<?)" in plan, plan
    assert "mentions" not in plan


def _back_to_schema_3(path: Path) -> None:
    """The file as schema 3 left it: mentions, no roll-up."""
    with sqlite3.connect(path) as conn:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("DROP TABLE mention_rollup")
        conn.execute("PRAGMA user_version = 3")


def test_an_index_from_before_the_rollup_is_backfilled(tmp_path: Path) -> None:
    path = tmp_path / "mentions.sqlite"
    rng = random.Random(6)
    with SQLiteStore(path, query_tokenizer(Settings())) as store:
        store.upsert([(_mention(rng, n), _analysis(rng, n)) for n in range(200)])
    _back_to_schema_3(path)
    with SQLiteStore(path, query_tokenizer(Settings())) as store:
        _assert_rollup_matches_scan(store)
        store.upsert([(_mention(rng, n), _analysis(rng, n)) for n in range(150, 260)])  # triggers run
        _assert_rollup_matches_scan(store)
        assert store.count(MentionQuery()) == 260


def test_a_failed_upgrade_leaves_the_old_version_to_retry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The back-fill and the version move together: half an upgrade must not count twice."""
    from store import sqlite_schema

    path = tmp_path / "mentions.sqlite"
    rng = random.Random(7)
    with SQLiteStore(path, query_tokenizer(Settings())) as store:
        store.upsert([(_mention(rng, n), _analysis(rng, n)) for n in range(50)])
    _back_to_schema_3(path)
    # The upgrade fails after the back-fill ran, inside its transaction.
    monkeypatch.setattr(sqlite_schema.sqlite_rollup, "BACKFILL",
                        sqlite_schema.sqlite_rollup.BACKFILL + "SELECT no_such_column FROM mentions;")
    with pytest.raises(sqlite3.OperationalError):
        SQLiteStore(path, query_tokenizer(Settings()))
    monkeypatch.undo()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
        assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'mention_rollup'").fetchall()
    with SQLiteStore(path, query_tokenizer(Settings())) as store:
        _assert_rollup_matches_scan(store)
