"""WeChat official-account articles: Sogou WeChat search for the keywords, followed accounts
(local media such as 泰安发布, the utility's own account), and each article page on
mp.weixin.qq.com for the title, account, publish time and body text.

Requests:
- `GET https://weixin.sogou.com/weixin?type=2&query=<keyword>&ie=utf8&page=N` (articles;
  Sogou orders by relevance, so the mark skips old articles but does not end pagination);
- `GET https://weixin.sogou.com/weixin?type=1&query=<account>&ie=utf8` (accounts), then the
  account's latest article and, when linked, its profile page (`var msgList`);
- a Sogou `/link?url=…` hop when results link there, then `mp.weixin.qq.com/s?…`.
Sogou answers crawlers with an anti-spider page (`/antispider/`, captcha): counted as
`captcha` and the keyword's range becomes a gap to back-fill.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy.http import Response

from crawlers.parsers import wechat
from crawlers.spiders.base import SourceSpider

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
           "Accept-Language": "zh-CN,zh;q=0.9"}


def search_url(query: str, page: int = 1, kind: int = 2) -> str:
    return f"{wechat.SOGOU}?{urlencode({'type': kind, 'query': query, 'ie': 'utf8', 'page': page})}"


class WechatSpider(SourceSpider):
    name = "wechat"
    source = "wechat"
    newest_first = False
    allowed_domains = ["weixin.sogou.com", "mp.weixin.qq.com"]
    headers = BROWSER

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for keyword in self.source_settings.keywords:
            yield self._search(keyword, 1)
        for account in self.source_settings.accounts:
            yield self.request(search_url(account, 1, kind=1), self.parse_accounts, key=f"account:{account}",
                               cb_kwargs={"account": account})

    def _search(self, keyword: str, page: int) -> scrapy.Request:
        return self.request(search_url(keyword, page), self.parse_search, key=keyword,
                            headers={"Referer": "https://weixin.sogou.com/"}, cb_kwargs={"page": page})

    def refusal(self, response: Response) -> str | None:
        if "/antispider" in urlsplit(response.url).path or "antispider" in response.headers.get(
                "Location", b"").decode("latin-1"):
            return "captcha"
        return super().refusal(response)

    def parse_search(self, response: Response, key: str, page: int) -> Iterator[Any]:
        if not self.usable(response, key):
            return
        hits = wechat.parse_search(response.text, response.url)
        if not hits:
            if "news-list" not in response.text and "noresult" not in response.text:
                self.problem("malformed", response, "no result list")
                self.fail(key, "malformed")
                return
            self.count("empty")
            self.finish(key, ended=True)
            return
        for hit in hits:
            if hit.published_at and self.known_at(key, hit.published_at):
                self.count("known")
                continue
            if hit.published_at:
                self.saw_at(key, hit.published_at)
            yield self._article(hit.url, key, response.url)
        if wechat.has_next_page(response.text) and page < self.page_budget(key):
            yield self._search(key, page + 1)
        else:
            self.finish(key, ended=not wechat.has_next_page(response.text))

    def _article(self, url: str, query: str, referer: str, track: bool = False) -> scrapy.Request:
        callback = self.parse_link if urlsplit(url).hostname == "weixin.sogou.com" else self.parse_article
        return self.request(url, callback, headers={"Referer": referer},
                            cb_kwargs={"query": query, "track": track})

    def parse_link(self, response: Response, query: str, track: bool) -> Iterator[Any]:
        """A Sogou redirect page: its script names the article URL."""
        if not self.usable(response):
            return
        target = response.headers.get("Location", b"").decode("latin-1") or wechat.redirect_target(response.text)
        if not target:
            self.problem("malformed", response, "redirect page without a target")
            return
        yield self._article(target, query, response.url, track)

    def parse_article(self, response: Response, query: str, track: bool = False) -> Iterator[Any]:
        if not self.usable(response):
            return
        if wechat.is_deleted(response.text):
            self.count("deleted")
            return
        try:
            mention = wechat.parse_article(response.text, response.url, self.now(), query=query)
        except ValueError as exc:
            self.problem("malformed", response, str(exc))
            return
        yield self.item(mention, response, key=query if track else None)

    # -- followed accounts -------------------------------------------------------------
    def parse_accounts(self, response: Response, key: str, account: str) -> Iterator[Any]:
        if not self.usable(response, key):
            return
        found = [a for a in wechat.parse_accounts(response.text, response.url)
                 if account in (a.name, a.wechat_id)]
        if not found:
            self.problem("account_not_found", response, account)
            self.finish(key, ended=True)
            return
        hit = found[0]
        if hit.latest_url:
            yield self._article(hit.latest_url, key, response.url, track=True)
        if hit.profile_url:
            yield self.request(hit.profile_url, self.parse_profile, key=key,
                               headers={"Referer": response.url})
        else:
            self.finish(key, ended=True)

    def parse_profile(self, response: Response, key: str) -> Iterator[Any]:
        """An account page: every article newer than the mark."""
        if not self.usable(response, key):
            return
        for url, when, _title in wechat.parse_msglist(response.text):
            if when and self.known_at(key, when):
                continue
            if when:
                self.saw_at(key, when)
            yield self._article(url, key, response.url, track=True)
        self.finish(key, ended=True)
