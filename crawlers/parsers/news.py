"""News: Baidu News search result pages and RSS/Atom feeds of media.

- Baidu News `www.baidu.com/s?tn=news&rtt=4&bsst=1&cl=2&wd=…&pn=N` (rtt=4: newest first).
  Current layout: `#content_left > div.result-op.c-container` with the title link
  `h3 a` (`aria-label="标题：…"`), the outlet `span.c-color-gray`, the time
  `span.c-color-gray2` (relative: "3小时前", "昨天 14:05", or "2024年1月2日"), the summary
  `span.c-font-normal` / `.c-span-last`. Older layout: `div.result > h3.c-title > a` with
  `p.c-author` = "来源  时间". The next page link is `#page a.n` ("下一页").
- Feeds: RSS 2.0 / Atom through feedparser (declared encodings respected); entries with
  title, link, published/updated, summary, author.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime

import feedparser
from parsel import Selector

from crawlers.parsing import parse_cn_time
from nlp.clean import clean_text
from yuqing.records import SHANGHAI, Author, Kind, Mention, Platform, mention_id


@dataclass(frozen=True, slots=True)
class NewsHit:
    url: str
    title: str
    summary: str
    outlet: str
    published_at: datetime | None


def _text(nodes: Selector | list) -> str:
    return re.sub(r"\s+", " ", " ".join(n.xpath("string(.)").get() or "" for n in nodes)).strip()


def baidu_results(page: str, now: datetime) -> list[NewsHit] | None:
    """Results of a Baidu News page; None when the page is not a result page at all."""
    doc = Selector(text=page)
    if not doc.css("#content_left, #wrapper_wrapper, #container"):
        return None
    hits = []
    for card in doc.css("#content_left div.result-op.c-container, #content_left div.result"):
        link = card.css("h3 a")
        href = link.attrib.get("href", "") if link else ""
        if not href.startswith("http"):
            continue
        title = (link.attrib.get("aria-label") or "").removeprefix("标题：") or _text(link[:1])
        outlet = _text(card.css("span.c-color-gray, .news-source span, [class*=source-text]")[:1])
        when_text = _text(card.css("span.c-color-gray2, [class*=time]")[:1])
        author_line = _text(card.css("p.c-author, div.c-title-author")[:1])
        if author_line and not outlet:  # older layout: "来源  时间"
            outlet = author_line.split(" ")[0]
            when_text = author_line
        summary = _text(card.css("[aria-label^='摘要'], span.c-font-normal:not(.c-color-gray2), "
                                 ".c-span-last, div.c-summary")[:1])
        hits.append(NewsHit(url=href, title=clean_text(title), summary=clean_text(summary), outlet=outlet,
                            published_at=parse_cn_time(when_text, now) if when_text else None))
    return hits


def baidu_has_next(page: str) -> bool:
    return any("下一页" in (t or "") for t in Selector(text=page).css("#page a ::text").getall())


def feed_entries(body: bytes) -> tuple[list[NewsHit], str, bool] | None:
    """(entries, feed title, broken) of an RSS/Atom document; None when it is not a feed.
    `broken` is set when the XML is cut off or malformed (the entries before the break are
    returned); a mere encoding mismatch is not counted as broken."""
    feed = feedparser.parse(body)
    if not feed.entries and not feed.feed.get("title"):
        return None
    error = feed.get("bozo_exception")
    broken = bool(feed.bozo) and not isinstance(error, feedparser.CharacterEncodingOverride)
    hits = []
    for entry in feed.entries:
        parsed = entry.get("published_parsed") or entry.get("updated_parsed")
        when = datetime.fromtimestamp(calendar.timegm(parsed), SHANGHAI) if parsed else None
        summary = entry.get("summary") or ""
        if not summary and entry.get("content"):
            summary = entry["content"][0].get("value", "")
        hits.append(NewsHit(url=str(entry.get("link") or ""), title=clean_text(entry.get("title") or ""),
                            summary=clean_text(summary), outlet=str(entry.get("author") or ""),
                            published_at=when))
    return hits, str(feed.feed.get("title") or ""), broken


def hit_to_mention(hit: NewsHit, query: str, now: datetime, outlet: str = "") -> Mention:
    """A teaser mention for a news hit (the article page completes it)."""
    return Mention(
        id=mention_id(Platform.news, url=hit.url), platform=Platform.news, kind=Kind.article, url=hit.url,
        title=hit.title, text=hit.summary, author=Author(name=hit.outlet or outlet),
        published_at=hit.published_at or now, fetched_at=now, query=query)


def matches(hit: NewsHit, keywords: list[str]) -> str | None:
    """The first keyword (all of its space-separated words) found in the hit, or None."""
    text = f"{hit.title} {hit.summary}"
    for keyword in keywords:
        if all(word in text for word in keyword.split()):
            return keyword
    return None
