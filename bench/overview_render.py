"""Server time of the 舆情总览 page with 1,000,000 mentions, on Elasticsearch and on SQLite.

    python bench/overview_render.py [N]        (default 1,000,000; needs Java 17+ and Maven)

The page asks three things when it opens (api/static/js/overview.js, default filters: the last
30 days, relevant only): GET /api/stats/overview (totals, daily trend by sentiment, platforms,
categories, districts, places, regions, authors, keywords), GET /api/events (the largest 10)
and GET /api/mentions (the first 20, newest first). Each is timed through the whole app (FastAPI,
login token, the store) as the median of RUNS calls after warm-ups.

Baseline, measured in the same run on the same stores: the same calls when the stores held the
first N/10 mentions. The ratio (N mentions / N/10 mentions) says how the page scales: 10x the
data costing far less than 10x the time is the point of the index aggregations.

The mentions: the few hundred texts of our gas examples and demo posts are analysed once;
ids, times (spread over the 30 days the page shows), platforms, authors, metrics, places, IP
regions and events vary per mention. Elasticsearch is the real test node (tools/es_node.py,
2 GB heap, full JIT, one shard per month, no replicas). Last, the weekly briefing is made on
each store at full size (`generate_report`, figures, charts, HTML and DOCX).
"""

from __future__ import annotations

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

from bench.es_ingest import texts

CALL_SIZE = 2000
RUNS = 5
PLACES = ["泰山区 财源街道", "泰山区 上高街道", "岱岳区 粥店街道 幸福家园", "岱岳区 天平街道", "高新区 北集坡街道",
          "新泰市 青云街道 平阳小区", "肥城市 新城街道", "宁阳县 文庙街道", "东平县 州城街道", "泰安市", ""]
REGIONS = ["山东", "山东", "山东", "北京", "江苏", "河北", ""]
CALLS = ("/api/stats/overview", "/api/events", "/api/mentions")


def mentions(start: int, stop: int, now: datetime, pool: list, analyses: list) -> Iterator[list]:
    """Mentions start..stop-1 in calls of CALL_SIZE, the same for every run of the benchmark."""
    from yuqing.records import Author, Kind, Mention, Platform

    platforms = [Platform.weibo, Platform.weibo, Platform.wechat, Platform.toutiao, Platform.douyin, Platform.news,
                 Platform.board]
    batch = []
    for i in range(start, stop):
        rng = random.Random(i)
        k = rng.randrange(len(pool))
        platform = platforms[i % len(platforms)]
        published = now - timedelta(seconds=rng.randrange(30 * 86400 - 3600))
        event = i - i % 25  # events of 25 mentions, named by their first one
        analysis = analyses[k].model_copy(update={"place": PLACES[rng.randrange(len(PLACES))],
                                                  "event_id": f"{platforms[event % len(platforms)]}:{event}"})
        mention = Mention(
            id=f"{platform}:{i}", platform=platform, kind=Kind.post, url=f"https://example.invalid/{i}",
            text=pool[k], author=Author(name=f"网友{rng.randrange(20_000)}", id=str(rng.randrange(20_000)),
                                        followers=rng.randrange(100_000)),
            published_at=published, fetched_at=published + timedelta(minutes=rng.randrange(600)),
            reposts=rng.randrange(50), comments=rng.randrange(200), likes=rng.randrange(1000),
            region=REGIONS[rng.randrange(len(REGIONS))])
        batch.append((mention, analysis))
        if len(batch) == CALL_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def analysed_pool(now: datetime) -> tuple[list[str], list]:
    """The texts mentions are made of, and their analyses (computed once, reused per mention)."""
    from nlp.analyze import Analyzer
    from yuqing.records import Kind, Mention, Platform
    from yuqing.settings import Settings

    pool = texts()
    analyzer = Analyzer(Settings())
    return pool, [analyzer.analyze(Mention(id=f"probe:{i}", platform=Platform.weibo, kind=Kind.post, text=t,
                                           published_at=now, fetched_at=now)) for i, t in enumerate(pool)]


def fill(stores: dict, batches: Iterator[list]) -> dict[str, float]:
    """Upsert every batch into every store; seconds spent per store."""
    spent = dict.fromkeys(stores, 0.0)
    for batch in batches:
        for name, store in stores.items():
            started = time.perf_counter()
            result = store.upsert(batch)
            spent[name] += time.perf_counter() - started
            assert not result.failed and not result.queued, (name, result.failed[:2], result.queued[:2])
    return spent


def median_ms(call: Callable[[], object], runs: int = RUNS) -> float:
    call()  # warm-up: caches, JIT, file pages
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


class Page:
    """The app over one store, with a logged-in viewer, asking what the overview page asks."""

    def __init__(self, store, work: Path) -> None:
        from fastapi.testclient import TestClient

        from alerts.db import Database, now_shanghai
        from alerts.users.service import create_user
        from api.app import create_app
        from yuqing.records import Role
        from yuqing.settings import Settings, StorageSettings

        settings = Settings(storage=StorageSettings(data_dir=work))
        self.db = Database(f"sqlite:///{work / 'yuqing.sqlite'}")
        self.db.migrate()
        with self.db.write() as session:
            create_user(session, username="viewer", password="bench-password-1", role=Role.viewer,
                        settings=settings, now=now_shanghai())
        self.client = TestClient(create_app(settings, store=store, db=self.db))
        self.client.__enter__()
        token = self.client.post("/api/auth/login", json={"username": "viewer", "password": "bench-password-1"})
        self.client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def params(self, today) -> dict[str, dict[str, str]]:
        base = {"since": str(today - timedelta(days=29)), "until": str(today), "relevant": "true"}
        return {"/api/stats/overview": base, "/api/events": {**base, "limit": "10"},
                "/api/mentions": {**base, "size": "20", "page": "1", "sort": "newest"}}

    def measure(self, today) -> dict[str, float]:
        times, answers = {}, {}
        for path, params in self.params(today).items():
            def call(path=path, params=params):
                response = self.client.get(path, params=params)
                assert response.status_code == 200, response.text[:300]
                answers[path] = response.json()
            times[path] = median_ms(call)
        total = answers["/api/stats/overview"]["total"]
        assert total == answers["/api/mentions"]["total"] > 0 and answers["/api/events"]
        times["page"] = sum(times[p] for p in CALLS)
        times["total"] = total
        return times

    def close(self) -> None:
        self.client.__exit__(None, None, None)
        self.db.close()


