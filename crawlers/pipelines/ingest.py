"""Item pipeline: every crawled mention goes through the one ingest path (analyse, store,
notify the alert stage)."""

from __future__ import annotations

from typing import Any

from crawlers.items import MentionItem
from yuqing.ingest import Ingestor
from yuqing.settings import Settings
from yuqing.wiring import build_ingestor


class IngestPipeline:
    def __init__(self, settings: Settings, stats: Any) -> None:
        self.settings = settings
        self.stats = stats
        self.ingestor: Ingestor | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> IngestPipeline:
        return cls(crawler.settings["YUQING_SETTINGS"], crawler.stats)

    def open_spider(self, spider: Any = None) -> None:
        self.ingestor = build_ingestor(self.settings)

    def close_spider(self, spider: Any = None) -> None:
        if self.ingestor:
            self.ingestor.close()

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, MentionItem):
            return item
        assert self.ingestor is not None
        stored = self.ingestor.ingest([item.mention])
        prefix = f"yuqing/{item.source}"
        self.stats.inc_value(f"{prefix}/stored_new", stored.result.inserted)
        self.stats.inc_value(f"{prefix}/stored_updated", stored.result.updated)
        self.stats.inc_value(f"{prefix}/relevant", sum(1 for _, a, _ in stored.items if a.relevant))
        return item
