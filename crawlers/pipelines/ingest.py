"""Item pipeline: every crawled mention goes through the one ingest path (analyse, store,
notify the alert stage); then the raw response of a relevant mention is kept as evidence,
and the spider may ask for follow-ups (the comments of a post that matters).

Cross-platform duplicates are not dropped here: every mention is ingested and the NLP
stage's fingerprint groups copies of the same news.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from crawlers.items import MentionItem
from store.base import StoreFull
from store.evidence import EvidenceStore
from yuqing.ingest import Ingestor
from yuqing.settings import Settings
from yuqing.wiring import build_ingestor


class IngestPipeline:
    def __init__(self, settings: Settings, crawler: Any) -> None:
        self.settings = settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.ingestor: Ingestor | None = None
        self.evidence: EvidenceStore | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> IngestPipeline:
        return cls(crawler.settings["YUQING_SETTINGS"], crawler)

    def open_spider(self, spider: Any = None) -> None:
        self.ingestor = build_ingestor(self.settings)
        self.evidence = EvidenceStore(self.settings.storage.evidence_dir)

    def close_spider(self, spider: Any = None) -> None:
        if self.ingestor:
            self.ingestor.close()
        if self.evidence:
            self.evidence.close()

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, MentionItem):
            return item
        assert self.ingestor is not None and self.evidence is not None
        prefix = f"yuqing/{item.source}"
        try:
            stored = self.ingestor.ingest([item.mention])
        except StoreFull as exc:
            self._stop_for_disk(item.source, exc)
            raise DropItem(f"{item.mention.id}: not stored, the disk is full (read again next run)") from None
        self.stats.inc_value(f"{prefix}/stored_new", stored.result.inserted)
        self.stats.inc_value(f"{prefix}/stored_updated", stored.result.updated)
        for mention, analysis, _ in stored.items:
            if not analysis.relevant:
                continue
            self.stats.inc_value(f"{prefix}/relevant")
            if item.evidence is not None:
                self.evidence.put(mention.id, item.evidence)
                self.stats.inc_value(f"{prefix}/evidence")
            self._follow_up(mention, analysis)
        if stored.result.queued:  # the index is down: waiting in the outbox, replayed later
            self.stats.inc_value(f"{prefix}/queued", len(stored.result.queued))
        for mention_id, reason in stored.result.failed:  # refused: kept in the outbox with the reason
            self.stats.inc_value(f"{prefix}/store_failed")
            self.crawler.spider.logger.error("%s: not stored: %s", mention_id, reason)
        return item

    def _stop_for_disk(self, source: str, exc: StoreFull) -> None:
        """Stop the crawl: no key's mark may move past mentions that were not stored."""
        spider = self.crawler.spider
        if getattr(spider, "disk_full", False):
            return
        spider.disk_full = True
        self.stats.inc_value(f"yuqing/{source}/disk_full")
        spider.logger.error("%s: crawl stopped: %s", source, exc)
        for key in list(getattr(spider, "runs", {})):
            spider.fail(key, "disk_full")
        if self.crawler.engine is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="disk_full"))

    def _follow_up(self, mention: Any, analysis: Any) -> None:
        spider = self.crawler.spider
        follow_ups = getattr(spider, "follow_ups", None)
        if follow_ups is None or self.crawler.engine is None:
            return
        for request in follow_ups(mention, analysis):
            self.crawler.engine.crawl(request)