def weekly_report_ms(store, work: Path, now: datetime) -> float:
    from crawlers.sitecheck.store import SiteStore
    from yuqing.reports.model import ReportKind
    from yuqing.reports.service import generate_report
    from yuqing.settings import Settings, StorageSettings

    settings = Settings(storage=StorageSettings(data_dir=work))
    with SiteStore(work / "sites.sqlite") as sites:
        started = time.perf_counter()
        stored = generate_report(settings, kind=ReportKind.weekly, day=now.date(), now=now, store=store, sites=sites,
                                 extensions=[])
        spent = (time.perf_counter() - started) * 1000
    assert stored.briefing.figures.total > 0
    return spent


def main(n: int = 1_000_000) -> None:
    from store.elasticsearch import ElasticsearchStore
    from store.outbox import Outbox
    from store.sqlite import SQLiteStore
    from tools.es_node import EsNode, unavailable_reason
    from yuqing.records import SHANGHAI
    from yuqing.settings import EsSettings, Settings
    from yuqing.wiring import query_tokenizer

    reason = unavailable_reason()
    if reason:
        sys.exit(f"overview_render: cannot start the Elasticsearch node: {reason}")
    now = datetime.now(SHANGHAI).replace(microsecond=0)
    pool, analyses = analysed_pool(now)
    tokenize = query_tokenizer(Settings())
    baseline_n = n // 10
    with tempfile.TemporaryDirectory(prefix="yuqing-bench-overview-") as tmp:
        work = Path(tmp)
        node = EsNode(work / "es", heap="2g", quick_start=False)
        url = node.start(timeout=180)
        try:
            es = EsSettings(url=url, index_prefix=f"bench{uuid.uuid4().hex[:6]}", replicas=0, request_timeout=120)
            outbox = Outbox(work / "outbox.sqlite")
            stores = {"SQLite": SQLiteStore(work / "mentions.sqlite", tokenize),
                      "Elasticsearch": ElasticsearchStore.open(es, tokenize=tokenize, outbox=outbox)}
            pages = {name: Page(store, work / name) for name, store in stores.items()}
            results: dict[tuple[str, int], dict] = {}
            loaded = dict.fromkeys(stores, 0.0)
            for size, start in ((baseline_n, 0), (n, baseline_n)):
                spent = fill(stores, mentions(start, size, now, pool, analyses))
                for name in stores:
                    loaded[name] += spent[name]
                    results[(name, size)] = pages[name].measure(now.date())
                print(f"loaded {size:,} mentions: " + ", ".join(f"{k} {v:.0f} s" for k, v in loaded.items()),
                      flush=True)
            reports = {name: weekly_report_ms(store, work / f"report-{name}", now) for name, store in stores.items()}
            for page in pages.values():
                page.close()
            for store in stores.values():
                store.close()
        finally:
            node.stop()
    report(results, reports, n, baseline_n, len(pool))


def report(results: dict, reports: dict[str, float], n: int, baseline_n: int, texts_count: int) -> None:
    print(f"\n{n:,} mentions ({texts_count} analysed texts varied), all in the page's default 30 days; machine: "
          f"2 shared cores; Elasticsearch 8.19 test node, 2 GB heap; median of {RUNS} calls through the app\n")
    print("baseline = the same call when the store held the first "
          f"{baseline_n:,} mentions (same run); ratio = {n:,} / {baseline_n:,} (10x the data)\n")
    print(f"| {'call (server ms)':26s} | {'backend':13s} | {f'{baseline_n:,} (baseline)':>18s} | "
          f"{f'{n:,}':>11s} | {'ratio':>7s} |")
    print(f"|{'-' * 28}|{'-' * 15}|{'-' * 20}|{'-' * 13}|{'-' * 9}|")
    for call in (*CALLS, "page"):
        for backend in ("SQLite", "Elasticsearch"):
            base, ours = results[(backend, baseline_n)][call], results[(backend, n)][call]
            label = "whole page (sum of 3)" if call == "page" else call
            print(f"| {label:26s} | {backend:13s} | {base:18.0f} | {ours:11.0f} | {ours / base:6.1f}x |")
    sqlite_page, es_page = results[("SQLite", n)]["page"], results[("Elasticsearch", n)]["page"]
    print(f"\nat {n:,}: Elasticsearch / SQLite for the whole page = {es_page / sqlite_page:.2f}x "
          f"({es_page:.0f} ms vs {sqlite_page:.0f} ms; below 1: Elasticsearch is faster)")
    print(f"weekly report at {n:,} mentions (generate_report: figures, 2 charts, HTML + DOCX): "
          + ", ".join(f"{name} {ms / 1000:.1f} s" for name, ms in reports.items()))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
