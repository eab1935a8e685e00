"""Run the own-site crawl once in this process (Twisted's reactor runs once per process, so
`yuqing sites crawl` is a command of its own and the scheduler starts it as a child)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings as ScrapySettings

from crawlers import NO_REMOTE_ACCESS
from crawlers.sitecheck.records import CrawlReport
from crawlers.spiders.sitecrawl import SiteCrawlSpider
from yuqing import __version__
from yuqing.records import SHANGHAI
from yuqing.settings import Settings


def crawl_settings(settings: Settings, *, start_urls: Sequence[str] | None = None,
                   max_pages: int | None = None, max_depth: int | None = None) -> ScrapySettings:
    crawl = settings.sites.crawl
    values: dict[str, Any] = {
        "YUQING_SETTINGS": settings,
        "YUQING_START_URLS": list(start_urls or crawl.start_urls),
        "YUQING_MAX_PAGES": max_pages,
        "YUQING_MAX_DEPTH": max_depth,
        "YUQING_ALLOW_ADDRESSES": list(crawl.allow_addresses),
        "TWISTED_DNS_RESOLVER": "crawlers.sitecheck.resolver.GuardedHostnameResolver",
        "BOT_NAME": "yuqing",
        "USER_AGENT": settings.crawl.user_agent.format(version=__version__),
        "ROBOTSTXT_OBEY": False,  # our own site
        "CONCURRENT_REQUESTS": crawl.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency,
        "DOWNLOAD_DELAY": crawl.download_delay,
        "DOWNLOAD_TIMEOUT": crawl.timeout_seconds,
        "DOWNLOAD_MAXSIZE": 32 * 1024 * 1024,
        "CONCURRENT_ITEMS": 4,  # callbacks yield a few requests, no items: 100 workers per page cost more than the page
        "RETRY_ENABLED": False,
        "REDIRECT_ENABLED": False,  # the spider follows same-host redirects itself
        "COOKIES_ENABLED": False,
        **NO_REMOTE_ACCESS,
        "LOG_LEVEL": settings.crawl.log_level,
        "LOG_INSTALL_ROOT_HANDLER": True,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }
    return ScrapySettings(values)


def run_site_crawl(settings: Settings, *, start_urls: Sequence[str] | None = None,
                   max_pages: int | None = None, max_depth: int | None = None) -> CrawlReport:
    """Crawl the site to the end (or its limits) and return what was found."""
    process = CrawlerProcess(crawl_settings(settings, start_urls=start_urls, max_pages=max_pages,
                                            max_depth=max_depth))
    crawler = process.create_crawler(SiteCrawlSpider)
    process.crawl(crawler)
    process.start()
    return crawler.spider.report(finished_at=datetime.now(SHANGHAI))
