"""The SQLite mention index's schema and its upgrades (PRAGMA user_version)."""

from __future__ import annotations

import sqlite3

from store import sqlite_rollup
from store.base import fingerprint_bands

SCHEMA_VERSION = 4

SCHEMA = """
CREATE TABLE IF NOT EXISTS mentions (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    platform TEXT NOT NULL,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    author_name TEXT NOT NULL,
    author_id TEXT NOT NULL,
    author_followers INTEGER,
    author_verified INTEGER NOT NULL,
    author_verified_reason TEXT NOT NULL,
    published_at INTEGER NOT NULL,      -- epoch seconds
    day TEXT NOT NULL,                  -- Asia/Shanghai date of published_at
    fetched_at INTEGER NOT NULL,
    first_seen_at INTEGER NOT NULL,
    reposts INTEGER NOT NULL,
    comments INTEGER NOT NULL,
    likes INTEGER NOT NULL,
    views INTEGER,
    engagement INTEGER NOT NULL,
    region TEXT NOT NULL,
    parent_id TEXT,
    query TEXT NOT NULL,
    relevant INTEGER NOT NULL,
    relevance_score REAL NOT NULL,
    sentiment TEXT NOT NULL,            -- effective: the correction if any, else the model's
    sentiment_score REAL NOT NULL,
    place TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    analysis TEXT NOT NULL,             -- Analysis as JSON, without its tokens
    correction TEXT,                    -- Correction as JSON, NULL until a reviewer acts
    duplicate_of TEXT NOT NULL DEFAULT '',
    event_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS mentions_author ON mentions (author_name);
CREATE INDEX IF NOT EXISTS mentions_fingerprint ON mentions (fingerprint);
-- Effective categories, one row each, for filters and facets.
CREATE TABLE IF NOT EXISTS mention_categories (
    code TEXT NOT NULL,
    mention_rowid INTEGER NOT NULL,
    PRIMARY KEY (code, mention_rowid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mention_categories_rowid ON mention_categories (mention_rowid);
CREATE TABLE IF NOT EXISTS mention_keywords (
    mention_rowid INTEGER NOT NULL,
    word TEXT NOT NULL,
    PRIMARY KEY (mention_rowid, word)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS mention_fts USING fts5(tokens, tokenize = 'unicode61');
"""
# Added in schema 2: near-duplicate and event links, and fingerprint bands to find them.
SCHEMA_2 = """
CREATE INDEX IF NOT EXISTS mentions_event ON mentions (event_id, published_at);
CREATE INDEX IF NOT EXISTS mentions_duplicate ON mentions (duplicate_of);
CREATE TABLE IF NOT EXISTS mention_bands (
    band TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    mention_rowid INTEGER NOT NULL,
    PRIMARY KEY (band, published_at, mention_rowid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mention_bands_rowid ON mention_bands (mention_rowid);
"""
# Schema 3: one covering index for the overview's counts, trend and facets. Each of them scans
# a time range; read from this narrow index instead of the wide rows (text, analysis JSON) they
# are ten to thirty times faster (bench/overview_render.py). It replaces schema 1's
# single-purpose indexes, which would otherwise tempt the planner back to the wide rows.
SCHEMA_3 = """
DROP INDEX IF EXISTS mentions_published;
DROP INDEX IF EXISTS mentions_platform;
DROP INDEX IF EXISTS mentions_sentiment;
DROP INDEX IF EXISTS mentions_day;
CREATE INDEX IF NOT EXISTS mentions_facts ON mentions (published_at, relevant, platform, sentiment, day, place,
                                                       region, author_name, event_id, duplicate_of);
"""
# Schema 4: daily counts for the overview, kept by triggers (store/sqlite_rollup.py). IF NOT
# EXISTS keeps a file's triggers as they are: changing a trigger's body needs a new schema
# version that drops and recreates them.
SCHEMA_4 = sqlite_rollup.TABLE + sqlite_rollup.TRIGGERS


def migrate(conn: sqlite3.Connection, path: str) -> None:
    """Create the schema, or bring an older file up to date in place (never a newer one)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise RuntimeError(f"{path} was written by a newer yuqing (schema {version} > {SCHEMA_VERSION})")
    if version == 1:  # columns first: the schema-2 indexes need them
        conn.executescript("BEGIN IMMEDIATE; ALTER TABLE mentions ADD COLUMN duplicate_of TEXT NOT NULL "
                           "DEFAULT ''; ALTER TABLE mentions ADD COLUMN event_id TEXT NOT NULL DEFAULT ''; "
                           "PRAGMA user_version = 1; COMMIT;")
    # One transaction for the whole upgrade, the version included, so an upgrade cut short
    # leaves the old version to be upgraded again (the back-fills must not run twice).
    # Before schema 4 there were mentions without counts; the triggers count only new writes.
    backfill = sqlite_rollup.BACKFILL if 0 < version < 4 else ""
    try:
        conn.executescript(f"BEGIN IMMEDIATE; {SCHEMA} {SCHEMA_2} {SCHEMA_3} {SCHEMA_4} {backfill}")
        if version == 1:  # fingerprint bands for the mentions stored before they existed
            rows = conn.execute("SELECT rowid, fingerprint, published_at FROM mentions").fetchall()
            conn.executemany("INSERT OR IGNORE INTO mention_bands VALUES (?, ?, ?)",
                             [(b, r[2], r[0]) for r in rows for b in fingerprint_bands(r[1])])
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
