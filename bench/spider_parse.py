"""Items parsed per second by each spider on its saved fixtures, one core, against a
baseline measured in the same run: only decoding the same response bodies (json.loads for
JSON, an lxml/parsel document for HTML, feedparser for feeds), which any parser must pay.
Then how many of the real samples in ../shared/real-samples each parser reads correctly.

    python bench/spider_parse.py [ROUNDS]
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import pin_one_core

CASES = {  # source: the settings that walk its normal fixture pages
    "weibo": {"keywords": ["泰安 燃气"]},
    "wechat": {"keywords": ["泰安 燃气"], "accounts": ["泰安发布"]},
    "toutiao": {"keywords": ["泰安 燃气"]},
    "douyin": {"keywords": ["泰安燃气"], "signer": "tests.crawlers.douyin_signer:sign"},
    "baidu_news": {"keywords": ["泰安 燃气"]},
    "news_feeds": {"feeds": ["https://news.example.cn/taian/rss.xml", "https://news.example.cn/sd/atom.xml"]},
    "people_board": {"keywords": ["泰安 燃气"]},
    "board": {"max_pages": 3},
}


def decode_only(bodies: list[tuple[bytes, str]]) -> None:
    import feedparser
    from parsel import Selector

    for body, content_type in bodies:
        if "json" in content_type:
            with contextlib.suppress(ValueError):
                json.loads(body)
        elif "xml" in content_type:
            feedparser.parse(body)
        else:
            Selector(text=body.decode("utf-8", "replace"))


def measure(source: str, rounds: int) -> tuple[int, float, float]:
    from crawlers.run import SPIDERS
    from tests.crawlers.conftest import board_specs
    from tests.crawlers.spiderkit import crawl, make_spider, replay

    updates = dict(CASES[source])
    if source == "board":
        updates["boards"] = board_specs("泰安12345")
    items_total, ours, bodies = 0, 0.0, []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            spider = make_spider(SPIDERS[source], Path(tmp), **updates)
            start = time.perf_counter()
            items, made = crawl(spider)
            ours += time.perf_counter() - start
            items_total += len(items)
            if not bodies:
                for request in made:
                    response = replay(source).process_request(request)
                    bodies.append((response.body, response.headers.get("Content-Type", b"").decode()))
            spider.state.close()
    start = time.perf_counter()
    for _ in range(rounds):
        decode_only(bodies)
    baseline = time.perf_counter() - start
    return items_total, ours, baseline


def main(rounds: int = 20) -> None:
    pin_one_core()
    print(f"spider parsing on saved fixtures, {rounds} rounds each, one core")
    print(f"{'source':<13} {'items':>6} {'baseline items/s':>17} {'ours items/s':>13} {'ratio':>7}")
    for source in CASES:
        items, ours, baseline = measure(source, rounds)
        print(f"{source:<13} {items // rounds:>6} {items / baseline:>17.0f} {items / ours:>13.0f} "
              f"{baseline / ours:>6.2f}x")
    print("(baseline: decoding the same bodies only; ours: request building, replay, refusal checks, "
          "parsing, marks, evidence)")
    from tests.conftest import SHARED
    from tests.crawlers.real_samples import NOT_PARSED, check_all

    samples = SHARED / "real-samples"
    if not samples.is_dir():
        print(f"real samples: {samples} not present")
        return
    print("real samples read correctly (ids, times, counts, non-empty text):")
    for platform, results in check_all(samples).items():
        good = sum(1 for ok in results.values() if ok is True)
        print(f"  {platform:<8} {good}/{len(results)}")
    for name, why in NOT_PARSED.items():
        print(f"  not parsed: {name} ({why})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
