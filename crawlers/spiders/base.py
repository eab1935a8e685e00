"""What every source spider shares: its settings section, crawl state, and problem counting.

Problems are counted in namespaced stats (`yuqing/<source>/<problem>`) as well as logged,
so a crawl report (and later the source health page) can say why a source came back empty.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import scrapy
from scrapy.http import Response

from crawlers.state import CrawlState
from yuqing.records import SHANGHAI
from yuqing.settings import Settings, SourceSettings


class Blocked(Exception):
    """The platform refused us (login wall, captcha, HTTP 403/418/429)."""


class SourceSpider(scrapy.Spider):
    source: str = ""

    settings_obj: Settings
    source_settings: SourceSettings
    state: CrawlState

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.settings_obj = crawler.settings["YUQING_SETTINGS"]
        spider.source_settings = getattr(spider.settings_obj.sources, cls.source)
        state_path = crawler.settings.get("YUQING_STATE_PATH") or spider.settings_obj.storage.crawl_state_db
        spider.state = CrawlState(state_path)
        spider.download_delay = spider.source_settings.download_delay
        return spider

    def now(self) -> datetime:
        return datetime.now(SHANGHAI)

    def cookies(self) -> dict[str, str]:
        """The configured cookie string as a dict (the value itself is never logged)."""
        secret = self.source_settings.cookie
        if not secret:
            return {}
        pairs = (part.split("=", 1) for part in secret.get_secret_value().split(";") if "=" in part)
        return {name.strip(): value.strip() for name, value in pairs}

    def count(self, what: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"yuqing/{self.source}/{what}", n)

    def problem(self, what: str, response: Response | None, detail: str = "") -> None:
        """Count and log a problem; the crawl goes on with whatever else it can do."""
        self.count(what)
        where = f" at {response.url} (HTTP {response.status})" if response is not None else ""
        self.logger.warning("%s: %s%s%s", self.source, what, where, f": {detail}" if detail else "")

    def json_body(self, response: Response) -> dict | None:
        """The JSON object in a response, or None after counting it as malformed."""
        try:
            data = json.loads(response.text)
        except (ValueError, AttributeError) as exc:
            self.problem("malformed", response, f"not JSON ({exc.__class__.__name__})")
            return None
        if not isinstance(data, dict):
            self.problem("malformed", response, "JSON is not an object")
            return None
        return data

    def closed(self, reason: str) -> None:
        self.state.close()
