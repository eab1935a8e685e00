"""Drive real spiders over saved responses: build a spider from test settings, fetch through
the replay middleware, and follow every request a callback yields (as Scrapy would)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import scrapy
from scrapy.utils.test import get_crawler

from crawlers.items import MentionItem
from crawlers.replay import ReplayDownloaderMiddleware
from crawlers.run import scrapy_settings
from crawlers.spiders.base import SourceSpider
from tests.conftest import FIXTURES, make_settings
from yuqing.settings import Settings


def settings_for(tmp_path: Path, source: str, **updates: Any) -> Settings:
    settings = make_settings(tmp_path / "data")
    section = getattr(settings.sources, source).model_copy(update=updates)
    return settings.model_copy(update={"sources": settings.sources.model_copy(update={source: section})})


def make_spider(cls: type[SourceSpider], tmp_path: Path, settings: Settings | None = None,
                **updates: Any) -> Any:
    settings = settings or settings_for(tmp_path, cls.source, **updates)
    values = {**dict(scrapy_settings(settings, cls.source)), "TWISTED_REACTOR_ENABLED": False}
    crawler = get_crawler(cls, values)
    spider = cls.from_crawler(crawler)
    crawler.spider = spider
    return spider


@cache
def replay(source: str) -> ReplayDownloaderMiddleware:
    return ReplayDownloaderMiddleware(FIXTURES / source)


def start_requests(spider: SourceSpider) -> list[scrapy.Request]:
    async def collect() -> list[scrapy.Request]:
        return [r async for r in spider.start()]

    return asyncio.run(collect())


def crawl(spider: SourceSpider, source: str | None = None,
          requests: Iterable[scrapy.Request] | None = None) -> tuple[list[MentionItem], list[scrapy.Request]]:
    """Follow requests to the end; (items, every request made)."""
    middleware = replay(source or spider.source)
    queue = list(start_requests(spider) if requests is None else requests)
    items, made = [], []
    while queue:
        request = queue.pop(0)
        made.append(request)
        for out in request.callback(middleware.process_request(request), **request.cb_kwargs) or []:
            if isinstance(out, scrapy.Request):
                queue.append(out)
            elif isinstance(out, MentionItem):
                items.append(out)
    return items, made


def stat(spider: SourceSpider, name: str) -> int:
    return spider.crawler.stats.get_value(f"yuqing/{spider.source}/{name}", 0)


def mentions(items: list[MentionItem]) -> dict[str, Any]:
    return {item.mention.id: item.mention for item in items}
