"""The Weibo spider's callbacks on our saved responses (tests/fixtures/weibo), one shape each.

Responses come from the same replay middleware the demo uses, so URL building, response
lookup and parsing are all exercised; only the network is absent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import scrapy
from pydantic import SecretStr
from scrapy.utils.test import get_crawler

from crawlers.items import MentionItem
from crawlers.replay import ReplayDownloaderMiddleware
from crawlers.run import scrapy_settings
from crawlers.spiders.weibo import EXTEND_URL, WeiboSearchSpider, search_url
from tests.conftest import FIXTURES, make_settings
from yuqing.records import SHANGHAI, Kind, Platform

REPLAY = ReplayDownloaderMiddleware(FIXTURES / "weibo")


def make_spider(tmp_path: Path, keywords: list[str] | None = None, max_pages: int = 5) -> WeiboSearchSpider:
    settings = make_settings(tmp_path / "data")
    weibo = settings.sources.weibo.model_copy(update={"keywords": keywords or ["泰安 燃气"],
                                                      "max_pages": max_pages})
    settings = settings.model_copy(update={"sources": settings.sources.model_copy(update={"weibo": weibo})})
    values = {**dict(scrapy_settings(settings, "weibo")), "TWISTED_REACTOR_ENABLED": False}
    crawler = get_crawler(WeiboSearchSpider, values)
    spider = WeiboSearchSpider.from_crawler(crawler)
    crawler.spider = spider
    return spider


def fetch(request: scrapy.Request) -> Any:
    return REPLAY.process_request(request)


def run_callback(request: scrapy.Request) -> list[Any]:
    return list(request.callback(fetch(request), **request.cb_kwargs))


def stat(spider: WeiboSearchSpider, name: str) -> int:
    return spider.crawler.stats.get_value(f"yuqing/weibo/{name}", 0)


def page_request(spider: WeiboSearchSpider, keyword: str, page: int = 1) -> scrapy.Request:
    return spider._search(keyword, page)


def test_normal_page_yields_posts_long_text_request_and_next_page(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    out = run_callback(page_request(spider, "泰安 燃气"))
    items = [o for o in out if isinstance(o, MentionItem)]
    requests = [o for o in out if isinstance(o, scrapy.Request)]
    # 6 cards: one deleted, one long (completed by a request), one whose repost is deleted.
    assert len(items) == 4
    assert [r.url.split("?")[0] for r in requests] == [EXTEND_URL, "https://m.weibo.cn/api/container/getIndex"]
    assert requests[-1].cb_kwargs == {"key": "泰安 燃气", "page": 2}
    assert stat(spider, "deleted") == 1
    first = items[0].mention
    assert first.platform == Platform.weibo and first.kind == Kind.post
    assert first.id.startswith("weibo:5230") and first.url.startswith("https://m.weibo.cn/detail/")
    assert first.author.name == "测试用户" and first.author.followers == 1200
    assert first.region == "山东" and first.query == "泰安 燃气"
    assert first.published_at.tzinfo is not None
    assert first.published_at.astimezone(SHANGHAI).hour in range(24)
    assert "<" not in first.text and first.text


def test_emoticons_and_topics_survive_as_text(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    long_request = next(o for o in run_callback(page_request(spider, "泰安 燃气"))
                        if isinstance(o, scrapy.Request) and o.url.startswith(EXTEND_URL))
    truncated = long_request.cb_kwargs["mention"]
    assert truncated.text.endswith("...全文")
    (item,) = run_callback(long_request)
    assert item.mention.text.startswith("泰山港华燃气报装三个月还没通气")
    assert item.mention.text.endswith("希望有关部门督促解决。") and "全文" not in item.mention.text
    assert (item.mention.reposts, item.mention.comments, item.mention.likes) == (12, 3, 40)


def test_failed_long_text_keeps_the_truncated_post(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    long_request = next(o for o in run_callback(page_request(spider, "泰安 燃气"))
                        if isinstance(o, scrapy.Request) and o.url.startswith(EXTEND_URL))
    missing = long_request.replace(url=f"{EXTEND_URL}?id=1")  # no saved answer: HTTP 404
    (item,) = list(missing.callback(fetch(missing), **missing.cb_kwargs))
    assert item.mention.text.endswith("...全文")
    assert stat(spider, "extend_failed") == 1


def test_last_page_and_relative_times(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    out = run_callback(page_request(spider, "泰安 燃气", 2))
    items = [o for o in out if isinstance(o, MentionItem)]
    assert len(items) == 4
    relative = items[0].mention.published_at  # "昨天 18:30"
    assert (relative.hour, relative.minute) == (18, 30)
    # Page 2 is not the end by itself: the spider asks for page 3, which is empty.
    (next_page,) = [o for o in out if isinstance(o, scrapy.Request)]
    assert run_callback(next_page) == []
    assert stat(spider, "empty") == 1 and "泰安 燃气" in spider.finished_keys


def test_max_pages_ends_the_keyword(tmp_path: Path) -> None:
    spider = make_spider(tmp_path, max_pages=1)
    out = run_callback(page_request(spider, "泰安 燃气"))
    assert not [o for o in out if isinstance(o, scrapy.Request) and "getIndex" in o.url]
    assert "泰安 燃气" in spider.finished_keys


def test_high_water_mark_stops_at_known_posts_and_moves_on_finish(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    spider.state.set_mark("weibo", "泰安 燃气", str(5_230_000_000_000_000 + 1000 - 2))
    out = run_callback(page_request(spider, "泰安 燃气"))
    items = [o for o in out if isinstance(o, MentionItem)]
    # Only the two posts newer than the mark; no next page, since the mark was reached.
    assert len(items) + len([o for o in out if isinstance(o, scrapy.Request) and "extend" in o.url]) == 2
    assert not [o for o in out if isinstance(o, scrapy.Request) and "getIndex" in o.url]
    spider.closed("finished")
    reopened = make_spider(tmp_path)
    assert reopened.state.mark("weibo", "泰安 燃气") == str(5_230_000_000_000_000 + 1000)


def test_mark_does_not_move_when_the_crawl_did_not_finish(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    run_callback(page_request(spider, "泰安 燃气"))
    spider.closed("shutdown")
    assert make_spider(tmp_path).state.mark("weibo", "泰安 燃气") is None


@pytest.mark.parametrize(
    ("keyword", "problem"),
    [("登录墙", "login_wall"), ("验证码", "captcha"), ("被限流", "http_418"),
     ("截断", "malformed"), ("没有保存的页面", "http_404")],
)
def test_refusals_and_broken_pages_are_counted_not_parsed(tmp_path: Path, keyword: str, problem: str,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    spider = make_spider(tmp_path, keywords=[keyword])
    assert run_callback(page_request(spider, keyword)) == []
    assert stat(spider, problem) == 1
    assert problem in caplog.text
    assert keyword not in spider.finished_keys  # the mark must not move past unread posts


def test_empty_result_ends_quietly(tmp_path: Path) -> None:
    spider = make_spider(tmp_path, keywords=["空结果"])
    assert run_callback(page_request(spider, "空结果")) == []
    assert stat(spider, "empty") == 1 and "空结果" in spider.finished_keys


def test_cookie_is_sent_but_never_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    spider = make_spider(tmp_path, keywords=["登录墙"])
    spider.source_settings = spider.source_settings.model_copy(
        update={"cookie": SecretStr("SUB=very-secret-cookie; SUBP=abc")})
    request = page_request(spider, "登录墙")
    assert request.cookies == {"SUB": "very-secret-cookie", "SUBP": "abc"}
    run_callback(request)
    assert "very-secret-cookie" not in caplog.text


def test_search_url_is_the_realtime_container() -> None:
    url = search_url("泰安 燃气", 2)
    assert url.startswith("https://m.weibo.cn/api/container/getIndex?containerid=100103type%3D61%26q%3D")
    assert url.endswith("&page_type=searchall&page=2")
