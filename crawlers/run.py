"""Run one source's crawl in this process and report its stats.

Called by `yuqing crawl SOURCE`; the scheduler starts that command as a child process for
each run, because a Twisted reactor can run only once per process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings as ScrapySettings

from crawlers import NO_REMOTE_ACCESS
from crawlers.spiders.boards import GenericBoardSpider, PeopleBoardSpider
from crawlers.spiders.douyin import DouyinSpider
from crawlers.spiders.news import BaiduNewsSpider, NewsFeedSpider
from crawlers.spiders.toutiao import ToutiaoSpider
from crawlers.spiders.wechat import WechatSpider
from crawlers.spiders.weibo import WeiboSearchSpider
from yuqing import __version__
from yuqing.logs import quiet_chatty_loggers
from yuqing.settings import Settings

SPIDERS = {spider.source: spider for spider in (
    WeiboSearchSpider, WechatSpider, ToutiaoSpider, DouyinSpider, BaiduNewsSpider, NewsFeedSpider,
    PeopleBoardSpider, GenericBoardSpider,
)}
MIDDLEWARES = {
    "crawlers.middlewares.RequestBudgetMiddleware": 40,
    "crawlers.middlewares.BackoffRetryMiddleware": 550,
}


def scrapy_settings(settings: Settings, source: str, replay_dir: Path | None = None,
                    state_path: Path | None = None) -> ScrapySettings:
    source_settings = getattr(settings.sources, source)
    values: dict[str, Any] = {
        "YUQING_SETTINGS": settings,
        "BOT_NAME": "yuqing",
        "USER_AGENT": settings.crawl.user_agent.format(version=__version__),
        "ROBOTSTXT_OBEY": settings.crawl.obey_robots_txt,
        "CONCURRENT_REQUESTS": source_settings.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": source_settings.concurrency,
        "DOWNLOAD_DELAY": source_settings.download_delay,
        "DOWNLOAD_DELAY_JITTER": 0.5,
        # Per-domain rate limits: a slot per configured domain with its own delay.
        "DOWNLOAD_SLOTS": {domain: {"delay": delay, "concurrency": source_settings.concurrency}
                           for domain, delay in source_settings.domain_delays.items()},
        "DOWNLOAD_TIMEOUT": 30,
        "RETRY_ENABLED": False,  # crawlers.middlewares.BackoffRetryMiddleware retries instead
        "COOKIES_DEBUG": False,  # cookies are secrets: never logged
        "DOWNLOADER_MIDDLEWARES": dict(MIDDLEWARES),
        **NO_REMOTE_ACCESS,
        "LOG_LEVEL": settings.crawl.log_level,
        "ITEM_PIPELINES": {"crawlers.pipelines.ingest.IngestPipeline": 300},
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }
    if state_path is not None:
        values["YUQING_STATE_PATH"] = str(state_path)
    if replay_dir is not None:
        values["YUQING_REPLAY_DIR"] = str(replay_dir)
        values["DOWNLOADER_MIDDLEWARES"] = {**MIDDLEWARES, "crawlers.replay.ReplayDownloaderMiddleware": 50}
        values["ROBOTSTXT_OBEY"] = False
        values["DOWNLOAD_DELAY"] = 0
    return ScrapySettings(values)


def run_crawl(settings: Settings, source: str, replay_dir: Path | None = None,
              state_path: Path | None = None, *, install_root_handler: bool = True) -> dict[str, Any]:
    """Crawl one source to the end; returns Scrapy's stats (our counters under yuqing/). Pass
    `install_root_handler=False` when the caller configured logging itself."""
    if source not in SPIDERS:
        raise ValueError(f"unknown source {source!r}; known: {', '.join(sorted(SPIDERS))}")
    scrapy = scrapy_settings(settings, source, replay_dir, state_path)
    scrapy.set("LOG_INSTALL_ROOT_HANDLER", install_root_handler)
    process = CrawlerProcess(scrapy)
    if not install_root_handler:
        quiet_chatty_loggers()  # CrawlerProcess's logging.config call reset the scrapy.* levels
    crawler = process.create_crawler(SPIDERS[source])
    process.crawl(crawler)
    process.start()
    return dict(crawler.stats.get_stats())
