"""The Elasticsearch mention index against the SQLite one, on the same data in the same run.

    python bench/es_ingest.py [N]        (default 200000 mentions; needs Java 17+ and Maven)

Starts the real test node (tools/es_node.py, full JIT, 1 GB heap), then for each backend:
- ingest rate: N analysed mentions through `upsert()` in calls of 1000, as a crawl would
  deliver them (for Elasticsearch: lookups, bulk requests, refresh, outbox bookkeeping);
- trend query latency: 30 Asia/Shanghai days by sentiment;
- search latency: full-text words with two filters (platform, sentiment), first page.
The few hundred texts (our labelled gas examples and demo posts) are analysed once; ids,
times, platforms, authors and metrics vary per mention. Prints a table with ratios.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO

CALL_SIZE = 1000
QUERY_RUNS = 40
WORDS = ["停气", "燃气费", "客服", "抢修", "漏气", "报装", "泰安"]


def texts() -> list[str]:
    found = []
    for path in (REPO / "nlp/data/gas_examples.jsonl", REPO / "tools/demo/weibo_posts.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                found.append(json.loads(line)["text"])
    return found


def corpus(n: int, now: datetime) -> Iterator[list]:
    """N mentions in calls of CALL_SIZE: the analysed texts cycled, everything else varied."""
    from nlp.analyze import Analyzer
    from yuqing.records import Author, Kind, Mention, Platform
    from yuqing.settings import Settings

    analyzer = Analyzer(Settings())
    pool = texts()
    platforms = [Platform.weibo, Platform.weibo, Platform.wechat, Platform.toutiao, Platform.news, Platform.board]
    probe = [Mention(id=f"probe:{i}", platform=Platform.weibo, kind=Kind.post, text=t, published_at=now,
                     fetched_at=now) for i, t in enumerate(pool)]
    analyses = [analyzer.analyze(m) for m in probe]
    rng = random.Random(20261120)
    batch = []
    for i in range(n):
        k = rng.randrange(len(pool))
        platform = platforms[i % len(platforms)]
        published = now - timedelta(seconds=rng.randrange(60 * 86400))  # 60 days: three monthly indices
        mention = Mention(
            id=f"{platform}:{i}", platform=platform, kind=Kind.post, url=f"https://example.invalid/{i}",
            text=pool[k], author=Author(name=f"用户{rng.randrange(5000)}", id=str(rng.randrange(5000)),
                                        followers=rng.randrange(100_000)),
            published_at=published, fetched_at=published + timedelta(minutes=rng.randrange(600)),
            reposts=rng.randrange(50), comments=rng.randrange(200), likes=rng.randrange(1000),
            region=rng.choice(["山东", "北京", "江苏", ""]),
        )
        batch.append((mention, analyses[k]))
        if len(batch) == CALL_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def ingest(store, batches: list[list]) -> float:
    """Mentions per second through upsert(); batch building is outside the clock."""
    elapsed, total = 0.0, 0
    for batch in batches:
        start = time.perf_counter()
        result = store.upsert(batch)
        elapsed += time.perf_counter() - start
        assert not result.failed and not result.queued, (result.failed[:3], result.queued[:3])
        total += len(batch)
    return total / elapsed


def latency(run: Callable[[int], object]) -> tuple[float, float]:
    """Median and p95 in milliseconds over QUERY_RUNS calls (after three warm-ups)."""
    for i in range(3):
        run(i)
    times = []
    for i in range(QUERY_RUNS):
        start = time.perf_counter()
        run(i)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[round(0.95 * (len(times) - 1))]


def measure(store, batches: list[list], now: datetime) -> dict[str, float]:
    from store.base import MentionQuery
    from yuqing.records import Platform, SentimentLabel

    rate = ingest(store, batches)
    month = MentionQuery(since=now - timedelta(days=30), until=now)
    assert sum(b.total for b in store.trend(month)) > 0
    trend = latency(lambda i: store.trend(month))

    def search(i: int) -> object:
        query = MentionQuery(text=WORDS[i % len(WORDS)], platforms=[Platform.weibo],
                             sentiments=[SentimentLabel.negative], limit=20)
        return store.search(query)

    assert search(0).total > 0
    found = latency(search)
    return {"rate": rate, "trend_p50": trend[0], "trend_p95": trend[1], "search_p50": found[0],
            "search_p95": found[1], "count": store.count(MentionQuery())}


def main(n: int = 200_000) -> None:
    from store.elasticsearch import ElasticsearchStore
    from store.outbox import Outbox
    from store.sqlite import SQLiteStore
    from tools.es_node import EsNode, unavailable_reason
    from yuqing.records import SHANGHAI
    from yuqing.settings import EsSettings, Settings
    from yuqing.wiring import query_tokenizer

    reason = unavailable_reason()
    if reason:
        sys.exit(f"es_ingest: cannot start the Elasticsearch node: {reason}")
    now = datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)
    start = time.perf_counter()
    batches = list(corpus(n, now))
    print(f"{n} mentions from {len(texts())} analysed texts, built in {time.perf_counter() - start:.1f} s")
    tokenize = query_tokenizer(Settings())
    with tempfile.TemporaryDirectory(prefix="yuqing-bench-es-") as work:
        node = EsNode(Path(work) / "es", heap="1g", quick_start=False)
        url = node.start(timeout=120)
        try:
            with SQLiteStore(Path(work) / "mentions.sqlite", tokenize) as sqlite:
                base = measure(sqlite, batches, now)
            es = EsSettings(url=url, index_prefix=f"bench{uuid.uuid4().hex[:6]}", replicas=0)
            with ElasticsearchStore.open(es, tokenize=tokenize, outbox=Outbox(Path(work) / "outbox.sqlite")) as store:
                ours = measure(store, batches, now)
        finally:
            node.stop()
    assert base["count"] == ours["count"] == n, (base["count"], ours["count"])
    print(f"machine: 2 shared cores; Elasticsearch 8.19 test node (1 GB heap, 1 shard per month, "
          f"no replicas); upsert calls of {CALL_SIZE}; latencies over {QUERY_RUNS} runs\n")
    rows = [
        ("ingest (mentions/s, higher is better)", "rate", "{:,.0f}"),
        ("trend 30 days x sentiment, median ms", "trend_p50", "{:.1f}"),
        ("trend 30 days x sentiment, p95 ms", "trend_p95", "{:.1f}"),
        ("search text + 2 filters, median ms", "search_p50", "{:.1f}"),
        ("search text + 2 filters, p95 ms", "search_p95", "{:.1f}"),
    ]
    print("ratio = Elasticsearch / SQLite: above 1 is better for the ingest rate, below 1 for latencies\n")
    print(f"| {'measure':40s} | {'SQLite (baseline)':>18s} | {'Elasticsearch':>14s} | {'ES / SQLite':>11s} |")
    print(f"|{'-' * 42}|{'-' * 20}|{'-' * 16}|{'-' * 13}|")
    for label, key, fmt in rows:
        print(f"| {label:40s} | {fmt.format(base[key]):>18s} | {fmt.format(ours[key]):>14s} | "
              f"{ours[key] / base[key]:>10.2f}x |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
