"""Baidu News, RSS/Atom feeds, 人民网领导留言板 and the generic board spider on their normal
pages: pagination to the last page, deleted items, article text extracted by trafilatura,
official replies linked to their messages, unanswered messages re-checked later."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import scrapy
from scrapy.http import TextResponse

from crawlers.parsers.boards import people_body
from crawlers.spiders.boards import DETAIL_PATH, SEARCH_PATH, GenericBoardSpider, PeopleBoardSpider
from crawlers.spiders.news import BaiduNewsSpider, NewsFeedSpider
from tests.conftest import FIXTURES
from tests.crawlers.conftest import FEEDS, board_specs
from tests.crawlers.spiderkit import crawl, make_spider, mentions, start_requests, stat
from yuqing.records import SHANGHAI, Kind, Platform


def test_baidu_news_reads_two_pages_and_each_article(tmp_path: Path) -> None:
    spider = make_spider(BaiduNewsSpider, tmp_path, keywords=["泰安 燃气"])
    items, made = crawl(spider)
    assert [r.url.split("pn=")[1] for r in made if "baidu.com/s?" in r.url] == ["0", "10"]
    found = {m.title: m for m in mentions(items).values()}
    assert len(found) == 5 and stat(spider, "deleted") == 1
    first = found["泰安一小区居民反映燃气报修难"]
    assert first.platform == Platform.news and first.author.name == "泰安日报"
    assert first.text.startswith("泰山港华燃气报修三天") and "首页" not in first.text  # main text only
    assert first.published_at.isoformat() == "2026-11-20T06:00:00+08:00"  # the page's time, not "3小时前"
    assert found["已删除的燃气新闻"].text == "……"  # the list's teaser is kept when the page is gone
    assert "泰安 燃气" in spider.finished_keys and spider.runs["泰安 燃气"].complete


def test_feeds_keep_matching_entries_in_their_declared_encoding(tmp_path: Path) -> None:
    feeds = [f"{FEEDS}/taian/rss.xml", f"{FEEDS}/sd/atom.xml"]
    spider = make_spider(NewsFeedSpider, tmp_path, feeds=feeds)
    items, _ = crawl(spider)
    found = {m.title: m for m in mentions(items).values()}
    assert set(found) == {"泰安：燃气报修难问题调查", "岱岳区临时停气后已恢复", "已删除的燃气新闻",
                          "泰安港华燃气开展安全检查"}
    assert "泰山景区迎来旅游旺季" not in found  # the feed's other news is not ours
    assert found["泰安：燃气报修难问题调查"].author.name == "泰安新闻网 - 本地新闻"  # GB2312 decoded
    assert found["泰安港华燃气开展安全检查"].published_at.tzinfo == SHANGHAI
    assert set(feeds) == spider.finished_keys
    spider.closed("finished")
    assert crawl(make_spider(NewsFeedSpider, tmp_path, feeds=feeds))[0] == []  # all below the marks now


def test_people_board_signature_and_body() -> None:
    body = json.loads(people_body(SEARCH_PATH, {"keywords": "燃气", "page": 1}, "PC42ce3bfa4980a9"))
    param = '{"keywords":"燃气","page":1}'
    key = hashlib.md5(b"PC42ce3bfa4980a9").hexdigest()[:16]
    assert body["param"] == param and body["appCode"] == "PC42ce3bfa4980a9"
    assert body["signature"] == hashlib.md5(f"{SEARCH_PATH}{param}{key}".encode()).hexdigest()


def test_people_board_messages_replies_and_status(tmp_path: Path) -> None:
    spider = make_spider(PeopleBoardSpider, tmp_path, keywords=["泰安 燃气"])
    items, made = crawl(spider)
    assert all(r.method == "POST" for r in made)
    found = mentions(items)
    messages = [m for m in found.values() if m.kind == Kind.message]
    replies = [m for m in found.values() if m.kind == Kind.comment]
    assert len(messages) == 12 and stat(spider, "deleted") == 1  # 13 listed on two pages, one taken down
    answered = found["board:people-18000002"]
    assert answered.title == "【已回复】停气不通知（2）" and answered.region == "城建"
    reply = found["board:people-18000002-reply-1"]
    assert reply.parent_id == answered.id and reply.author.name == "泰安市住房和城乡建设局" and reply.author.verified
    assert len(replies) == 8 and found["board:people-18000001"].title.startswith("【办理中】")
    assert "泰安 燃气" in spider.finished_keys  # page 2 held fewer than a page of rows


def test_unanswered_board_messages_are_read_again_until_answered(tmp_path: Path) -> None:
    spider = make_spider(PeopleBoardSpider, tmp_path, keywords=["泰安 燃气"])
    crawl(spider)
    spider.closed("finished")
    later = make_spider(PeopleBoardSpider, tmp_path, keywords=[])
    details = [r for r in start_requests(later) if r.url.endswith(DETAIL_PATH)]
    assert len(details) == 4  # the four 办理中 messages
    request = next(r for r in details if b'18000001' in r.body)
    answered = (FIXTURES / "people_board" / "detail-18000001-answered.json").read_bytes()
    response = TextResponse(request.url, body=answered, encoding="utf-8", request=scrapy.Request(request.url))
    out = list(request.callback(response, **request.cb_kwargs))
    assert [o.mention.kind for o in out] == [Kind.message, Kind.comment]
    assert out[0].mention.title.startswith("【已回复】")
    later.closed("finished")
    assert len([r for r in start_requests(make_spider(PeopleBoardSpider, tmp_path, keywords=[]))]) == 3


def test_generic_board_filters_by_keyword_and_links_replies(tmp_path: Path) -> None:
    spider = make_spider(GenericBoardSpider, tmp_path, boards=board_specs("泰安12345"), max_pages=3)
    items, made = crawl(spider)
    assert [r.url.rsplit("=", 1)[1] for r in made if "/list?" in r.url] == ["1", "2", "3"]
    assert not any(r.url.endswith(("/msg/1002", "/msg/1006")) for r in made)  # 路灯, 噪音: not ours
    found = mentions(items)
    messages = {m.title: m for m in found.values() if m.kind == Kind.message}
    assert set(messages) == {"【已办结】泰山区某小区燃气报修无人上门", "【办理中】岱岳区停气不通知",
                             "【已办结】燃气费偏高无人解释"}
    assert stat(spider, "deleted") == 1
    first = messages["【已办结】泰山区某小区燃气报修无人上门"]
    assert first.region == "泰山区" and first.author.name == "泰安12345" and first.query == "燃气"
    reply = next(m for m in found.values() if m.parent_id == first.id)
    assert reply.author.name == "泰安市城市管理局" and reply.text.startswith("经核实")
