"""Every spider on every failure shape of its platform (our fixtures in each real format):
login wall, captcha page, HTTP 418/429, truncated page, empty result. A refusal is counted
under its own name, yields nothing, leaves the key unfinished (so its mark does not move
and its range becomes a gap) and makes the source's health say why."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.health import SourceState
from crawlers.run import SPIDERS
from tests.crawlers.conftest import FEEDS, source_updates
from tests.crawlers.spiderkit import crawl, make_spider, stat

LOGIN, CAPTCHA, LIMITED, TRUNCATED = "登录墙", "验证码", "被限流", "截断"
CASES = [
    ("wechat", LOGIN, "login_wall"), ("wechat", CAPTCHA, "captcha"), ("wechat", LIMITED, "http_429"),
    ("wechat", TRUNCATED, "malformed"),
    ("toutiao", LOGIN, "login_wall"), ("toutiao", CAPTCHA, "captcha"), ("toutiao", LIMITED, "http_429"),
    ("toutiao", TRUNCATED, "malformed"),
    ("douyin", LOGIN, "login_wall"), ("douyin", CAPTCHA, "verify_check"), ("douyin", LIMITED, "http_429"),
    ("douyin", TRUNCATED, "malformed"), ("douyin", "签名失效", "signature_rejected"), ("douyin", "空白", "empty_200"),
    ("baidu_news", LOGIN, "login_wall"), ("baidu_news", CAPTCHA, "captcha"), ("baidu_news", LIMITED, "http_429"),
    ("baidu_news", TRUNCATED, "malformed"),
    ("news_feeds", f"{FEEDS}/login.xml", "login_wall"), ("news_feeds", f"{FEEDS}/captcha.xml", "captcha"),
    ("news_feeds", f"{FEEDS}/limited.xml", "http_429"), ("news_feeds", f"{FEEDS}/truncated.xml", "malformed"),
    ("people_board", LOGIN, "login_wall"), ("people_board", CAPTCHA, "captcha"),
    ("people_board", LIMITED, "http_429"), ("people_board", TRUNCATED, "malformed"),
    ("people_board", "签名", "signature_rejected"),
    ("board", LOGIN, "login_wall"), ("board", CAPTCHA, "captcha"), ("board", LIMITED, "http_418"),
]


@pytest.mark.parametrize(("source", "key", "problem"), CASES, ids=[f"{s}-{p}" for s, _, p in CASES])
def test_refusal_is_counted_not_parsed(tmp_path: Path, source: str, key: str, problem: str,
                                       caplog: pytest.LogCaptureFixture) -> None:
    spider = make_spider(SPIDERS[source], tmp_path, **source_updates(source, key))
    items, _ = crawl(spider)
    assert stat(spider, problem) == 1
    assert problem in caplog.text
    key_name = key
    assert key_name not in spider.finished_keys and spider.runs[key_name].failed == problem
    if problem != "malformed" or source != "news_feeds":  # a cut feed still yields its first entries
        assert items == []
    spider.closed("finished")
    health = make_spider(SPIDERS[source], tmp_path, **source_updates(source, key)).health.get(source)
    assert health.reason == problem
    expected = SourceState.degraded if problem == "malformed" else SourceState.blocked
    assert health.state == expected and (health.last_success_at is None) == (items == [])


EMPTY = [("wechat", "空结果"), ("toutiao", "空结果"), ("douyin", "空结果"), ("baidu_news", "空结果"),
         ("news_feeds", f"{FEEDS}/empty.xml"), ("people_board", "空结果"), ("board", "空结果")]


@pytest.mark.parametrize(("source", "key"), EMPTY, ids=[s for s, _ in EMPTY])
def test_empty_result_ends_the_key_quietly(tmp_path: Path, source: str, key: str) -> None:
    spider = make_spider(SPIDERS[source], tmp_path, **source_updates(source, key))
    items, made = crawl(spider)
    assert items == [] and len(made) == 1
    assert key in spider.finished_keys and spider.runs[key].complete
    problems = {k: v for k, v in spider.crawler.stats.get_stats().items()
                if k.startswith(f"yuqing/{source}/") and k.split("/")[-1] not in {"pages", "pages_ok", "empty"}}
    assert problems == {}
    spider.closed("finished")
    assert make_spider(SPIDERS[source], tmp_path).health.get(source).state == SourceState.ok


def test_truncated_board_message_page_is_counted(tmp_path: Path) -> None:
    spider = make_spider(SPIDERS["board"], tmp_path, **source_updates("board", "截断"))
    items, _ = crawl(spider)
    assert items == [] and stat(spider, "malformed") == 1
