"""News: Baidu News search for the watched names (newest first) and the RSS/Atom feeds of
configured local and provincial media; every hit's article page is reduced to title, time,
source and main text by trafilatura (`crawlers/articles.py`).

Requests: `GET https://www.baidu.com/s?tn=news&rtt=4&bsst=1&cl=2&wd=<kw>&medium=0&pn=<10·N>`
and each configured feed URL. The same story copied by many sites stays many mentions: the
NLP stage's fingerprint groups them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from crawlers.parsers import news
from crawlers.spiders.article_base import ARTICLE_HEADERS, ArticleSourceSpider

BAIDU_NEWS = "https://www.baidu.com/s"


def baidu_url(keyword: str, page: int) -> str:
    params = {"tn": "news", "rtt": 4, "bsst": 1, "cl": 2, "wd": keyword, "medium": 0, "pn": page * 10}
    return f"{BAIDU_NEWS}?{urlencode(params)}"


class BaiduNewsSpider(ArticleSourceSpider):
    name = "baidu_news"
    source = "baidu_news"
    login_hosts = ("passport.baidu.com",)
    headers = ARTICLE_HEADERS

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for keyword in self.source_settings.keywords:
            yield self._search(keyword, 0)

    def _search(self, keyword: str, page: int) -> scrapy.Request:
        return self.request(baidu_url(keyword, page), self.parse_search, key=keyword,
                            headers={"Referer": "https://www.baidu.com/"}, cb_kwargs={"page": page})

    def refusal(self, response: Response) -> str | None:
        location = response.headers.get("Location", b"").decode("latin-1")
        if "/static/captcha" in response.url + location or "百度安全验证" in response.text[:3000]:
            return "captcha"
        return super().refusal(response)

    def parse_search(self, response: Response, key: str, page: int) -> Iterator[Any]:
        if not self.usable(response, key):
            return
        hits = news.baidu_results(response.text, self.now())
        if hits is None:
            self.problem("malformed", response, "not a result page")
            self.fail(key, "malformed")
            return
        if not hits:
            self.count("empty")
            self.finish(key, ended=True)
            return
        reached = False
        for hit in hits:
            teaser = news.hit_to_mention(hit, key, self.now())
            if hit.published_at and self.known_at(key, hit.published_at):
                reached = True
                continue
            if hit.published_at:
                self.saw_at(key, hit.published_at)
            yield self.article(hit.url, teaser, referer=response.url)
        if reached or page + 1 >= self.page_budget(key) or not news.baidu_has_next(response.text):
            self.finish(key, reached_bound=reached, ended=not news.baidu_has_next(response.text))
        else:
            yield self._search(key, page + 1)


class NewsFeedSpider(ArticleSourceSpider):
    name = "news_feeds"
    source = "news_feeds"
    headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for feed in self.source_settings.feeds:
            yield self.request(feed, self.parse_feed, key=feed)

    def parse_feed(self, response: Response, key: str) -> Iterator[Any]:
        if not self.usable(response, key):
            return
        parsed = news.feed_entries(response.body)
        if parsed is None:
            self.problem("malformed", response, "not an RSS/Atom feed")
            self.fail(key, "malformed")
            return
        entries, feed_title, broken = parsed
        if broken:  # a cut-off feed: keep what was readable, but the key is not complete
            self.problem("malformed", response, "feed XML is broken or cut off")
            self.fail(key, "malformed")
        if not entries:
            self.count("empty")
        for hit in entries:
            if not hit.url or (hit.published_at and self.known_at(key, hit.published_at)):
                continue
            if hit.published_at:
                self.saw_at(key, hit.published_at)
            keyword = news.matches(hit, self.source_settings.keywords)
            if keyword is None:
                continue  # the feed's other news
            teaser = news.hit_to_mention(hit, keyword, self.now(), outlet=feed_title)
            yield self.article(hit.url, teaser, referer=response.url)
        if not broken:
            self.finish(key, ended=True)  # a feed offers only its latest entries: that is all there is
