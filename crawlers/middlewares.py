"""Downloader middlewares: the daily request budget, and retries with exponential backoff
and jitter that honour `Retry-After`.

Refusals that retrying cannot cure (login walls, captcha pages, HTTP 403/418) are passed
straight to the spider, which counts them as problems; the source's health comes from
those counts. HTTP 429 and 5xx answers and network errors are retried a few times first.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from twisted.internet.error import ConnectError, ConnectionLost, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.web.client import ResponseFailed

from yuqing.records import SHANGHAI

RETRY_STATUSES = {408, 429, 500, 502, 503, 504, 522, 524}
RETRY_EXCEPTIONS = (ConnectError, ConnectionLost, DNSLookupError, TCPTimedOutError, TimeoutError,
                    ResponseFailed)
Sleep = Callable[[float], Awaitable[None]]


def retry_after_seconds(value: str | bytes | None, now: datetime) -> float | None:
    """`Retry-After` as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


def backoff_delay(attempt: int, *, base: float, cap: float, retry_after: float | None = None,
                  rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number `attempt` (1, 2, ...).

    Exponential (base, 2·base, 4·base ...) with "equal jitter" (half fixed, half random) so
    that many crawls refused at once do not come back at once; a server's Retry-After wins
    when it asks for longer. Never more than `cap`.
    """
    exponential = min(cap, base * 2 ** (attempt - 1))
    jittered = exponential / 2 + (rng or random).uniform(0, exponential / 2)
    if retry_after is not None:
        jittered = max(jittered, retry_after)
    return min(cap, jittered)


async def _asyncio_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


def _source(crawler: Any) -> tuple[str, Any]:
    spider = crawler.spider
    return spider.source, spider.source_settings


class BackoffRetryMiddleware:
    """Replaces Scrapy's RetryMiddleware (RETRY_ENABLED is off)."""

    def __init__(self, crawler: Any, sleep: Sleep = _asyncio_sleep, rng: random.Random | None = None) -> None:
        self.crawler = crawler
        self.sleep = sleep
        self.rng = rng or random.Random()

    @classmethod
    def from_crawler(cls, crawler: Any) -> BackoffRetryMiddleware:
        return cls(crawler)

    async def _retry(self, request: Request, reason: str, retry_after: float | None) -> Request | None:
        source, config = _source(self.crawler)
        attempt = request.meta.get("yuqing_retries", 0) + 1
        if attempt > config.retry_times:
            self.crawler.stats.inc_value(f"yuqing/{source}/retries_exhausted")
            return None
        delay = backoff_delay(attempt, base=config.backoff_seconds, cap=config.backoff_max_seconds,
                              retry_after=retry_after, rng=self.rng)
        self.crawler.stats.inc_value(f"yuqing/{source}/retried")
        self.crawler.spider.logger.info("%s: retry %d of %s in %.1f s (%s)", source, attempt,
                                        request.url, delay, reason)
        await self.sleep(delay)
        retry = request.replace(dont_filter=True)
        retry.meta["yuqing_retries"] = attempt
        return retry

    async def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        if response.status not in RETRY_STATUSES or request.meta.get("dont_retry"):
            return response
        after = retry_after_seconds(response.headers.get("Retry-After"), datetime.now(SHANGHAI))
        retry = await self._retry(request, f"HTTP {response.status}", after)
        return retry or response

    async def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> Request | None:
        if not isinstance(exception, RETRY_EXCEPTIONS) or request.meta.get("dont_retry"):
            return None
        return await self._retry(request, exception.__class__.__name__, None)


class RequestBudgetMiddleware:
    """At most `daily_budget` requests per source and Asia/Shanghai day, kept across runs."""

    def __init__(self, crawler: Any, now: Callable[[], datetime] | None = None) -> None:
        self.crawler = crawler
        self.now = now or (lambda: datetime.now(SHANGHAI))
        self.warned = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> RequestBudgetMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        source, config = _source(self.crawler)
        state = self.crawler.spider.state
        if state.take_request(source, config.daily_budget, self.now()):
            return
        self.crawler.stats.inc_value(f"yuqing/{source}/budget_exhausted")
        if not self.warned:
            self.crawler.spider.logger.warning("%s: daily request budget of %d spent; skipping the rest "
                                               "until tomorrow", source, config.daily_budget)
            self.warned = True
        request.meta["yuqing_refused"] = "budget_exhausted"
        raise IgnoreRequest("daily request budget spent")
