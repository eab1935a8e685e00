"""Weibo mobile search (m.weibo.cn), newest first, down to the last post seen before.

Requests: `GET /api/container/getIndex?containerid=100103type=61&q=<keyword>&t=0
&page_type=searchall&page=N` (type=61 is the 实时 tab: strictly newest first, which is what
makes a high-water mark safe), and `GET /statuses/extend?id=<mid>` for posts whose text the
search result truncates. Posts sit in `data.cards[]` as `card_type 9` with an `mblog`, or
inside `card_type 11` groups; every other card is skipped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy.http import Response

from crawlers.items import MentionItem
from crawlers.parsing import parse_count, parse_weibo_time
from crawlers.spiders.base import SourceSpider
from nlp.clean import clean_text
from yuqing.records import Author, Kind, Mention, Platform, mention_id

SEARCH_URL = "https://m.weibo.cn/api/container/getIndex"
EXTEND_URL = "https://m.weibo.cn/statuses/extend"
DELETED_MARKERS = ("此微博已被作者删除", "该微博已被删除", "此微博已被删除", "该账号因用户自行申请关闭")
LOGIN_HOSTS = ("passport.weibo.cn", "passport.weibo.com", "visitor.passport.weibo.cn")
HEADERS = {
    "Accept": "application/json, text/plain, */*",
    "X-Requested-With": "XMLHttpRequest",
    "MWeibo-Pwa": "1",
}


def search_url(keyword: str, page: int) -> str:
    container = f"100103type=61&q={keyword}&t=0"
    return f"{SEARCH_URL}?{urlencode({'containerid': container, 'page_type': 'searchall', 'page': page})}"


def iter_mblogs(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Posts of a getIndex answer, at either nesting level."""
    for card in (data.get("data") or {}).get("cards") or []:
        if not isinstance(card, dict):
            continue
        if card.get("card_type") == 9 and isinstance(card.get("mblog"), dict):
            yield card["mblog"]
        for inner in card.get("card_group") or []:
            if isinstance(inner, dict) and inner.get("card_type") == 9 and isinstance(inner.get("mblog"), dict):
                yield inner["mblog"]


def is_deleted(mblog: dict[str, Any]) -> bool:
    text = str(mblog.get("text") or "")
    return (not mblog.get("user") or str(mblog.get("deleted", "0")) == "1"
            or any(marker in text for marker in DELETED_MARKERS))


def mblog_to_mention(mblog: dict[str, Any], keyword: str, now: Any) -> Mention:
    """One Weibo status as a Mention; raises KeyError/ValueError on a malformed status."""
    user = mblog.get("user") or {}
    mid = str(mblog["id"])
    region = str(mblog.get("region_name") or "").removeprefix("发布于").strip()
    return Mention(
        id=mention_id(Platform.weibo, mid),
        platform=Platform.weibo,
        kind=Kind.post,
        url=f"https://m.weibo.cn/detail/{mid}",
        text=clean_text(str(mblog.get("text") or "")),
        author=Author(
            name=str(user.get("screen_name") or ""),
            id=str(user.get("id") or ""),
            followers=parse_count(user.get("followers_count")),
            verified=bool(user.get("verified")),
            verified_reason=str(user.get("verified_reason") or ""),
        ),
        published_at=parse_weibo_time(str(mblog.get("created_at") or ""), now),
        fetched_at=now,
        reposts=parse_count(mblog.get("reposts_count")),
        comments=parse_count(mblog.get("comments_count")),
        likes=parse_count(mblog.get("attitudes_count")),
        region=region,
        query=keyword,
    )


