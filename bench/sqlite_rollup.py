"""The 舆情总览 overview's counts on SQLite with N mentions: from the daily roll-up (ours)
against counting the mentions (baseline), on the same file in the same run; and what keeping
the roll-up costs the writer.

    python bench/sqlite_rollup.py [N]        (default 1,000,000)

Reads: the store calls behind GET /api/stats/overview (total, trend by day and sentiment, the
sentiment, platform, category, place, region and author facets, the keyword cloud), the
median of 5 rounds after a warm-up, for the page's default filters (the last 30 days,
relevant only) and for no filter at all; baseline = the same calls with the roll-up switched
off (`use_rollup = False`, so each is a GROUP BY over the covering index, as before schema 4).

Writes: the first min(N, 200,000) mentions upserted in calls of 2,000 into a fresh file with the
roll-up's triggers (ours) and into one with them dropped (baseline).

The mentions are bench/overview_render.py's: a few hundred analysed texts, ids, times over 30
days, platforms, 20,000 authors, places, regions and events varied per mention.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.overview_render import analysed_pool, fill, median_ms, mentions

WRITE_SAMPLE = 200_000


def overview_calls(store, query) -> None:
    from store.base import DISTRICT_SCAN, Facet

    store.count(query)
    store.trend(query)
    for facet in Facet:
        store.facet(query, facet, DISTRICT_SCAN if facet == Facet.place else 10)
    store.keywords(query, 60)


def drop_rollup_triggers(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f"DROP TRIGGER {name}")


def main(n: int = 1_000_000) -> None:
    from store.base import MentionQuery
    from store.sqlite import SQLiteStore
    from yuqing.records import SHANGHAI
    from yuqing.settings import Settings
    from yuqing.wiring import query_tokenizer

    now = datetime.now(SHANGHAI).replace(microsecond=0)
    pool, analyses = analysed_pool(now)
    tokenize = query_tokenizer(Settings())
    sample = min(n, WRITE_SAMPLE)
    with tempfile.TemporaryDirectory(prefix="yuqing-bench-rollup-") as tmp:
        work = Path(tmp)
        stores = {"roll-up": SQLiteStore(work / "mentions.sqlite", tokenize),
                  "no roll-up": SQLiteStore(work / "plain.sqlite", tokenize)}
        drop_rollup_triggers(work / "plain.sqlite")  # after opening: opening creates them
        spent = fill(stores, mentions(0, sample, now, pool, analyses))
        stores.pop("no roll-up").close()
        store = stores["roll-up"]
        started = time.perf_counter()
        fill({"roll-up": store}, mentions(sample, n, now, pool, analyses))
        print(f"loaded {n:,} mentions in {spent['roll-up'] + time.perf_counter() - started:.0f} s", flush=True)

        today = now.replace(hour=0, minute=0, second=0)
        queries = {"page default (30 days, relevant)": MentionQuery(since=today - timedelta(days=29),
                                                                    until=today + timedelta(days=1), relevant=True),
                   "no filter": MentionQuery()}
        rows = []
        for label, query in queries.items():
            store.use_rollup = False
            baseline = median_ms(lambda q=query: overview_calls(store, q))
            store.use_rollup = True
            ours = median_ms(lambda q=query: overview_calls(store, q))
            rows.append((label, baseline, ours))
        rollup_rows = store._fetch("SELECT COUNT(*) FROM mention_rollup")[0][0]
        store.close()

    print(f"\n{n:,} mentions over 30 days; the overview's store calls (server ms, median of 5):")
    print(f"| {'filters':34s} | {'counting (baseline)':>20s} | {'roll-up (ours)':>15s} | {'speed-up':>9s} |")
    print(f"|{'-' * 36}|{'-' * 22}|{'-' * 17}|{'-' * 11}|")
    for label, baseline, ours in rows:
        print(f"| {label:34s} | {baseline:20.0f} | {ours:15.1f} | {baseline / ours:8.0f}x |")
    print(f"roll-up rows: {rollup_rows:,} ({rollup_rows / n:.3f} per mention)")
    ours_rate, base_rate = sample / spent["roll-up"], sample / spent["no roll-up"]
    print(f"writes, first {sample:,} mentions in calls of 2,000: roll-up {ours_rate:,.0f}/s, "
          f"without it (baseline) {base_rate:,.0f}/s; ratio {ours_rate / base_rate:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
