"""Gap bookkeeping per source and key, source health verdicts, the blocked-too-long alert
condition, and a spider coming back after a blocked period back-filling what it missed."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from crawlers.gaps import GapBook
from crawlers.health import HealthBook, SourceHealthMonitor, SourceState, assess, blocked_too_long
from crawlers.spiders.weibo import WeiboSearchSpider
from crawlers.state import CrawlState
from tests.crawlers.spiderkit import crawl, make_spider
from tests.crawlers.test_refusals import LOGIN
from yuqing.records import SHANGHAI
from yuqing.settings import Settings

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)
HOUR = timedelta(hours=1)


def book(tmp_path: Path) -> GapBook:
    return GapBook(CrawlState(tmp_path / "state.sqlite").conn)


def test_failure_after_coverage_opens_a_gap_that_grows_until_a_complete_crawl(tmp_path: Path) -> None:
    gaps = book(tmp_path)
    gaps.failed("weibo", "k", reason="login_wall", now=NOW)
    assert gaps.gaps() == []  # never covered: nothing promised yet
    gaps.crawled("weibo", "k", complete=True, oldest=None, started_at=NOW - 10 * HOUR, now=NOW - 10 * HOUR)
    gaps.failed("weibo", "k", reason="login_wall", now=NOW - 5 * HOUR)
    gaps.failed("weibo", "k", reason="http_418", now=NOW)
    (gap,) = gaps.gaps()
    assert (gap.start, gap.end, gap.reason, gap.hours) == (NOW - 10 * HOUR, NOW, "http_418", 10)
    # Back after the block, reading back to 3 h ago only: 10 h ago .. 3 h ago is still missing.
    gaps.crawled("weibo", "k", complete=False, oldest=NOW - 3 * HOUR, started_at=NOW + HOUR, now=NOW + HOUR)
    (gap,) = gaps.gaps()
    assert (gap.start, gap.end) == (NOW - 10 * HOUR, NOW - 3 * HOUR)
    gaps.crawled("weibo", "k", complete=True, oldest=NOW - 11 * HOUR, started_at=NOW + 2 * HOUR,
                 now=NOW + 2 * HOUR)
    assert gaps.gaps() == [] and gaps.gaps(include_closed=True)[0].closed_at == NOW + 2 * HOUR
    assert gaps.covered_until("weibo", "k") == NOW + 2 * HOUR


def test_page_budget_running_out_leaves_a_gap_per_key(tmp_path: Path) -> None:
    gaps = book(tmp_path)
    for key in ("a", "b"):
        gaps.crawled("toutiao", key, complete=True, oldest=None, started_at=NOW - 24 * HOUR, now=NOW - 24 * HOUR)
    gaps.crawled("toutiao", "a", complete=False, oldest=NOW - 6 * HOUR, started_at=NOW, now=NOW)
    gaps.crawled("toutiao", "b", complete=True, oldest=NOW - 30 * HOUR, started_at=NOW, now=NOW)
    (gap,) = gaps.gaps("toutiao")
    assert (gap.key, gap.start, gap.end, gap.reason) == ("a", NOW - 24 * HOUR, NOW - 6 * HOUR, "page_budget")


def test_assess_from_stats() -> None:
    blocked = assess("douyin", {"yuqing/douyin/needs_signer": 1, "yuqing/douyin/pages": 0})
    assert blocked[:2] == (SourceState.blocked, "needs_signer")
    degraded = assess("weibo", {"yuqing/weibo/pages_ok": 3, "yuqing/weibo/items": 20, "yuqing/weibo/http_418": 1,
                                "yuqing/weibo/malformed": 2})
    assert degraded[:2] == (SourceState.degraded, "malformed") and degraded[3] == 20
    ok = assess("weibo", {"yuqing/weibo/pages_ok": 3, "yuqing/weibo/items": 20, "yuqing/weibo/deleted": 1,
                          "yuqing/weibo/empty": 1, "yuqing/othersource/captcha": 5})
    assert ok[:3] == (SourceState.ok, "", {})


def test_blocked_episode_keeps_its_start_and_alerts_once(tmp_path: Path) -> None:
    health = HealthBook(CrawlState(tmp_path / "state.sqlite").conn)
    health.record("weibo", SourceState.ok, "", items=5, problems={}, now=NOW - 10 * HOUR)
    health.record("weibo", SourceState.blocked, "login_wall", items=0, problems={"login_wall": 1}, now=NOW - 4 * HOUR)
    current = health.record("weibo", SourceState.blocked, "login_wall", items=0, problems={}, now=NOW)
    assert current.blocked_since == NOW - 4 * HOUR and current.last_success_at == NOW - 10 * HOUR
    assert current.since_success(NOW) == 10 * HOUR
    assert blocked_too_long(current, 5 * 60, NOW) is None
    alert = blocked_too_long(current, 3 * 60, NOW)
    assert alert.minutes == 240 and "已被封锁 240 分钟" in alert.message_zh and "登录墙" in alert.message_zh

    settings = Settings().model_copy(deep=True)
    monitor = SourceHealthMonitor(settings, health)
    heard = []
    monitor.listen(heard.append)
    assert [a.source for a in monitor.check(now=NOW)] == ["weibo"]  # default limit: 180 minutes
    assert monitor.check(now=NOW + HOUR) == [] and len(heard) == 1  # once per episode
    health.record("weibo", SourceState.ok, "", items=3, problems={}, now=NOW + 2 * HOUR)
    health.record("weibo", SourceState.blocked, "captcha", items=0, problems={}, now=NOW + 3 * HOUR)
    assert monitor.check(now=NOW + 5 * HOUR) == []  # a new episode, not long enough yet
    assert [a.reason for a in monitor.check(now=NOW + 7 * HOUR)] == ["captcha"] and len(heard) == 2


def test_spider_back_fills_after_a_blocked_period(tmp_path: Path) -> None:
    keyword = "泰安 燃气"
    first = make_spider(WeiboSearchSpider, tmp_path, keywords=[keyword], max_pages=1)
    first.gaps.crawled("weibo", keyword, complete=True, oldest=None, started_at=NOW - 48 * HOUR, now=NOW - 48 * HOUR)
    first.fail(keyword, "login_wall")  # this run was refused
    first.closed("finished")
    blocked = make_spider(WeiboSearchSpider, tmp_path, keywords=[keyword], max_pages=1)
    (gap,) = blocked.gaps.gaps("weibo")
    assert gap.key == keyword and gap.reason == "login_wall"
    assert blocked.page_budget(keyword) == 1 + blocked.source_settings.backfill_pages  # reads deeper
    items, made = crawl(blocked)
    assert len(made) >= 3 and items  # past max_pages=1, down to the end of the results
    blocked.closed("finished")
    assert make_spider(WeiboSearchSpider, tmp_path).gaps.gaps("weibo") == []


def test_refused_key_becomes_a_gap_after_coverage(tmp_path: Path) -> None:
    spider = make_spider(WeiboSearchSpider, tmp_path, keywords=[LOGIN])
    spider.gaps.crawled("weibo", LOGIN, complete=True, oldest=None, started_at=NOW, now=NOW)
    crawl(spider, "weibo")
    spider.closed("finished")
    (gap,) = make_spider(WeiboSearchSpider, tmp_path).gaps.gaps()
    assert gap.key == LOGIN and gap.reason == "login_wall" and gap.start == NOW
