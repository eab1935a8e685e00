"""Item pipeline: analyse each crawled mention and upsert it into the mention index."""

from __future__ import annotations

from typing import Any

from crawlers.items import MentionItem
from nlp.analyze import Analyzer
from store.base import MentionStore
from yuqing.settings import Settings
from yuqing.wiring import open_mention_store


class AnalyzeAndStorePipeline:
    def __init__(self, settings: Settings, stats: Any) -> None:
        self.settings = settings
        self.stats = stats
        self.analyzer: Analyzer | None = None
        self.store: MentionStore | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> AnalyzeAndStorePipeline:
        return cls(crawler.settings["YUQING_SETTINGS"], crawler.stats)

    def open_spider(self, spider: Any = None) -> None:
        self.analyzer = Analyzer(self.settings)
        self.store = open_mention_store(self.settings)

    def close_spider(self, spider: Any = None) -> None:
        if self.store:
            self.store.close()

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, MentionItem):
            return item
        assert self.analyzer and self.store
        analysis = self.analyzer.analyze(item.mention)
        result = self.store.upsert([(item.mention, analysis)])
        prefix = f"yuqing/{item.source}"
        self.stats.inc_value(f"{prefix}/stored_new", result.inserted)
        self.stats.inc_value(f"{prefix}/stored_updated", result.updated)
        if analysis.relevant:
            self.stats.inc_value(f"{prefix}/relevant")
        return item
