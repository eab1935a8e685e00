"""Reading a fetched page as a person would: its visible text, WeChat's "this content is
unavailable" pages, and the publication time (or stated validity) of a notice.

WeChat answers HTTP 200 for deleted, blocked and expired articles and shows a `weui-msg`
box instead of the article; plain status checkers call those pages healthy.
"""

from __future__ import annotations

import re
from datetime import datetime

from parsel import Selector

from crawlers.sitecheck.errors import Reason
from yuqing.records import SHANGHAI

# Phrases WeChat shows instead of an article, by what they mean.
WECHAT_UNAVAILABLE: tuple[tuple[Reason, tuple[str, ...]], ...] = (
    (Reason.wechat_deleted, ("该内容已被发布者删除", "此内容已被发布者删除", "该文章已被发布者删除",
                             "此内容已被删除", "该内容已被删除")),
    (Reason.wechat_blocked, ("此内容因违规无法查看", "该内容因违规无法查看", "此内容被多人投诉",
                             "涉嫌违反相关法律法规和政策", "此帐号已被屏蔽", "此账号已被屏蔽",
                             "该公众号已被屏蔽", "已停止访问该网页", "该帐号因违规无法使用")),
    (Reason.wechat_unavailable, ("链接已过期", "该公众号已迁移", "此帐号已自主注销", "此账号已自主注销",
                                 "内容无法查看", "该内容暂时无法查看")),
)

_DATE = (r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
         r"(?:[\sT]*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?")
_VALID_UNTIL = re.compile(r"有效期(?:至|截至|截止)\s*[：:]?\s*" + _DATE)
_PUBLISHED_TEXT = re.compile(r"(?:发布时间|发布日期|发文日期|发表时间)\s*[：:]?\s*" + _DATE)
_WECHAT_CT = re.compile(r"""var\s+ct\s*=\s*["'](\d{9,11})["']""")
_WECHAT_PUBLISH = re.compile(r"""var\s+publish_time\s*=\s*["']([^"']+)["']""")
_META_XPATHS = (
    "//meta[@property='article:published_time']/@content",
    "//meta[translate(@name,'PUBDATEISH','pubdateish')='pubdate']/@content",
    "//meta[translate(@name,'PUBLISHDATE','publishdate')='publishdate']/@content",
    "//time/@datetime",
    "//*[@id='publish_time']/text()",
    "//*[@id='post-date']/text()",
)


def decode(body: bytes, content_type: str) -> str:
    """Body text: the header's charset, else a <meta charset> near the top, else UTF-8."""
    found = re.search(r"charset=([\w-]+)", content_type, re.I)
    if not found:
        found = re.search(rb"""<meta[^>]+charset=["']?([\w-]+)""", body[:4096], re.I)
    charset = found.group(1) if found else "utf-8"
    charset = charset.decode("ascii", "replace") if isinstance(charset, bytes) else charset
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


class Page:
    """A fetched text response: for HTML, the text a visitor sees (title and body).

    The HTML is parsed once, on first use (or an already parsed selector is passed in)."""

    def __init__(self, raw: str, *, html: bool, selector: Selector | None = None) -> None:
        self.raw = raw
        self.html = html
        self._selector = selector
        self._text: str | None = None

    @property
    def selector(self) -> Selector:
        if self._selector is None:
            self._selector = Selector(text=self.raw or "<html></html>")
        return self._selector

    def visible_text(self) -> str:
        if self._text is None:
            if not self.html:
                self._text = self.raw
            else:
                parts = self.selector.xpath("//title//text() | //body//text()[not(ancestor::script)"
                                            " and not(ancestor::style) and not(ancestor::noscript)]").getall()
                self._text = " ".join(p.strip() for p in parts if p.strip())
        return self._text


def wechat_unavailable(page: Page) -> tuple[Reason, str] | None:
    """(reason, the phrase shown) when WeChat shows a notice instead of the article."""
    text = page.visible_text()
    for reason, phrases in WECHAT_UNAVAILABLE:
        for phrase in phrases:
            if phrase in text:
                return reason, phrase
    if page.html:
        box = " ".join(t.strip() for t in page.selector.css(".weui-msg__title ::text").getall() if t.strip())
        if box:
            return Reason.wechat_unavailable, box
    return None


def parse_time(text: str) -> datetime | None:
    """A date or date-time in the usual Chinese and ISO spellings; naive means Asia/Shanghai."""
    text = text.strip()
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    except ValueError:
        pass
    found = re.search(_DATE, text)
    return _from_groups(found.groups()) if found else None


def _from_groups(groups: tuple[str | None, ...]) -> datetime | None:
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in groups)
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)
    except ValueError:
        return None


def valid_until(page: Page) -> datetime | None:
    """The end of validity a notice states itself ("有效期至 2026-11-21 18:00")."""
    found = _VALID_UNTIL.search(page.visible_text())
    if not found:
        return None
    end = _from_groups(found.groups())
    if end is not None and not found.group(4):  # a date alone is valid to the end of that day
        end = end.replace(hour=23, minute=59, second=59)
    return end


def published_at(page: Page) -> datetime | None:
    """When the page was published: WeChat's `ct`, meta tags, <time>, or "发布时间：…"."""
    found = _WECHAT_CT.search(page.raw)
    if found:
        return datetime.fromtimestamp(int(found.group(1)), SHANGHAI)
    found = _WECHAT_PUBLISH.search(page.raw)
    if found and (value := parse_time(found.group(1))):
        return value
    if page.html:
        selector = page.selector
        for xpath in _META_XPATHS:
            for candidate in selector.xpath(xpath).getall():
                if value := parse_time(candidate):
                    return value
    found = _PUBLISHED_TEXT.search(page.visible_text())
    return _from_groups(found.groups()) if found else None
