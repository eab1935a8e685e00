"""Toutiao: information search, then each article page; the comments of articles that matter
(relevant, and negative or much engaged) where the article exposes them.

Requests: `GET https://so.toutiao.com/search?dvpf=pc&source=input&keyword=<kw>&pd=information
&action_type=search_subtab_switch&from=news&cur_tab_title=news&page_num=N` (N from 0; results
ordered by relevance), `GET https://www.toutiao.com/article/<group_id>/`, and
`GET https://www.toutiao.com/article/v2/tab_comments/?aid=24&app_name=toutiao_web&offset=N
&count=20&group_id=<id>&item_id=<id>`. Formats: `crawlers/parsers/toutiao.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from crawlers.parsers import toutiao
from crawlers.spiders.article_base import ArticleSourceSpider
from yuqing.records import Mention

SEARCH_URL = "https://so.toutiao.com/search"
COMMENTS_URL = "https://www.toutiao.com/article/v2/tab_comments/"
PAGE_SIZE = 20
DELETED_MARKERS = ("文章已删除", "内容已删除", "该内容暂无法查看", "你访问的内容已被删除")


def search_url(keyword: str, page: int) -> str:
    params = {"dvpf": "pc", "source": "input", "keyword": keyword, "pd": "information",
              "action_type": "search_subtab_switch", "from": "news", "cur_tab_title": "news",
              "page_num": page}
    return f"{SEARCH_URL}?{urlencode(params)}"


def comments_url(group_id: str, offset: int = 0) -> str:
    params = {"aid": 24, "app_name": "toutiao_web", "offset": offset, "count": PAGE_SIZE,
              "group_id": group_id, "item_id": group_id}
    return f"{COMMENTS_URL}?{urlencode(params)}"


class ToutiaoSpider(ArticleSourceSpider):
    name = "toutiao"
    source = "toutiao"
    newest_first = False
    allowed_domains = ["so.toutiao.com", "www.toutiao.com", "toutiao.com"]
    login_hosts = ("sso.toutiao.com",)
    headers = {"Accept-Language": "zh-CN,zh;q=0.9"}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for keyword in self.source_settings.keywords:
            yield self._search(keyword, 0)

    def _search(self, keyword: str, page: int) -> scrapy.Request:
        return self.request(search_url(keyword, page), self.parse_search, key=keyword,
                            headers={"Referer": "https://so.toutiao.com/"}, cb_kwargs={"page": page})

    def parse_search(self, response: Response, key: str, page: int) -> Iterator[Any]:
        if not self.usable(response, key):
            return
        try:
            items = toutiao.search_items(response.text)
        except ValueError as exc:
            self.problem("malformed", response, f"result JSON: {exc.__class__.__name__}")
            self.fail(key, "malformed")
            return
        if items is None:
            self.problem("malformed", response, "not a result page")
            self.fail(key, "malformed")
            return
        teasers = [m for m in (toutiao.item_to_mention(i, key, self.now()) for i in items) if m]
        if not teasers:
            self.count("empty")
            self.finish(key, ended=True)
            return
        for teaser in teasers:
            if self.known(key, teaser):
                self.count("known")
                continue
            self.saw(key, teaser)
            yield self.article(teaser.url, teaser, referer=response.url)
        if page + 1 < self.page_budget(key):
            yield self._search(key, page + 1)
        else:
            self.finish(key)

    def is_deleted_page(self, response: Response) -> bool:
        return super().is_deleted_page(response) or (
            response.status == 200 and "article-content" not in response.text and "articleInfo" not in
            response.text and any(m in response.text for m in DELETED_MARKERS))

    def read_article(self, response: Response, teaser: Mention) -> Mention | None:
        return toutiao.parse_article(response.text, teaser) or super().read_article(response, teaser)

    # -- comments ----------------------------------------------------------------------
    def comment_requests(self, mention: Mention) -> Iterable[scrapy.Request]:
        group_id = mention.id.removeprefix("toutiao:")
        if group_id.isdigit() and mention.comments > 0:
            yield self.request(comments_url(group_id), self.parse_comments,
                               headers={"Referer": mention.url}, cb_kwargs={"post": mention, "page": 1})

    def parse_comments(self, response: Response, post: Mention, page: int) -> Iterator[Any]:
        if not self.usable(response):
            return
        data = self.json_body(response)
        if data is None:
            return
        if data.get("message") not in ("success", None) or not isinstance(data.get("data"), list):
            self.problem("api_error", response, str(data.get("message") or ""))
            return
        for entry in data["data"]:
            try:
                yield self.item(toutiao.comment_to_mention(entry, post, self.now()), response)
            except (KeyError, ValueError, TypeError) as exc:
                self.problem("malformed_comment", response, str(exc))
        if data.get("has_more") and data["data"] and page < self.source_settings.comment_pages:
            group_id = post.id.removeprefix("toutiao:")
            yield self.request(comments_url(group_id, page * PAGE_SIZE), self.parse_comments,
                               cb_kwargs={"post": post, "page": page + 1})
