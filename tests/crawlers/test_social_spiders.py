"""WeChat, Toutiao and Douyin spiders on their normal pages: the last page ends the key, deleted
items are counted and skipped, every field the issue names is read, marks make the next run
incremental, and comments are requested only for posts that matter."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.health import SourceState
from crawlers.spiders.douyin import DouyinSpider
from crawlers.spiders.toutiao import ToutiaoSpider
from crawlers.spiders.wechat import WechatSpider
from tests.crawlers.spiderkit import crawl, make_spider, mentions, start_requests, stat
from yuqing.records import SHANGHAI, Analysis, Kind, Platform, Sentiment, SentimentLabel

SIGNER = "tests.crawlers.douyin_signer:sign"


def analysis(label: SentimentLabel, relevant: bool = True) -> Analysis:
    return Analysis(relevant=relevant, relevance_score=0.9 if relevant else 0.1,
                    sentiment=Sentiment(label=label, score=0.2, model="test"))


def test_wechat_search_reads_articles_through_redirects_and_pages(tmp_path: Path) -> None:
    spider = make_spider(WechatSpider, tmp_path, keywords=["泰安 燃气"], accounts=[])
    items, made = crawl(spider)
    found = mentions(items)
    assert len(found) == 3 and stat(spider, "deleted") == 1
    assert sum("weixin.sogou.com/link" in r.url for r in made) == 1  # the redirect hop was followed
    first = found["wechat:MzA1MTExMTExMQ==-2650000101-1"]
    assert first.platform == Platform.wechat and first.kind == Kind.article
    assert first.title == "泰安市民反映小区燃气维修不及时" and first.author.name == "泰安民生"
    assert first.author.id == "gh_fixture01" and first.region == "山东" and first.query == "泰安 燃气"
    assert first.published_at.tzinfo == SHANGHAI and first.text.startswith("泰山港华燃气报修三天")
    assert all(item.evidence and item.evidence.url == item.mention.url for item in items)
    assert "泰安 燃气" in spider.finished_keys and spider.runs["泰安 燃气"].complete  # page 2 had no next link


def test_wechat_followed_account_reads_its_latest_and_listed_articles(tmp_path: Path) -> None:
    spider = make_spider(WechatSpider, tmp_path, keywords=[], accounts=["泰安发布"])
    items, _ = crawl(spider)
    assert {m.query for m in mentions(items).values()} == {"account:泰安发布"}
    assert len(mentions(items)) == 2
    spider.closed("finished")
    again = make_spider(WechatSpider, tmp_path, keywords=[], accounts=["泰安发布"])
    items, _ = crawl(again)
    # The profile's articles are below the mark now; only the latest link is read again.
    assert len(items) == 1


def test_wechat_unknown_account_is_reported(tmp_path: Path) -> None:
    spider = make_spider(WechatSpider, tmp_path, keywords=[], accounts=["不存在的号"])
    spider_requests = start_requests(spider)
    assert len(spider_requests) == 1  # the account search (not saved: a 404, counted)
    crawl(spider, requests=spider_requests)
    assert stat(spider, "http_404") == 1


def test_toutiao_search_skips_widgets_and_ads_and_completes_articles(tmp_path: Path) -> None:
    spider = make_spider(ToutiaoSpider, tmp_path, keywords=["泰安 燃气"])
    items, made = crawl(spider)
    found = mentions(items)
    assert set(found) == {f"toutiao:73500000000000001{n:02d}" for n in (1, 2, 3, 4)}
    assert stat(spider, "deleted") == 1 and found["toutiao:7350000000000000104"].title == "已被删除的燃气投诉"
    first = found["toutiao:7350000000000000101"]
    assert first.url == "https://www.toutiao.com/article/7350000000000000101/"
    assert first.text.startswith("泰山港华燃气报修三天") and first.region == "山东"
    assert (first.comments, first.likes, first.views) == (12, 36, 480)
    assert first.published_at.hour == 6 and first.author.name == "泰安身边事"
    assert not any("ad.example.com" in r.url for r in made)
    assert "泰安 燃气" in spider.finished_keys  # page 2 was empty: the end


def test_toutiao_comments_only_for_posts_that_matter(tmp_path: Path) -> None:
    spider = make_spider(ToutiaoSpider, tmp_path, keywords=["泰安 燃气"])
    found = mentions(crawl(spider)[0])
    post = found["toutiao:7350000000000000101"]
    assert spider.follow_ups(found["toutiao:7350000000000000103"], analysis(SentimentLabel.positive)) == []
    assert spider.follow_ups(post, analysis(SentimentLabel.negative, relevant=False)) == []
    requests = spider.follow_ups(post, analysis(SentimentLabel.negative))
    assert spider.follow_ups(post, analysis(SentimentLabel.negative)) == []  # once per post
    comments, _ = crawl(spider, requests=requests)
    assert len(comments) == 2 and stat(spider, "malformed_comment") == 1
    first = comments[0].mention
    assert first.kind == Kind.comment and first.parent_id == post.id and first.region == "山东"
    assert first.likes == 8 and first.comments == 1 and first.author.name == "泰山区居民"


def test_douyin_without_signer_or_cookie_reports_blocked(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    spider = make_spider(DouyinSpider, tmp_path, keywords=["泰安燃气"])
    assert start_requests(spider) == []
    assert stat(spider, "needs_signer") == 1 and "blocked: needs signer/cookie" in caplog.text
    spider.closed("finished")
    health = make_spider(DouyinSpider, tmp_path).health.get("douyin")
    assert health.state == SourceState.blocked and health.reason == "needs_signer"
    assert "needs signer/cookie" in health.reason_zh


@pytest.mark.parametrize("signer", ["tests.crawlers.douyin_signer:broken", "no.such.module:sign", "nocolon"])
def test_douyin_broken_signer_is_reported_not_crashed(tmp_path: Path, signer: str) -> None:
    spider = make_spider(DouyinSpider, tmp_path, keywords=["泰安燃气"], signer=signer)
    assert start_requests(spider) == []
    assert stat(spider, "needs_signer") == 1 and spider.runs["泰安燃气"].failed == "needs_signer"


def test_douyin_signed_search_pages_to_the_end(tmp_path: Path) -> None:
    spider = make_spider(DouyinSpider, tmp_path, keywords=["泰安燃气"], signer=SIGNER)
    items, made = crawl(spider)
    assert all(r.url.endswith("&a_bogus=fixture-signature") for r in made)
    assert "search_id=2026112009FIXTURE01" in made[1].url  # the next page carries the search id
    found = mentions(items)
    assert len(found) == 3 and stat(spider, "deleted") == 1
    video = found["douyin:7450000000000000301"]
    assert video.kind == Kind.video and video.url == "https://www.douyin.com/video/7450000000000000301"
    assert (video.comments, video.likes, video.reposts) == (36, 420, 18)
    assert video.author.followers == 1520 and video.region == "山东"
    official = found["douyin:7450000000000000304"]
    assert official.author.verified and official.author.verified_reason == "泰山港华燃气官方账号"
    requests = spider.follow_ups(video, analysis(SentimentLabel.negative))
    comments, _ = crawl(spider, requests=requests)
    assert [c.mention.parent_id for c in comments] == [video.id, video.id]
    assert comments[1].mention.region == "河北"


def test_douyin_mark_stops_at_known_videos(tmp_path: Path) -> None:
    spider = make_spider(DouyinSpider, tmp_path, keywords=["泰安燃气"], signer=SIGNER)
    crawl(spider)
    spider.closed("finished")
    again = make_spider(DouyinSpider, tmp_path, keywords=["泰安燃气"], signer=SIGNER)
    items, made = crawl(again)
    assert items == [] and len(made) == 1  # page 1 is all known: no page 2
    assert again.runs["泰安燃气"].complete
