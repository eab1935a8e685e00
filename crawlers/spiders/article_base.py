"""Spiders that find articles in a list (search results, feeds) and then read each article
page. The list gives a *teaser* mention (title, summary, time, outlet); the page completes
it. When the page cannot be read, the teaser is kept, so a found mention is never lost."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawlers.articles import extract_article
from crawlers.spiders.base import SourceSpider
from nlp.clean import clean_text
from yuqing.records import Author, Mention

ARTICLE_HEADERS = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
                   "Accept-Language": "zh-CN,zh;q=0.9"}


class ArticleSourceSpider(SourceSpider):
    def article(self, url: str, teaser: Mention, referer: str = "") -> scrapy.Request:
        return self.request(url, self.parse_article_page, headers={**ARTICLE_HEADERS, "Referer": referer},
                            cb_kwargs={"teaser": teaser})

    def read_article(self, response: Response, teaser: Mention) -> Mention | None:
        """The teaser completed from the page (override for platform templates)."""
        article = extract_article(response.text, response.url)
        if article is None:
            return None
        update: dict[str, Any] = {"text": clean_text(article.text), "url": response.url}
        if article.title:
            update["title"] = clean_text(article.title)
        if article.published_at:
            update["published_at"] = article.published_at  # the page's own time beats "3小时前"
        if not teaser.author.name and (article.source or article.author):
            update["author"] = Author(name=article.source or article.author)
        return teaser.model_copy(update=update)

    def parse_article_page(self, response: Response, teaser: Mention) -> Iterator[Any]:
        if self.is_deleted_page(response):
            self.count("deleted")  # the list showed it, so what it said is kept
            yield self.item(teaser, None)
            return
        if not self.usable(response):
            yield self.item(teaser, None)
            return
        mention = self.read_article(response, teaser)
        if mention is None:
            self.problem("article_unreadable", response, teaser.id)
            yield self.item(teaser, None)
            return
        yield self.item(mention, response)

    def is_deleted_page(self, response: Response) -> bool:
        return response.status in (404, 410)

    def request_failed(self, failure: Any) -> Iterator[Any]:
        teaser = failure.request.cb_kwargs.get("teaser")
        if teaser is None:
            super().request_failed(failure)
            return
        self.problem("article_failed", None, f"{failure.request.url}: {failure.value.__class__.__name__}")
        yield self.item(teaser, None)