class WeiboSearchSpider(SourceSpider):
    name = "weibo"
    source = "weibo"
    allowed_domains = ["m.weibo.cn"]
    # Handled here rather than dropped by Scrapy, so each becomes a counted problem.
    handle_httpstatus_list = [301, 302, 303, 307, 403, 404, 418, 429, 500, 502, 503]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._newest: dict[str, int] = {}
        self._finished: set[str] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for keyword in self.source_settings.keywords:
            yield self._search(keyword, 1)

    def _search(self, keyword: str, page: int) -> scrapy.Request:
        return scrapy.Request(
            search_url(keyword, page), headers={**HEADERS, "Referer": "https://m.weibo.cn/search"},
            cookies=self.cookies(), callback=self.parse_search,
            cb_kwargs={"keyword": keyword, "page": page}, dont_filter=True,
        )

    def blocked_reason(self, response: Response) -> str | None:
        """Why a response is a refusal rather than data, or None."""
        for url in (response.url, response.headers.get("Location", b"").decode("latin-1")):
            parts = urlsplit(url)
            if (parts.hostname or "") in LOGIN_HOSTS or "/login" in parts.path:
                return "login_wall"
        if response.status in (403, 418, 429):
            return f"http_{response.status}"
        if response.status >= 400:
            return f"http_{response.status}"
        body = response.text[:2000] if hasattr(response, "text") else ""
        if body.lstrip().startswith("<"):
            if "验证码" in body or "captcha" in body.lower():
                return "captcha"
            if "登录" in body or "Sina Visitor System" in body:
                return "login_wall"
        return None

    def parse_search(self, response: Response, keyword: str, page: int) -> Iterator[Any]:
        self.count("pages")
        reason = self.blocked_reason(response)
        if reason:
            self.problem(reason, response, f"keyword {keyword!r} page {page}")
            return
        data = self.json_body(response)
        if data is None:
            return
        if data.get("ok") != 1:
            message = str(data.get("msg") or "")
            if not (data.get("data") or {}).get("cards"):
                self.count("empty")  # ok=0 with no cards: "这里还没有内容", the end of results
                self._finish(keyword)
            else:
                self.problem("api_error", response, message)
            return
        mark = int(self.state.mark(self.source, keyword) or 0)
        reached_mark, seen = False, 0
        for mblog in iter_mblogs(data):
            seen += 1
            mid = _mid(mblog)
            if mid and mid <= mark:
                reached_mark = True  # older than the last crawl: the rest is known
                continue
            if mid:
                self._newest[keyword] = max(self._newest.get(keyword, 0), mid)
            item_or_request = self._status(mblog, keyword, response)
            if item_or_request is not None:
                yield item_or_request
            retweeted = mblog.get("retweeted_status")
            if isinstance(retweeted, dict) and not is_deleted(retweeted):
                original = self._status(retweeted, keyword, response)
                if original is not None:
                    yield original
        if seen == 0:
            self.count("empty")
            self._finish(keyword)
        elif reached_mark or page >= self.source_settings.max_pages:
            self._finish(keyword)
        else:
            yield self._search(keyword, page + 1)

    def _status(self, mblog: dict[str, Any], keyword: str, response: Response) -> Any:
        """An item, a request for the long text, or None for a deleted/malformed status."""
        if is_deleted(mblog):
            self.count("deleted")
            return None
        try:
            mention = mblog_to_mention(mblog, keyword, self.now())
        except (KeyError, ValueError, TypeError) as exc:
            self.problem("malformed_status", response, str(exc))
            return None
        if mblog.get("isLongText"):
            return scrapy.Request(
                f"{EXTEND_URL}?{urlencode({'id': _mid(mblog)})}", headers=HEADERS,
                cookies=self.cookies(), callback=self.parse_extend, errback=self.extend_failed,
                cb_kwargs={"mention": mention}, dont_filter=True,
            )
        return MentionItem(mention=mention, source=self.source)

    def parse_extend(self, response: Response, mention: Mention) -> Iterator[MentionItem]:
        """Full text of a long post; on any failure the truncated text is kept."""
        data = self.json_body(response) if not self.blocked_reason(response) else None
        inner = (data or {}).get("data") or {}
        long_text = inner.get("longTextContent") if isinstance(inner, dict) else None
        if data is None or data.get("ok") != 1 or not long_text:
            self.problem("extend_failed", response, mention.id)
            yield MentionItem(mention=mention, source=self.source)
            return
        update: dict[str, Any] = {"text": clean_text(str(long_text))}
        for field, key in (("reposts", "reposts_count"), ("comments", "comments_count"),
                           ("likes", "attitudes_count")):
            if key in inner:
                update[field] = parse_count(inner[key])
        yield MentionItem(mention=mention.model_copy(update=update), source=self.source)

    def extend_failed(self, failure: Any) -> Iterator[MentionItem]:
        mention = failure.request.cb_kwargs["mention"]
        self.problem("extend_failed", None, f"{mention.id}: {failure.value!r}")
        yield MentionItem(mention=mention, source=self.source)

    def _finish(self, keyword: str) -> None:
        self._finished.add(keyword)

    def closed(self, reason: str) -> None:
        """Move high-water marks only for keywords whose pagination ended normally."""
        if reason == "finished":
            for keyword in self._finished:
                newest = self._newest.get(keyword)
                if newest:
                    self.state.set_mark(self.source, keyword, str(newest))
        super().closed(reason)


def _mid(mblog: dict[str, Any]) -> int:
    try:
        return int(mblog.get("id") or mblog.get("mid") or 0)
    except (TypeError, ValueError):
        return 0
