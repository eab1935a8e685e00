"""The embedded mention index: one SQLite file in WAL mode with an FTS5 table over the
jieba-segmented words (whitespace-joined, so FTS5's unicode61 tokenizer keeps each
Chinese word whole).

Each operation borrows a connection from a small pool (`store/sqlite_pool.py`; not one per
thread, which grew without bound as the API's worker threads came and went): the API serves
requests from a thread pool while the scheduler writes, and WAL lets those readers run beside
one writer. SQLite's automatic checkpoints copy the WAL back into the database but can start
the WAL file over only at a moment no reader uses it; with readers overlapping all the time
(a busy API during ingest) that moment never comes and the WAL grows without end (gigabytes
in minutes when a day is replayed). So past `wal_limit_bytes` the writer asks for a TRUNCATE checkpoint after its
commit: it waits (busy timeout) for the readers of older snapshots to finish — readers that
start meanwhile read the database file — and empties the WAL.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path

from store.base import (
    Count,
    EventSummary,
    Facet,
    MentionQuery,
    MentionStore,
    Page,
    Sort,
    StoreFull,
    Tokenizer,
    TrendBucket,
    UpsertResult,
    fill_days,
    fingerprint_bands,
    first_line,
)
from store.highlight import highlight
from store.sqlite_pool import KEEP_IDLE, ConnectionPool
from store.sqlite_rollup import scope as rollup_scope
from store.sqlite_schema import migrate
from yuqing.records import (
    SHANGHAI,
    Analysis,
    Author,
    Correction,
    Mention,
    StoredMention,
)

BUSY_TIMEOUT_MS = 10_000
WAL_LIMIT_BYTES = 64 * 1024 * 1024

_SORTS = {
    Sort.newest: "m.published_at DESC, m.rowid DESC",
    Sort.oldest: "m.published_at ASC, m.rowid ASC",
    Sort.engagement: "m.engagement DESC, m.published_at DESC",
}
_FACET_COLUMNS = {
    Facet.platform: "m.platform",
    Facet.sentiment: "m.sentiment",
    Facet.region: "m.region",
    Facet.place: "m.place",
    Facet.author: "m.author_name",
}
# Where each facet's counts are in the roll-up: (dim, column).
_ROLLUP_FACETS = {
    Facet.platform: ("", "r.platform"),
    Facet.sentiment: ("", "r.sentiment"),
    Facet.region: ("region", "r.value"),
    Facet.place: ("place", "r.value"),
    Facet.author: ("author", "r.value"),
    Facet.category: ("category", "r.value"),
}


def is_disk_full(exc: sqlite3.Error) -> bool:
    """SQLITE_FULL: the file system (or max_page_count) left no room for the write."""
    return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "database or disk is full" in str(exc)


def _epoch(value: datetime) -> int:
    return int(value.timestamp())


def _time(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, SHANGHAI)


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


class SQLiteStore(MentionStore):
    use_rollup = True  # counts from the daily roll-up where it answers exactly (tests compare both)

    def __init__(self, path: Path | str, tokenize: Tokenizer, *, wal_limit_bytes: int | None = WAL_LIMIT_BYTES,
                 keep_connections: int = KEEP_IDLE) -> None:
        self.path = str(path)
        self.wal_limit_bytes = wal_limit_bytes  # None: leave the WAL to SQLite's automatic checkpoints
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.tokenize = tokenize
        self._pool = ConnectionPool(self._open, keep=keep_connections)
        self._migrate()

    # -- connections -------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000,
                               isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def _connection(self) -> AbstractContextManager[sqlite3.Connection]:
        """A connection for this thread until the block ends (nested blocks share it)."""
        return self._pool.connection()

    @property
    def open_connections(self) -> int:
        return self._pool.open_count

    def _fetch(self, sql: str, params: Iterable = ()) -> list[sqlite3.Row]:
        with self._connection() as conn:
            return conn.execute(sql, params).fetchall()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A short IMMEDIATE transaction: takes the write lock up front, so two writers
        queue on busy_timeout instead of failing with 'database is locked' mid-way."""
        with self._connection() as conn:
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    conn.execute("COMMIT")
                    self._keep_wal_small(conn)
                except BaseException:
                    if conn.in_transaction:  # SQLite may have rolled back already (disk full, I/O error)
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.OperationalError as exc:
                if is_disk_full(exc):
                    raise StoreFull(f"{self.path}: the disk is full; nothing of this write was stored") from exc
                raise

    def _keep_wal_small(self, conn: sqlite3.Connection) -> None:
        """Empty the WAL once it is past the limit (see the module's docstring); if readers
        keep it busy beyond the busy timeout, the next write tries again."""
        if self.wal_limit_bytes is None or self.path == ":memory:":
            return
        try:
            size = os.path.getsize(f"{self.path}-wal")
        except OSError:
            return
        if size > self.wal_limit_bytes:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()

    def _migrate(self) -> None:
        with self._connection() as conn:
            migrate(conn, self.path)

    def close(self) -> None:
        self._pool.close()

    # -- writes ------------------------------------------------------------------------
    def upsert(self, items: Iterable[tuple[Mention, Analysis]]) -> UpsertResult:
        result = UpsertResult()
        with self._write() as tx:
            for mention, analysis in items:
                if self._upsert_one(tx, mention, analysis):
                    result.inserted += 1
                    result.new_ids.append(mention.id)
                else:
                    result.updated += 1
        return result

    def _upsert_one(self, tx: sqlite3.Connection, mention: Mention, analysis: Analysis) -> bool:
        """Returns True when the mention is new."""
        existing = tx.execute(
            "SELECT rowid, first_seen_at, correction FROM mentions WHERE id = ?", (mention.id,)
        ).fetchone()
        correction = Correction.model_validate_json(existing["correction"]) \
            if existing and existing["correction"] else None
        row = self._row(mention, analysis, correction)
        if existing:
            row["first_seen_at"] = existing["first_seen_at"]
            row["correction"] = existing["correction"]
            assignments = ", ".join(f"{k} = :{k}" for k in row if k != "id")
            tx.execute(f"UPDATE mentions SET {assignments} WHERE id = :id", row)
            rowid = existing["rowid"]
            tx.execute("DELETE FROM mention_fts WHERE rowid = ?", (rowid,))
            tx.execute("DELETE FROM mention_keywords WHERE mention_rowid = ?", (rowid,))
            tx.execute("DELETE FROM mention_categories WHERE mention_rowid = ?", (rowid,))
            tx.execute("DELETE FROM mention_bands WHERE mention_rowid = ?", (rowid,))
        else:
            columns = ", ".join(row)
            values = ", ".join(f":{k}" for k in row)
            rowid = tx.execute(f"INSERT INTO mentions ({columns}) VALUES ({values})", row).lastrowid
        tx.execute("INSERT INTO mention_fts (rowid, tokens) VALUES (?, ?)",
                   (rowid, " ".join(analysis.tokens)))
        tx.executemany("INSERT OR IGNORE INTO mention_keywords VALUES (?, ?)",
                       [(rowid, w) for w in analysis.keywords])
        tx.executemany("INSERT OR IGNORE INTO mention_bands VALUES (?, ?, ?)",
                       [(band, row["published_at"], rowid) for band in fingerprint_bands(analysis.fingerprint)])
        codes = [c.value for c in correction.categories] \
            if correction and correction.categories is not None else analysis.category_codes
        tx.executemany("INSERT OR IGNORE INTO mention_categories VALUES (?, ?)",
                       [(code, rowid) for code in codes])
        return existing is None

    @staticmethod
    def _row(mention: Mention, analysis: Analysis, correction: Correction | None) -> dict:
        sentiment = correction.sentiment if correction and correction.sentiment else None
        return {
            "id": mention.id,
            "platform": mention.platform.value,
            "kind": mention.kind.value,
            "url": mention.url,
            "title": mention.title,
            "text": mention.text,
            "author_name": mention.author.name,
            "author_id": mention.author.id,
            "author_followers": mention.author.followers,
            "author_verified": int(mention.author.verified),
            "author_verified_reason": mention.author.verified_reason,
            "published_at": _epoch(mention.published_at),
            "day": mention.published_at.date().isoformat(),
            "fetched_at": _epoch(mention.fetched_at),
            "first_seen_at": _epoch(mention.fetched_at),
            "reposts": mention.reposts,
            "comments": mention.comments,
            "likes": mention.likes,
            "views": mention.views,
            "engagement": mention.engagement,
            "region": mention.region,
            "parent_id": mention.parent_id,
            "query": mention.query,
            "relevant": int(analysis.relevant),
            "relevance_score": analysis.relevance_score,
            "sentiment": (sentiment or analysis.sentiment.label).value,
            "sentiment_score": analysis.sentiment.score,
            "place": analysis.place,
            "fingerprint": analysis.fingerprint,
            "analysis": analysis.model_dump_json(exclude={"tokens"}),
            "correction": correction.model_dump_json() if correction else None,
            "duplicate_of": analysis.duplicate_of,
            "event_id": analysis.event_id,
        }

    def correct(self, mention_id: str, correction: Correction) -> StoredMention:
        with self._write() as tx:
            row = tx.execute("SELECT rowid, correction FROM mentions WHERE id = ?",
                             (mention_id,)).fetchone()
            if row is None:
                raise KeyError(mention_id)
            if row["correction"]:  # a second review refines the first, field by field
                previous = Correction.model_validate_json(row["correction"])
                correction = correction.model_copy(update={
                    "sentiment": correction.sentiment or previous.sentiment,
                    "categories": correction.categories
                    if correction.categories is not None else previous.categories,
                })
            tx.execute("UPDATE mentions SET correction = ? WHERE rowid = ?",
                       (correction.model_dump_json(), row["rowid"]))
            if correction.sentiment:
                tx.execute("UPDATE mentions SET sentiment = ? WHERE rowid = ?",
                           (correction.sentiment.value, row["rowid"]))
            if correction.categories is not None:
                tx.execute("DELETE FROM mention_categories WHERE mention_rowid = ?", (row["rowid"],))
                tx.executemany("INSERT INTO mention_categories VALUES (?, ?)",
                               [(c.value, row["rowid"]) for c in correction.categories])
        stored = self.get(mention_id)
        assert stored is not None
        return stored

    # -- reads -------------------------------------------------------------------------
    def _where(self, query: MentionQuery) -> tuple[str, list, list[str]]:
        """SQL condition over alias `m`, its parameters, and the query's search terms."""
        clauses, params = ["1 = 1"], []
        terms = self.tokenize(query.text) if query.text.strip() else []
        if terms:
            match = " AND ".join(_fts_phrase(t) for t in terms)
            clauses.append("m.rowid IN (SELECT rowid FROM mention_fts WHERE mention_fts MATCH ?)")
            params.append(match)
        for column, values in (("m.platform", query.platforms), ("m.sentiment", query.sentiments)):
            if values:
                clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
                params.extend(v.value for v in values)
        if query.categories:
            marks = ", ".join("?" * len(query.categories))
            clauses.append(
                f"m.rowid IN (SELECT mention_rowid FROM mention_categories WHERE code IN ({marks}))"
            )
            params.extend(c.value for c in query.categories)
        if query.relevant is not None:
            clauses.append("m.relevant = ?")
            params.append(int(query.relevant))
        if query.since:
            clauses.append("m.published_at >= ?")
            params.append(_epoch(query.since))
        if query.until:
            clauses.append("m.published_at < ?")
            params.append(_epoch(query.until))
        if query.place:
            clauses.append("(instr(m.place, ?) > 0 OR instr(m.region, ?) > 0)")
            params.extend([query.place, query.place])
        if query.author:
            clauses.append("(m.author_name = ? OR m.author_id = ?)")
            params.extend([query.author, query.author])
        if query.event_id:
            clauses.append("m.event_id = ?")
            params.append(query.event_id)
        if query.collapse_duplicates:
            clauses.append("m.duplicate_of = ''")
        if query.corrected is not None:
            clauses.append("m.correction IS NOT NULL" if query.corrected else "m.correction IS NULL")
        return " AND ".join(clauses), params, terms

    def _stored(self, row: sqlite3.Row, terms: list[str] = (), duplicates: int = 0) -> StoredMention:
        mention = Mention(
            id=row["id"], platform=row["platform"], kind=row["kind"], url=row["url"],
            title=row["title"], text=row["text"],
            author=Author(name=row["author_name"], id=row["author_id"],
                          followers=row["author_followers"],
                          verified=bool(row["author_verified"]),
                          verified_reason=row["author_verified_reason"]),
            published_at=_time(row["published_at"]), fetched_at=_time(row["fetched_at"]),
            reposts=row["reposts"], comments=row["comments"], likes=row["likes"],
            views=row["views"], region=row["region"], parent_id=row["parent_id"],
            query=row["query"],
        )
        return StoredMention(
            mention=mention,
            analysis=Analysis.model_validate_json(row["analysis"]),
            correction=Correction.model_validate_json(row["correction"])
            if row["correction"] else None,
            first_seen_at=_time(row["first_seen_at"]),
            highlight=highlight(f"{row['title']} {row['text']}".strip(), terms) if terms else "",
            duplicates=duplicates,
        )

    def iter_stored(self, batch: int = 1000) -> Iterator[StoredMention]:
        """Every mention in insertion order, with its search tokens (for copying elsewhere)."""
        last = 0
        while True:
            with self._connection() as conn:  # not held while the caller works on a batch
                rows = conn.execute(
                    "SELECT m.*, f.tokens AS tokens FROM mentions m JOIN mention_fts f ON f.rowid = m.rowid "
                    "WHERE m.rowid > ? ORDER BY m.rowid LIMIT ?", (last, batch)).fetchall()
            if not rows:
                return
            for row in rows:
                stored = self._stored(row)
                analysis = stored.analysis.model_copy(update={"tokens": row["tokens"].split()})
                yield stored.model_copy(update={"analysis": analysis})
            last = rows[-1]["rowid"]

    def get(self, mention_id: str) -> StoredMention | None:
        with self._connection() as conn:
            row = conn.execute("SELECT * FROM mentions m WHERE id = ?", (mention_id,)).fetchone()
        return self._stored(row) if row else None

    def _rollup(self, query: MentionQuery, dim: str = "") -> tuple[str, list] | None:
        return rollup_scope(query, dim) if self.use_rollup else None

    def count(self, query: MentionQuery) -> int:
        if rolled := self._rollup(query):
            where, params = rolled
            return self._fetch(f"SELECT COALESCE(SUM(r.n), 0) FROM mention_rollup r WHERE {where}", params)[0][0]
        where, params, _ = self._where(query)
        with self._connection() as conn:
            return conn.execute(f"SELECT COUNT(*) FROM mentions m WHERE {where}", params).fetchone()[0]

    def search(self, query: MentionQuery) -> Page:
        where, params, terms = self._where(query)
        if query.sort == Sort.relevance and terms:
            # bm25 needs the FTS table in the FROM clause; join it back by rowid.
            sql = (f"SELECT m.* FROM mentions m JOIN mention_fts f ON f.rowid = m.rowid "
                   f"WHERE {where} AND mention_fts MATCH ? ORDER BY bm25(mention_fts) "
                   f"LIMIT ? OFFSET ?")
            rows = self._fetch(sql, [*params, params[0], query.limit, query.offset])
        else:
            order = _SORTS.get(query.sort, _SORTS[Sort.newest])
            sql = f"SELECT m.* FROM mentions m WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
            rows = self._fetch(sql, [*params, query.limit, query.offset])
        copies = self._duplicate_counts([r["id"] for r in rows]) if query.collapse_duplicates else {}
        items = [self._stored(r, terms, copies.get(r["id"], 0)) for r in rows]
        return Page(total=self.count(query), items=items)

    def _duplicate_counts(self, ids: list[str]) -> dict[str, int]:
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        rows = self._fetch(f"SELECT duplicate_of, COUNT(*) FROM mentions WHERE duplicate_of IN ({marks}) "
                           f"GROUP BY duplicate_of", ids)
        return dict(rows)

    def trend(self, query: MentionQuery) -> list[TrendBucket]:
        if rolled := self._rollup(query):
            where, params = rolled
            rows = self._fetch(f"SELECT r.day, r.sentiment, SUM(r.n) FROM mention_rollup r WHERE {where} "
                               f"GROUP BY r.day, r.sentiment HAVING SUM(r.n) > 0", params)
        else:
            where, params, _ = self._where(query)
            rows = self._fetch(f"SELECT m.day, m.sentiment, COUNT(*) FROM mentions m WHERE {where} "
                               f"GROUP BY m.day, m.sentiment", params)
        buckets: dict = {}
        for day, sentiment, count in rows:
            key = datetime.fromisoformat(day).date()
            bucket = buckets.setdefault(key, TrendBucket(day=key))
            setattr(bucket, sentiment, count)
        return fill_days(buckets, query.since, query.until)

    def facet(self, query: MentionQuery, facet: Facet, limit: int = 10) -> list[Count]:
        dim, column = _ROLLUP_FACETS[facet]
        if rolled := self._rollup(query, dim):
            return self._rolled_counts(rolled, column, limit)
        where, params, _ = self._where(query)
        if facet == Facet.category:
            sql = (f"SELECT c.code, COUNT(*) FROM mention_categories c "
                   f"JOIN mentions m ON m.rowid = c.mention_rowid WHERE {where} "
                   f"GROUP BY c.code ORDER BY 2 DESC, 1 LIMIT ?")
        else:
            column = _FACET_COLUMNS[facet]
            sql = (f"SELECT {column}, COUNT(*) FROM mentions m WHERE {where} AND {column} != '' "
                   f"GROUP BY {column} ORDER BY 2 DESC, 1 LIMIT ?")
        rows = self._fetch(sql, [*params, limit])
        return [Count(value=value, count=count) for value, count in rows]

    def _rolled_counts(self, rolled: tuple[str, list], column: str, limit: int) -> list[Count]:
        where, params = rolled
        rows = self._fetch(f"SELECT {column}, SUM(r.n) FROM mention_rollup r WHERE {where} AND {column} != '' "
                           f"GROUP BY {column} HAVING SUM(r.n) > 0 ORDER BY 2 DESC, 1 LIMIT ?", [*params, limit])
        return [Count(value=value, count=count) for value, count in rows]

    def keywords(self, query: MentionQuery, limit: int = 50) -> list[Count]:
        if rolled := self._rollup(query, "keyword"):
            return self._rolled_counts(rolled, "r.value", limit)
        where, params, _ = self._where(query)
        rows = self._fetch(f"SELECT k.word, COUNT(*) FROM mention_keywords k "
                           f"JOIN mentions m ON m.rowid = k.mention_rowid WHERE {where} "
                           f"GROUP BY k.word ORDER BY 2 DESC, 1 LIMIT ?", [*params, limit])
        return [Count(value=word, count=count) for word, count in rows]

    def near_duplicates(self, fingerprint: str, since: datetime, until: datetime,
                        limit: int = 50) -> list[StoredMention]:
        keys = fingerprint_bands(fingerprint)
        if not keys:
            return []
        marks = ", ".join("?" * len(keys))
        rows = self._fetch(
            f"SELECT m.* FROM mentions m WHERE m.rowid IN (SELECT mention_rowid FROM mention_bands "
            f"WHERE band IN ({marks}) AND published_at >= ? AND published_at < ?) "
            f"ORDER BY m.published_at, m.rowid LIMIT ?",
            [*keys, _epoch(since), _epoch(until), limit])
        return [self._stored(r) for r in rows]

    def events(self, query: MentionQuery, limit: int = 20) -> list[EventSummary]:
        where, params, _ = self._where(query)
        with self._connection():  # one connection for the whole summary (nested reads share it)
            return self._events(where, params, query, limit)

    def _events(self, where: str, params: list, query: MentionQuery, limit: int) -> list[EventSummary]:
        groups = self._fetch(
            f"SELECT m.event_id, COUNT(*), MIN(m.published_at), MAX(m.published_at), "
            f"SUM(m.sentiment = 'negative') FROM mentions m WHERE {where} AND m.event_id != '' "
            f"GROUP BY m.event_id ORDER BY 2 DESC, 4 DESC LIMIT ?", [*params, limit])
        out = []
        for event_id, count, first, last, negative in groups:
            scoped = query.model_copy(update={"event_id": event_id})
            first_row = self._fetch(
                "SELECT title, text FROM mentions WHERE event_id = ? ORDER BY published_at, rowid LIMIT 1",
                (event_id,))[0]
            places = self.facet(scoped, Facet.place, limit=1)
            out.append(EventSummary(
                event_id=event_id,
                summary=first_line(first_row["text"], first_row["title"]),
                first_seen_at=_time(first), last_seen_at=_time(last), mentions=count,
                platforms=[c.value for c in self.facet(scoped, Facet.platform, limit=20)],
                categories=[c.value for c in self.facet(scoped, Facet.category, limit=5)],
                place=places[0].value if places else "",
                negative=negative or 0,
                keywords=[c.value for c in self.keywords(scoped, limit=5)],
                volume=self.trend(scoped.model_copy(update={"since": None, "until": None})),
            ))
        return out
