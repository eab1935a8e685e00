"""Retries with exponential backoff and jitter honouring Retry-After, and the daily request
budget kept across runs (time and sleeping are passed in: nothing here waits)."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from twisted.internet.error import TCPTimedOutError
from twisted.python.failure import Failure

from crawlers.middlewares import BackoffRetryMiddleware, RequestBudgetMiddleware, backoff_delay, retry_after_seconds
from crawlers.spiders.weibo import WeiboSearchSpider
from tests.crawlers.spiderkit import make_spider, stat
from yuqing.records import SHANGHAI

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)


def test_backoff_doubles_with_jitter_and_respects_the_cap() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(n, base=5, cap=300, rng=rng) for n in range(1, 9)]
    for n, delay in enumerate(delays, start=1):
        full = min(300, 5 * 2 ** (n - 1))
        assert full / 2 <= delay <= full
    assert len({round(d, 3) for d in delays[:4]}) == 4  # jittered, not a fixed ladder
    assert backoff_delay(1, base=5, cap=300, retry_after=120, rng=rng) == 120  # the server asked for longer
    assert backoff_delay(1, base=5, cap=60, retry_after=3600, rng=rng) == 60  # but never beyond the cap


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after_seconds(b"30", NOW) == 30
    assert retry_after_seconds(format_datetime(NOW + timedelta(seconds=90)), NOW) == 90
    assert retry_after_seconds("soon", NOW) is None and retry_after_seconds(None, NOW) is None


def run(coro):
    return asyncio.run(coro)


def test_429_is_retried_after_the_asked_wait_then_given_up(tmp_path: Path) -> None:
    spider = make_spider(WeiboSearchSpider, tmp_path, retry_times=2, backoff_seconds=1, backoff_max_seconds=600)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    middleware = BackoffRetryMiddleware(spider.crawler, sleep=sleep, rng=random.Random(1))
    request = scrapy.Request("https://m.weibo.cn/api/container/getIndex?page=1")
    limited = Response(request.url, status=429, headers={"Retry-After": "45"}, request=request)
    retry = run(middleware.process_response(request, limited))
    assert isinstance(retry, scrapy.Request) and retry.meta["yuqing_retries"] == 1 and retry.dont_filter
    second = run(middleware.process_response(retry, limited))
    assert second.meta["yuqing_retries"] == 2
    assert run(middleware.process_response(second, limited)) is limited  # the spider counts it
    assert waits == [45, 45] and stat(spider, "retried") == 2 and stat(spider, "retries_exhausted") == 1
    ok = Response(request.url, status=200, request=request)
    assert run(middleware.process_response(request, ok)) is ok
    refused = Response(request.url, status=418, request=request)
    assert run(middleware.process_response(request, refused)) is refused  # a block is not cured by retrying


def test_network_errors_are_retried_with_growing_waits(tmp_path: Path) -> None:
    spider = make_spider(WeiboSearchSpider, tmp_path, retry_times=3, backoff_seconds=2)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    middleware = BackoffRetryMiddleware(spider.crawler, sleep=sleep)
    request = scrapy.Request("https://m.weibo.cn/x")
    for _ in range(3):
        request = run(middleware.process_exception(request, TCPTimedOutError()))
    assert run(middleware.process_exception(request, TCPTimedOutError())) is None
    assert 1 <= waits[0] <= 2 and 2 <= waits[1] <= 4 and 4 <= waits[2] <= 8
    assert run(middleware.process_exception(scrapy.Request("https://x"), ValueError())) is None


def test_daily_budget_stops_requests_and_marks_the_key(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    spider = make_spider(WeiboSearchSpider, tmp_path, daily_budget=2)
    middleware = RequestBudgetMiddleware(spider.crawler, now=lambda: NOW)
    request = spider._search("泰安 燃气", 1)
    middleware.process_request(request)
    middleware.process_request(request)
    with pytest.raises(IgnoreRequest):
        middleware.process_request(request)
    assert stat(spider, "budget_exhausted") == 1 and "budget of 2 spent" in caplog.text
    list(spider.request_failed(_failure(request)) or [])
    assert spider.runs["泰安 燃气"].failed == "budget_exhausted" and stat(spider, "network_error") == 0
    tomorrow = RequestBudgetMiddleware(spider.crawler, now=lambda: NOW + timedelta(days=1))
    assert tomorrow.process_request(request) is None  # a new Asia/Shanghai day, a new budget
    assert spider.state.requests_used("weibo", NOW) == 2


def _failure(request: scrapy.Request) -> Failure:
    try:
        raise IgnoreRequest("daily request budget spent")
    except IgnoreRequest:
        failure = Failure()
    failure.request = request
    return failure
