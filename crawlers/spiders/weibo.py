"""Weibo mobile search (m.weibo.cn), newest first, down to the last post seen before, and
the hot comments of posts that matter.

Requests: `GET /api/container/getIndex?containerid=100103type=61&q=<keyword>&t=0
&page_type=searchall&page=N` (type=61 is the 实时 tab: strictly newest first, which is what
makes a high-water mark safe), `GET /statuses/extend?id=<mid>` for posts whose text the
search result truncates, and `GET /comments/hotflow?id=<mid>&mid=<mid>&max_id_type=0
[&max_id=N]` for the hot comments of a relevant post that is negative or much engaged
(decided by the NLP stage; see `SourceSpider.follow_ups`). Posts sit in `data.cards[]` as
`card_type 9` with an `mblog`, or inside `card_type 11` groups; every other card is skipped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from crawlers.parsers.weibo import (
    comment_to_mention,
    is_deleted,
    iter_comments,
    iter_mblogs,
    mblog_to_mention,
    mid_of,
)
from crawlers.parsing import parse_count
from crawlers.spiders.base import SourceSpider
from nlp.clean import clean_text
from yuqing.records import Mention

SEARCH_URL = "https://m.weibo.cn/api/container/getIndex"
EXTEND_URL = "https://m.weibo.cn/statuses/extend"
HOTFLOW_URL = "https://m.weibo.cn/comments/hotflow"

__all__ = ["EXTEND_URL", "HOTFLOW_URL", "SEARCH_URL", "WeiboSearchSpider", "hotflow_url", "iter_mblogs",
           "search_url"]


def search_url(keyword: str, page: int) -> str:
    container = f"100103type=61&q={keyword}&t=0"
    return f"{SEARCH_URL}?{urlencode({'containerid': container, 'page_type': 'searchall', 'page': page})}"


def hotflow_url(mid: str, max_id: int = 0, max_id_type: int = 0) -> str:
    params: dict[str, Any] = {"id": mid, "mid": mid, "max_id_type": max_id_type}
    if max_id:
        params["max_id"] = max_id
    return f"{HOTFLOW_URL}?{urlencode(params)}"


class WeiboSearchSpider(SourceSpider):
    name = "weibo"
    source = "weibo"
    allowed_domains = ["m.weibo.cn"]
    login_hosts = ("passport.weibo.cn", "passport.weibo.com", "visitor.passport.weibo.cn")
    headers = {"Accept": "application/json, text/plain, */*", "X-Requested-With": "XMLHttpRequest",
               "MWeibo-Pwa": "1"}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for keyword in self.source_settings.keywords:
            yield self._search(keyword, 1)

    def _search(self, keyword: str, page: int) -> scrapy.Request:
        return self.request(search_url(keyword, page), self.parse_search, key=keyword,
                            headers={"Referer": "https://m.weibo.cn/search"}, cb_kwargs={"page": page})

    def mark_of(self, mention: Mention) -> int:
        return int(mention.id.removeprefix("weibo:")) if mention.id.removeprefix("weibo:").isdigit() else 0

    def parse_search(self, response: Response, key: str, page: int) -> Iterator[Any]:
        if not self.usable(response, key):
            return
        data = self.json_body(response)
        if data is None:
            self.fail(key, "malformed")
            return
        if data.get("ok") != 1:
            if not (data.get("data") or {}).get("cards"):
                self.count("empty")  # ok=0 with no cards: "这里还没有内容", the end of results
                self.finish(key, ended=True)
            else:
                self.problem("api_error", response, str(data.get("msg") or ""))
                self.fail(key, "api_error")
            return
        reached, seen = False, 0
        for mblog in iter_mblogs(data):
            seen += 1
            mention = self._mention(mblog, key, response)
            if mention is not None and self.known(key, mention):
                reached = True  # read by an earlier run: the rest is known
                continue
            if mention is not None:
                yield self._item_or_extend(mblog, mention, key, response)
            retweeted = mblog.get("retweeted_status")
            if isinstance(retweeted, dict) and not is_deleted(retweeted):
                original = self._mention(retweeted, key, response)
                if original is not None:
                    yield self._item_or_extend(retweeted, original, None, response)
        if seen == 0:
            self.count("empty")
            self.finish(key, ended=True)
        elif reached or page >= self.page_budget(key):
            self.finish(key, reached_bound=reached)
        else:
            yield self._search(key, page + 1)

    def _mention(self, mblog: dict[str, Any], keyword: str, response: Response) -> Mention | None:
        if is_deleted(mblog):
            self.count("deleted")
            return None
        try:
            return mblog_to_mention(mblog, keyword, self.now())
        except (KeyError, ValueError, TypeError) as exc:
            self.problem("malformed_status", response, str(exc))
            return None

    def _item_or_extend(self, mblog: dict[str, Any], mention: Mention, key: str | None,
                        response: Response) -> Any:
        """The item, or a request for the long text (the mark counts the post either way)."""
        if key is not None:
            self.saw(key, mention)
        if mblog.get("isLongText"):
            return self.request(f"{EXTEND_URL}?{urlencode({'id': mid_of(mblog)})}", self.parse_extend,
                                cb_kwargs={"mention": mention})
        return self.item(mention, response)

    def parse_extend(self, response: Response, mention: Mention) -> Iterator[Any]:
        """Full text of a long post; on any failure the truncated text is kept."""
        data = self.json_body(response) if not self.refusal(response) else None
        inner = (data or {}).get("data") or {}
        long_text = inner.get("longTextContent") if isinstance(inner, dict) else None
        if data is None or data.get("ok") != 1 or not long_text:
            self.problem("extend_failed", response, mention.id)
            yield self.item(mention, None)
            return
        update: dict[str, Any] = {"text": clean_text(str(long_text))}
        for field, key in (("reposts", "reposts_count"), ("comments", "comments_count"),
                           ("likes", "attitudes_count")):
            if key in inner:
                update[field] = parse_count(inner[key])
        yield self.item(mention.model_copy(update=update), response)

    def request_failed(self, failure: Any) -> Iterator[Any]:
        mention = failure.request.cb_kwargs.get("mention")
        if mention is None:
            super().request_failed(failure)
            return
        self.problem("extend_failed", None, f"{mention.id}: {failure.value!r}")
        yield self.item(mention, None)

    # -- hot comments ------------------------------------------------------------------
    def comment_requests(self, mention: Mention) -> Iterable[scrapy.Request]:
        mid = mention.id.removeprefix("weibo:")
        yield self.request(hotflow_url(mid), self.parse_hotflow,
                           headers={"Referer": f"https://m.weibo.cn/detail/{mid}"},
                           cb_kwargs={"post": mention, "page": 1})

    def parse_hotflow(self, response: Response, post: Mention, page: int) -> Iterator[Any]:
        if not self.usable(response):
            return
        data = self.json_body(response)
        if data is None:
            return
        if data.get("ok") != 1:
            self.count("empty")  # ok=0: no comments (or hidden); the post itself is kept
            return
        inner = data.get("data") or {}
        for comment in iter_comments(inner.get("data") or []):
            try:
                yield self.item(comment_to_mention(comment, post, self.now()), response)
            except (KeyError, ValueError, TypeError) as exc:
                self.problem("malformed_comment", response, str(exc))
        max_id = int(inner.get("max_id") or 0)
        if max_id and page < self.source_settings.comment_pages:
            mid = post.id.removeprefix("weibo:")
            yield self.request(hotflow_url(mid, max_id, int(inner.get("max_id_type") or 0)),
                               self.parse_hotflow, cb_kwargs={"post": post, "page": page + 1})
