"""The Weibo parser over real m.weibo.cn responses in ../shared/real-samples/weibo/ (run when
that folder exists, as CI has it; our own fixtures cover every shape without it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import scrapy
from scrapy.http import TextResponse

from crawlers.items import MentionItem
from crawlers.spiders.weibo import EXTEND_URL, iter_mblogs, search_url
from tests.conftest import SHARED
from tests.crawlers.test_weibo_spider import make_spider

SAMPLES = SHARED / "real-samples" / "weibo"
pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"{SAMPLES} not present")


def response(url: str, path: Path) -> TextResponse:
    return TextResponse(url, body=path.read_bytes(), encoding="utf-8",
                        request=scrapy.Request(url))


def get_index_samples() -> list[Path]:
    return sorted(SAMPLES.glob("m-weibo-getIndex-*.json")) if SAMPLES.is_dir() else []


@pytest.mark.parametrize("path", get_index_samples(), ids=lambda p: p.name)
def test_every_getindex_sample_parses(tmp_path: Path, path: Path) -> None:
    spider = make_spider(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    expected = list(iter_mblogs(data))
    out = list(spider.parse_search(response(search_url("泰安 燃气", 1), path), key="泰安 燃气", page=1))
    mentions = [o.mention for o in out if isinstance(o, MentionItem)]
    mentions += [o.cb_kwargs["mention"] for o in out
                 if isinstance(o, scrapy.Request) and o.url.startswith(EXTEND_URL)]
    problems = {k: v for k, v in spider.crawler.stats.get_stats().items() if "malformed" in k}
    assert problems == {}
    # Every post is read (reposted originals come as extra mentions).
    top_level = {str(m["id"]) for m in expected}
    assert top_level <= {m.id.removeprefix("weibo:") for m in mentions}
    for m in mentions:
        assert m.id.startswith("weibo:") and m.author.id
        assert m.published_at.year == 2021 and m.published_at.tzinfo is not None
        assert m.reposts >= 0 and m.comments >= 0 and m.likes >= 0
        assert m.text.strip() and "<a " not in m.text
    if not expected:  # profile and error answers hold no posts and ask for no more pages
        assert out == [] or all(not isinstance(o, MentionItem) for o in out)


def test_timeline_samples_hold_posts() -> None:
    counts = {p.name: len(list(iter_mblogs(json.loads(p.read_text(encoding="utf-8")))))
              for p in get_index_samples()}
    assert sum(counts.values()) >= 10, counts


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("m-weibo-statuses-extend-*.json")) if SAMPLES.is_dir() else [],
                         ids=lambda p: p.name)
def test_every_extend_sample_completes_the_text(tmp_path: Path, path: Path, analyzer) -> None:
    from tests.builders import mention

    spider = make_spider(tmp_path)
    truncated = mention(1, "truncated...全文")
    (item,) = list(spider.parse_extend(response(f"{EXTEND_URL}?id=1", path), mention=truncated))
    assert len(item.mention.text) > 20 and "<" not in item.mention.text
    assert spider.crawler.stats.get_value("yuqing/weibo/extend_failed") is None
