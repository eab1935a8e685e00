"""Daily counts of the SQLite mention index, kept by triggers, for the 舆情总览 overview.

The overview asks for a total, a trend by day and sentiment, six facets and a keyword cloud
over a time window. Counted from the mentions, each is a scan of the window: with a couple of
million mentions the overview took 8 s and held readers open long enough to stall the writer's
WAL checkpoint. Here every count the overview needs is kept per Asia/Shanghai day, value of
each dimension, relevant or not and original or near-duplicate (the mentions' own counts also
per platform and sentiment), so a window of days reads rows that grow with the days and the
distinct values, not with the number of mentions.

Triggers keep the roll-up, so every write path (a new mention, a re-crawled one, a reviewer's
correction, a deletion) updates it in the same transaction, and nothing in Python has to
remember to. A mention's own dimensions (place, region, author) come with its row; its
categories and keywords live in their own tables, so their rows count in their own triggers,
and when a mention's filter columns change its category and keyword counts move with it.

Only queries the roll-up can answer exactly use it (`scope`): whole days, and no full-text,
category, place, author, event or review filter (nor, for the facets other than platform and
sentiment, a platform or sentiment filter); the rest are counted from the mentions.
"""

from __future__ import annotations

from datetime import time

from store.base import MentionQuery
from yuqing.records import SHANGHAI

_COLUMNS = "dim, day, value, relevant, platform, sentiment, original"

TABLE = f"""
CREATE TABLE IF NOT EXISTS mention_rollup (
    dim TEXT NOT NULL,          -- '' counts mentions; else place, region, author, category, keyword
    day TEXT NOT NULL,          -- Asia/Shanghai date of published_at
    value TEXT NOT NULL,        -- the dimension's value ('' for dim '')
    relevant INTEGER NOT NULL,
    platform TEXT NOT NULL,     -- platform and effective sentiment: on dim '' only, else ''
    sentiment TEXT NOT NULL,
    original INTEGER NOT NULL,  -- 0 for a near-duplicate of an earlier mention
    n INTEGER NOT NULL,
    PRIMARY KEY ({_COLUMNS})
) WITHOUT ROWID;
"""


# Platform and sentiment are kept on the mentions' own counts (dim ''), whose combinations are
# few; on the other dimensions' rows they would multiply the rows by about twenty (authors and
# keywords are many), so there they are '' and a query filtering on them is counted instead.
_MENTION_ONLY = "CASE WHEN d.dim = '' THEN {m}.{column} ELSE '' END"


def _add(mention: str, dims: str, sign: int, source: str = "") -> str:
    """An upsert adding `sign` to each (dimension, value) row of `dims` for `mention`'s columns
    (`new`, `old` or a table alias). `WHERE true` keeps SQLite from reading ON CONFLICT as a join."""
    m = mention
    return (f"INSERT INTO mention_rollup ({_COLUMNS}, n) "
            f"SELECT d.dim, {m}.day, d.value, {m}.relevant, {_MENTION_ONLY.format(m=m, column='platform')}, "
            f"{_MENTION_ONLY.format(m=m, column='sentiment')}, {m}.duplicate_of = '', {sign} "
            f"FROM {dims} AS d {source} WHERE true "
            f"ON CONFLICT ({_COLUMNS}) DO UPDATE SET n = n + excluded.n;")


def _own(m: str) -> str:
    """The mention row's own dimensions; empty values are not counted (as the facets skip them)."""
    return (f"(SELECT '' AS dim, '' AS value UNION ALL SELECT 'place', {m}.place WHERE {m}.place != '' "
            f"UNION ALL SELECT 'region', {m}.region WHERE {m}.region != '' "
            f"UNION ALL SELECT 'author', {m}.author_name WHERE {m}.author_name != '')")


def _children(m: str, sign: int) -> str:
    """Move the mention's category and keyword rows: `sign` for each at `m`'s columns."""
    return "\n".join(
        _add(m, f"(SELECT '{dim}' AS dim, t.{column} AS value FROM {table} t "
                f"WHERE t.mention_rowid = {m}.rowid)", sign)
        for dim, table, column in (("category", "mention_categories", "code"),
                                   ("keyword", "mention_keywords", "word")))


