"""Time to make the weekly briefing on the demo data plus N extra mentions (default 10,000).

The demo is loaded with `yuqing demo` and the extra mentions go through the real ingest path
(analyse → link to copies and events → SQLite) spread over the last 7 days: our own demo
posts, each with a different place, street and number so they are not all copies.

Baseline (measured in the same run): the same figures — totals by sentiment, per day,
platform, category and place, and the negative events — computed by paging through every
mention of the week with `search()` and counting in Python, as a report without index
aggregations would. Ours: `build_briefing()` (aggregations in the index). Then the whole
`generate_report()`: figures, two charts, HTML and DOCX, written to the data directory.

    python bench/weekly_report.py [N_EXTRA]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO

PLACES = ["泰山区财源街道", "岱岳区粥店街道", "高新区北集坡街道", "新泰市青云街道", "肥城市新城街道",
          "宁阳县文庙街道", "东平县州城街道", "泰山区上高街道"]


def extra_mentions(n: int, now: datetime):
    from yuqing.records import Author, Kind, Mention, Platform, mention_id

    posts = [json.loads(line) for line in (REPO / "tools/demo/weibo_posts.jsonl").read_text("utf-8").splitlines()]
    platforms = [Platform.weibo, Platform.weibo, Platform.toutiao, Platform.douyin, Platform.news, Platform.wechat]
    for i in range(n):
        post = posts[i % len(posts)]
        platform = platforms[i % len(platforms)]
        text = f"{PLACES[i % len(PLACES)]}{i % 97}号楼：{post['text']}（第{i}条反映）"
        yield Mention(id=mention_id(platform, f"bench{i}"), platform=platform, kind=Kind.post,
                      url=f"https://example.invalid/{platform}/bench{i}", text=text,
                      author=Author(name=f"网友{i % 500}", id=str(i % 500), followers=(i * 37) % 5000),
                      published_at=now - timedelta(minutes=(i * 7919) % (7 * 24 * 60)), fetched_at=now,
                      likes=i % 50, comments=i % 7, region="山东")


def baseline(store, query) -> tuple[int, int]:
    """Every mention of the week read page by page; the same counts made in Python."""
    from store.base import MAX_PAGE

    sentiments, days, platforms, categories, places, events = (Counter() for _ in range(6))
    offset, total = 0, 0
    while True:
        page = store.search(query.model_copy(update={"limit": MAX_PAGE, "offset": offset}))
        for item in page.items:
            sentiments[item.sentiment] += 1
            days[(item.mention.published_at.date(), item.sentiment)] += 1
            platforms[item.mention.platform] += 1
            categories.update(item.categories)
            places[item.analysis.place.split(" ")[0]] += 1
            if item.sentiment == "negative" and item.analysis.event_id:
                events[item.analysis.event_id] += 1
        total += len(page.items)
        offset += MAX_PAGE
        if offset >= page.total:
            return total, sentiments["negative"]


def best(fn, runs: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory(prefix="yuqing-bench-report-") as work:
        config = Path(work) / "yuqing.toml"
        config.write_text(f'[storage]\ndata_dir = "{Path(work) / "data"}"\n[crawl]\nlog_level = "WARNING"\n')
        env = {**os.environ, "YUQING_CONFIG": str(config)}
        subprocess.run([sys.executable, "-m", "yuqing", "demo"], check=True, env=env, capture_output=True)
        os.environ["YUQING_CONFIG"] = str(config)
        run(n)


def run(n: int) -> None:
    from crawlers.sitecheck.store import SiteStore
    from store.base import MentionQuery
    from yuqing.records import SHANGHAI
    from yuqing.reports.build import build_briefing
    from yuqing.reports.model import Period, ReportKind
    from yuqing.reports.service import generate_report
    from yuqing.settings import load_settings
    from yuqing.wiring import build_ingestor

    settings = load_settings()
    now = datetime.now(SHANGHAI)
    ingestor = build_ingestor(settings)
    start = time.perf_counter()
    ingestor.ingest(extra_mentions(n, now))
    print(f"ingested {n} extra mentions through the pipeline in {time.perf_counter() - start:.1f} s")
    store, sites = ingestor.store, SiteStore(settings.storage.sites_db)
    period = Period.ending(ReportKind.weekly, now.date())
    query = MentionQuery(relevant=True, since=period.since, until=period.until)
    base_s, (total, negative) = best(lambda: baseline(store, query))
    ours_s, briefing = best(lambda: build_briefing(settings=settings, store=store, sites=sites, period=period,
                                                   now=now, extensions=[]))
    assert (briefing.figures.total, briefing.figures.negative) == (total, negative), "figures disagree"
    whole_s, stored = best(lambda: generate_report(settings, kind=ReportKind.weekly, day=now.date(), now=now,
                                                   store=store, sites=sites, extensions=[]))
    sizes = ", ".join(f"{f} {settings.storage.reports_dir.joinpath(f'{stored.id}.{f}').stat().st_size // 1024} KiB"
                      for f in stored.formats)
    print(f"week: {total} relevant mentions ({negative} negative), {len(briefing.events)} events listed")
    print(f"baseline (page through every mention, count in Python): {base_s * 1000:8.0f} ms")
    print(f"ours     (index aggregations, build_briefing):           {ours_s * 1000:8.0f} ms")
    print(f"ratio baseline/ours: {base_s / ours_s:.1f}x")
    print(f"whole weekly report (figures, 2 charts, HTML + DOCX, saved): {whole_s * 1000:.0f} ms ({sizes})")
    store.close()
    sites.close()


if __name__ == "__main__":
    main()
