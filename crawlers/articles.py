"""Any news article page reduced to title, publish time, source and main text, with
trafilatura (a maintained extraction library) rather than hand-written rules per site."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import trafilatura

from yuqing.records import SHANGHAI

_DATE_PARAMS = {"extensive_search": True, "original_date": True, "outputformat": "%Y-%m-%d %H:%M:%S"}
# "来源：泰安日报" / "来源: 大众网" as printed on Chinese news pages.
_SOURCE = re.compile(r"来源\s*[:：]\s*([^\s<>|丨/]{2,20})")


@dataclass(frozen=True, slots=True)
class Article:
    title: str
    text: str
    published_at: datetime | None
    source: str  # the outlet (来源) or site name
    author: str


def extract_article(page: str, url: str) -> Article | None:
    """The article in an HTML page, or None when the page holds no article text."""
    doc = trafilatura.bare_extraction(page, url=url, with_metadata=True, include_comments=False, favor_precision=True,
                                      include_tables=False, date_extraction_params=_DATE_PARAMS)
    if doc is None or not (doc.text or "").strip():
        return None
    published = None
    if doc.date:
        try:
            published = datetime.strptime(doc.date, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
        except ValueError:
            published = None
    source = _SOURCE.search(page)
    return Article(title=(doc.title or "").strip(), text=doc.text.strip(), published_at=published,
                   source=source.group(1) if source else (doc.sitename or "").strip(),
                   author=(doc.author or "").strip())
