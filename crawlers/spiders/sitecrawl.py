"""The own-site health spider: walks the utility's web site from its start URLs (same host
only, within depth and page limits) and finds every broken internal link and missing
resource — image, script, stylesheet, frame, downloadable file — with the pages that link
to it.

Pages are fetched with GET and parsed; other resources with HEAD (GET when a server does
not answer HEAD). Redirects are followed by the spider itself on the same host only; a
redirect elsewhere is reported, never followed. Problems are also counted in the stats
(`yuqing/sitecrawl/<reason>`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urldefrag, urlsplit

import scrapy
from scrapy.exceptions import CannotResolveHostError, DownloadTimeoutError
from scrapy.http import Response
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from crawlers.sitecheck.errors import Reason
from crawlers.sitecheck.pages import Page
from crawlers.sitecheck.records import CrawlProblem, CrawlReport
from crawlers.sitecheck.resolver import REFUSED
from yuqing.records import SHANGHAI
from yuqing.settings import Settings

MAX_REDIRECTS = 5
FILE_SUFFIXES = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".zip", ".rar", ".7z", ".wps",
                 ".txt", ".csv", ".apk", ".jpg", ".jpeg", ".png", ".gif", ".mp4")
RESOURCES = (
    ("image", "//img/@src | //input[@type='image']/@src"),
    ("script", "//script/@src"),
    ("stylesheet", "//link[contains(concat(' ', normalize-space(@rel), ' '), ' stylesheet ')]/@href"),
    ("frame", "//iframe/@src | //frame/@src"),
    ("link", "//a/@href | //area/@href"),
)
EMBEDDED = ("image", "script", "stylesheet")


class SiteCrawlSpider(scrapy.Spider):
    name = "sitecrawl"

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SiteCrawlSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings: Settings = crawler.settings["YUQING_SETTINGS"]
        crawl = settings.sites.crawl
        spider.start_urls = crawler.settings.getlist("YUQING_START_URLS") or crawl.start_urls
        spider.max_pages = crawler.settings.getint("YUQING_MAX_PAGES") or crawl.max_pages
        depth = crawler.settings.get("YUQING_MAX_DEPTH")
        spider.max_depth = crawl.max_depth if depth is None else int(depth)
        spider.error_texts = list(settings.sites.error_texts)
        spider.hosts = {(urlsplit(u).hostname or "").lower() for u in spider.start_urls}
        spider.seen: dict[str, str] = {}  # url -> resource kind
        spider.referrers: dict[str, list[str]] = defaultdict(list)
        spider.failures: dict[str, tuple[str, Reason, int | None, str]] = {}
        spider.counts = {"pages": 0, "resources": 0, "skipped": 0, "scheduled_pages": 0}
        spider.started_at = datetime.now(SHANGHAI)
        return spider

    # --- scheduling ----------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.start_urls:
            if request := self._enqueue(url, "page", 0, None):
                yield request

    def _same_site(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and (parts.hostname or "").lower() in self.hosts

    def _enqueue(self, url: str, resource: str, depth: int, referrer: str | None) -> scrapy.Request | None:
        url = urldefrag(url)[0]
        if referrer is not None and referrer not in self.referrers[url]:
            self.referrers[url].append(referrer)
        if url in self.seen:
            return None
        if resource == "page":
            if depth > self.max_depth or self.counts["scheduled_pages"] >= self.max_pages:
                self.seen[url] = "skipped"
                self.counts["skipped"] += 1
                return None
            self.counts["scheduled_pages"] += 1
        self.seen[url] = resource
        return self._request(url, resource=resource, depth=depth, origin=url, hops=0)

    def _request(self, url: str, *, resource: str, depth: int, origin: str, hops: int,
                 method: str | None = None, chain: tuple[str, ...] = ()) -> scrapy.Request:
        method = method or ("GET" if resource == "page" else "HEAD")
        return scrapy.Request(url, method=method, callback=self.parse, errback=self.failed, dont_filter=True,
                              priority=-depth, meta={"resource": resource, "site_depth": depth, "origin": origin,
                                                     "hops": hops, "chain": chain, "dont_redirect": True,
                                                     "handle_httpstatus_all": True})

    # --- answers -------------------------------------------------------------------------

    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        meta = response.meta
        origin, resource, status = meta["origin"], meta["resource"], response.status
        if 300 <= status < 400 and response.headers.get("Location"):
            yield from self._redirect(response)
            return
        if response.request.method == "HEAD" and status in (405, 501):
            yield self._request(response.url, resource=resource, depth=meta["site_depth"], origin=origin,
                                hops=meta["hops"], method="GET", chain=meta["chain"])
            return
        self.counts["pages" if resource == "page" else "resources"] += 1
        if status >= 400:
            self._fail(origin, resource, Reason.http_status, status, f"HTTP {status}")
            return
        media = response.headers.get("Content-Type", b"").decode("latin-1").split(";")[0].strip().lower()
        if resource in EMBEDDED and media == "text/html":
            self._fail(origin, resource, Reason.content_type, status, "返回的是网页而不是资源文件（可能是错误页）")
            return
        if resource == "page" and media in ("text/html", "application/xhtml+xml"):
            text = Page(response.text, html=True, selector=response.selector).visible_text()
            if bad := next((t for t in self.error_texts if t and t in text), None):
                self._fail(origin, resource, Reason.error_text, status, f"页面含有“{bad}”")
            yield from self._links(response, meta["site_depth"])

    def _links(self, response: Response, depth: int) -> Iterator[scrapy.Request]:
        for kind, xpath in RESOURCES:
            for href in response.xpath(xpath).getall():
                url = response.urljoin(href.strip())
                if not self._same_site(url):
                    continue
                if kind == "link":
                    kind_here = "file" if urlsplit(url).path.lower().endswith(FILE_SUFFIXES) else "page"
                else:
                    kind_here = kind
                request = self._enqueue(url, kind_here, depth + 1 if kind_here == "page" else depth, response.url)
                if request is not None:
                    yield request

    def _redirect(self, response: Response) -> Iterator[scrapy.Request]:
        meta = response.meta
        origin, resource = meta["origin"], meta["resource"]
        location = urldefrag(response.urljoin(response.headers["Location"].decode("latin-1")))[0]
        chain = (*meta["chain"], response.url)
        if not self._same_site(location):
            self._fail(origin, resource, Reason.foreign_redirect, response.status,
                       f"跳转到其他站点 {urlsplit(location).hostname or location}，未跟随")
        elif location in chain:
            self._fail(origin, resource, Reason.redirect_loop, response.status, f"循环跳转：{location}")
        elif meta["hops"] >= MAX_REDIRECTS:
            self._fail(origin, resource, Reason.too_many_redirects, response.status, f"跳转超过 {MAX_REDIRECTS} 次")
        else:
            yield self._request(location, resource=resource, depth=meta["site_depth"], origin=origin,
                                hops=meta["hops"] + 1, chain=chain)

    def failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        host = (urlsplit(request.url).hostname or "").lower()
        self.counts["pages" if request.meta["resource"] == "page" else "resources"] += 1
        if failure.check(CannotResolveHostError, DNSLookupError) and host in REFUSED:
            reason, detail = Reason.address_refused, f"{host} 解析为非公网地址 ({', '.join(REFUSED[host])})，未获准访问"
        elif failure.check(DownloadTimeoutError, TimeoutError, TCPTimedOutError):
            reason, detail = Reason.timeout, "请求超时"
        else:
            reason, detail = Reason.connect_error, f"连接失败: {failure.getErrorMessage()}"
        self._fail(request.meta["origin"], request.meta["resource"], reason, None, detail)

    def _fail(self, url: str, resource: str, reason: Reason, status: int | None, detail: str) -> None:
        self.failures[url] = (resource, reason, status, detail)
        self.crawler.stats.inc_value(f"yuqing/sitecrawl/{reason}")
        self.logger.warning("sitecrawl: %s %s: %s", reason, url, detail)

    # --- the result ----------------------------------------------------------------------

    def report(self, finished_at: datetime | None = None) -> CrawlReport:
        """Every failure once per page linking to it (a failing start URL: page "")."""
        problems = [CrawlProblem(page=page, url=url, resource=resource, http_status=status, reason=reason,
                                 detail=detail)
                    for url, (resource, reason, status, detail) in self.failures.items()
                    for page in (self.referrers.get(url) or [""])]
        problems.sort(key=lambda p: (p.page, p.url))
        return CrawlReport(start_urls=list(self.start_urls), started_at=self.started_at,
                           finished_at=finished_at or datetime.now(SHANGHAI), pages=self.counts["pages"],
                           resources=self.counts["resources"], skipped=self.counts["skipped"], problems=problems)