def _child_triggers(dim: str, table: str, column: str) -> str:
    return "\n".join(
        f"CREATE TRIGGER IF NOT EXISTS {table}_rollup_{event} AFTER {event.upper()} ON {table} BEGIN "
        + _add("m", f"(SELECT '{dim}' AS dim, {row}.{column} AS value)", sign,
               f"JOIN mentions m ON m.rowid = {row}.mention_rowid")
        + " END;"
        for event, row, sign in (("insert", "new", 1), ("delete", "old", -1)))


_COUNTED = ("day", "relevant", "platform", "sentiment", "duplicate_of", "place", "region", "author_name")
TRIGGERS = f"""
CREATE TRIGGER IF NOT EXISTS mentions_rollup_insert AFTER INSERT ON mentions BEGIN
{_add("new", _own("new"), 1)}
END;
CREATE TRIGGER IF NOT EXISTS mentions_rollup_update AFTER UPDATE OF {", ".join(_COUNTED)} ON mentions
WHEN ({", ".join(f"old.{c}" for c in _COUNTED)}) != ({", ".join(f"new.{c}" for c in _COUNTED)})
BEGIN
{_add("old", _own("old"), -1)}
{_add("new", _own("new"), 1)}
{_children("old", -1)}
{_children("new", 1)}
END;
CREATE TRIGGER IF NOT EXISTS mentions_rollup_delete AFTER DELETE ON mentions BEGIN
{_add("old", _own("old"), -1)}
{_children("old", -1)}
END;
{_child_triggers("category", "mention_categories", "code")}
{_child_triggers("keyword", "mention_keywords", "word")}
"""

# Counts for the mentions stored before the roll-up existed (schema 4's upgrade).
BACKFILL = f"""
INSERT INTO mention_rollup ({_COLUMNS}, n)
SELECT d.dim, m.day, d.value, m.relevant, {_MENTION_ONLY.format(m="m", column="platform")},
       {_MENTION_ONLY.format(m="m", column="sentiment")}, m.duplicate_of = '', COUNT(*)
FROM mentions m JOIN (
    SELECT rowid, '' AS dim, '' AS value FROM mentions
    UNION ALL SELECT rowid, 'place', place FROM mentions WHERE place != ''
    UNION ALL SELECT rowid, 'region', region FROM mentions WHERE region != ''
    UNION ALL SELECT rowid, 'author', author_name FROM mentions WHERE author_name != ''
    UNION ALL SELECT mention_rowid, 'category', code FROM mention_categories
    UNION ALL SELECT mention_rowid, 'keyword', word FROM mention_keywords
) AS d ON d.rowid = m.rowid
GROUP BY 1, 2, 3, 4, 5, 6, 7;
"""


def scope(query: MentionQuery, dim: str = "") -> tuple[str, list] | None:
    """The condition (alias `r`) and parameters on `dim`'s rows for `query`, or None when the
    roll-up cannot answer it exactly and the mentions must be counted."""
    if (query.text.strip() or query.categories or query.place or query.author or query.event_id
            or query.corrected is not None or (dim and (query.platforms or query.sentiments))):
        return None
    clauses, params = ["r.dim = ?"], [dim]
    for bound, operator in ((query.since, ">="), (query.until, "<")):
        if bound is None:
            continue
        local = bound.astimezone(SHANGHAI)
        if local.time() != time(0):
            return None  # part of a day: only the mentions know their times
        clauses.append(f"r.day {operator} ?")
        params.append(local.date().isoformat())
    for column, values in (("r.platform", query.platforms), ("r.sentiment", query.sentiments)):
        if values:
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(v.value for v in values)
    if query.relevant is not None:
        clauses.append("r.relevant = ?")
        params.append(int(query.relevant))
    if query.collapse_duplicates:
        clauses.append("r.original = 1")
    return " AND ".join(clauses), params
