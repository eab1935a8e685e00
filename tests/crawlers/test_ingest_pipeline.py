"""The item pipeline: every item through the one ingest path; evidence kept for relevant
mentions only; follow-up requests handed to the engine for posts that matter."""

from __future__ import annotations

from pathlib import Path

import scrapy

from crawlers.items import MentionItem
from crawlers.pipelines.ingest import IngestPipeline
from crawlers.spiders.toutiao import ToutiaoSpider
from store.evidence import Evidence, EvidenceStore
from tests.builders import BASE_TIME, mention
from tests.crawlers.spiderkit import make_spider, stat
from yuqing.records import Platform, mention_id


class Engine:
    """Collects what the pipeline schedules (the real engine would download it)."""

    def __init__(self) -> None:
        self.scheduled: list[scrapy.Request] = []

    def crawl(self, request: scrapy.Request) -> None:
        self.scheduled.append(request)


def test_relevant_items_keep_evidence_and_ask_for_comments(tmp_path: Path) -> None:
    spider = make_spider(ToutiaoSpider, tmp_path)
    spider.crawler.engine = Engine()
    pipeline = IngestPipeline.from_crawler(spider.crawler)
    pipeline.open_spider()
    page = Evidence(url="https://so.toutiao.com/search?page_num=0", fetched_at=BASE_TIME, body=b"<html>page</html>")
    complaint = mention(1, "泰山港华燃气岱岳区停气三天，客服电话打不通，太气人了", platform=Platform.toutiao,
                        id=mention_id(Platform.toutiao, "7350000000000000101"), comments=12)
    unrelated = mention(2, "周末去泰山看日出，人很多", platform=Platform.toutiao)
    for m in (complaint, unrelated):
        pipeline.process_item(MentionItem(mention=m, source="toutiao", evidence=page))
    pipeline.close_spider()
    with EvidenceStore(spider.settings_obj.storage.evidence_dir) as store:
        assert [r.url for r in store.records(complaint.id)] == [page.url]
        assert store.records(unrelated.id) == []
    assert stat(spider, "stored_new") == 2 and stat(spider, "relevant") == 1 and stat(spider, "evidence") == 1
    (request,) = spider.crawler.engine.scheduled
    assert "tab_comments" in request.url and request.cb_kwargs["post"].id == complaint.id
