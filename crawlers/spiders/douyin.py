"""Douyin: video search (description, author, statistics, create time), newest first, and
the comments of videos that matter.

Requests (web API, signed by the pluggable signer of `crawlers/signing.py`):
`GET https://www.douyin.com/aweme/v1/web/general/search/single/?device_platform=webapp
&aid=6383&channel=channel_pc_web&search_channel=aweme_general&keyword=<kw>&sort_type=2
&publish_time=0&is_filter_search=1&search_source=normal_search&query_correct_type=1
&offset=N&count=10[&search_id=<extra.logid>]` and
`GET https://www.douyin.com/aweme/v1/web/comment/list/?device_platform=webapp&aid=6383
&channel=channel_pc_web&aweme_id=<id>&cursor=N&count=20&item_type=0`.
With neither a signer nor a cookie configured the spider requests nothing and reports
`needs_signer`, so the source shows as blocked ("blocked: needs signer/cookie").
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from crawlers.parsers import douyin
from crawlers.signing import SignerError, load_signer, sign
from crawlers.spiders.base import SourceSpider
from yuqing.records import Mention

API = "https://www.douyin.com/aweme/v1/web"
COMMON = {"device_platform": "webapp", "aid": 6383, "channel": "channel_pc_web"}
PAGE_SIZE = 10


def search_url(keyword: str, offset: int = 0, search_id: str = "") -> str:
    params = {**COMMON, "search_channel": "aweme_general", "keyword": keyword, "sort_type": 2,
              "publish_time": 0, "is_filter_search": 1, "search_source": "normal_search",
              "query_correct_type": 1, "offset": offset, "count": PAGE_SIZE}
    if search_id:
        params["search_id"] = search_id
    return f"{API}/general/search/single/?{urlencode(params)}"


def comments_url(aweme_id: str, cursor: int = 0) -> str:
    params = {**COMMON, "aweme_id": aweme_id, "cursor": cursor, "count": 20, "item_type": 0}
    return f"{API}/comment/list/?{urlencode(params)}"


class DouyinSpider(SourceSpider):
    name = "douyin"
    source = "douyin"
    allowed_domains = ["www.douyin.com"]
    login_hosts = ("sso.douyin.com", "passport.douyin.com")
    headers = {"Accept": "application/json, text/plain, */*", "Referer": "https://www.douyin.com/search/"}
    signer: Any = None

    async def start(self) -> AsyncIterator[scrapy.Request]:
        try:
            self.signer = load_signer(self.source_settings.signer)
        except SignerError as exc:
            self.blocked_without_signer(str(exc))
            return
        if self.signer is None and not self.cookies():
            self.blocked_without_signer("no sources.douyin.signer and no cookie configured")
            return
        for keyword in self.source_settings.keywords:
            request = self._search(keyword, 0)
            if request is not None:
                yield request

    def blocked_without_signer(self, detail: str) -> None:
        self.problem("needs_signer", None, f"blocked: needs signer/cookie ({detail})")
        for keyword in self.source_settings.keywords:
            self.fail(keyword, "needs_signer")

    def signed(self, url: str, callback: Any, key: str | None = None, **kwargs: Any) -> scrapy.Request | None:
        try:
            return self.request(sign(self.signer, url, self.headers), callback, key=key, **kwargs)
        except SignerError as exc:
            self.problem("needs_signer", None, str(exc))
            if key is not None:
                self.fail(key, "needs_signer")
            return None

    def _search(self, keyword: str, offset: int, search_id: str = "") -> scrapy.Request | None:
        return self.signed(search_url(keyword, offset, search_id), self.parse_search, key=keyword,
                           cb_kwargs={"offset": offset})

    def parse_search(self, response: Response, key: str, offset: int) -> Iterator[Any]:
        if not self.usable(response, key):
            return
        data = self.json_body(response)
        if data is None:
            self.fail(key, "malformed")
            return
        reason = douyin.refusal(data)
        if reason:
            self.refused(reason, response, key)
            return
        reached, seen = False, 0
        for aweme in douyin.iter_awemes(data):
            seen += 1
            if douyin.is_deleted(aweme):
                self.count("deleted")
                continue
            try:
                mention = douyin.aweme_to_mention(aweme, key, self.now())
            except (KeyError, ValueError, TypeError) as exc:
                self.problem("malformed_item", response, str(exc))
                continue
            if self.known(key, mention):
                reached = True
                continue
            yield self.item(mention, response, key=key)
        yield from self._next(data, key, offset, seen, reached)

    def _next(self, data: dict[str, Any], key: str, offset: int, seen: int, reached: bool) -> Iterator[Any]:
        page = offset // PAGE_SIZE + 1
        if seen == 0 or not data.get("has_more"):
            if seen == 0:
                self.count("empty")
            self.finish(key, ended=True)
        elif reached or page >= self.page_budget(key):
            self.finish(key, reached_bound=reached)
        else:
            cursor = int(data.get("cursor") or offset + PAGE_SIZE)
            request = self._search(key, cursor, str((data.get("extra") or {}).get("logid") or ""))
            if request is not None:
                yield request

    # -- comments ----------------------------------------------------------------------
    def comment_requests(self, mention: Mention) -> Iterable[scrapy.Request]:
        aweme_id = mention.id.removeprefix("douyin:")
        request = self.signed(comments_url(aweme_id), self.parse_comments,
                              headers={"Referer": mention.url}, cb_kwargs={"post": mention, "page": 1})
        return [request] if request is not None else []

    def parse_comments(self, response: Response, post: Mention, page: int) -> Iterator[Any]:
        if not self.usable(response):
            return
        data = self.json_body(response)
        if data is None:
            return
        if data.get("status_code") not in (0, None):
            self.problem("api_error", response, str(data.get("status_msg") or data.get("status_code")))
            return
        for comment in data.get("comments") or []:
            try:
                yield self.item(douyin.comment_to_mention(comment, post, self.now()), response)
            except (KeyError, ValueError, TypeError) as exc:
                self.problem("malformed_comment", response, str(exc))
        if data.get("has_more") and page < self.source_settings.comment_pages:
            request = self.signed(comments_url(post.id.removeprefix("douyin:"), int(data.get("cursor") or 0)),
                                  self.parse_comments, cb_kwargs={"post": post, "page": page + 1})
            if request is not None:
                yield request
