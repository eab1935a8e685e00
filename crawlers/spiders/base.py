"""What every source spider shares: its settings section, refusal detection, incremental
marks and gap tracking per key, evidence on every item, follow-up comment requests, and
the health verdict written when the crawl closes.

Problems are counted in namespaced stats (`yuqing/<source>/<problem>`) as well as logged,
so a crawl report and the source health page can say why a source came back empty.

A *key* is what a crawl walks (a keyword, an account, a feed, a board). Each key ends a run
in one of three ways, which decide its high-water mark and its gaps (`crawlers/gaps.py`):
`finish(key, reached_bound=..., ended=...)` after normal pagination, `fail(key, reason)`
when the platform refused or broke, or neither (the crawl was stopped): treated as failed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawlers.gaps import Gap, GapBook
from crawlers.health import HealthBook, SourceHealth, assess
from crawlers.items import MentionItem
from crawlers.state import CrawlState
from store.evidence import Evidence
from yuqing.records import SHANGHAI, Analysis, Kind, Mention, SentimentLabel
from yuqing.settings import Settings, SourceSettings

HANDLED_STATUSES = [301, 302, 303, 307, 400, 401, 403, 404, 410, 418, 429, 500, 502, 503, 504]
CAPTCHA_MARKERS = ("验证码", "captcha", "antispider", "安全验证", "滑动验证", "人机验证")
LOGIN_MARKERS = ("请先登录", "登录后查看", "扫码登录", "Sina Visitor System")


@dataclass(slots=True)
class KeyRun:
    """What one run saw of one key."""

    newest_mark: int = 0
    oldest: datetime | None = None
    finished: bool = False
    complete: bool = False
    failed: str = ""


class SourceSpider(scrapy.Spider):
    source: str = ""
    newest_first: bool = True  # results are ordered newest first, so a mark ends pagination
    login_hosts: tuple[str, ...] = ()
    headers: dict[str, str] = {}
    handle_httpstatus_list = HANDLED_STATUSES

    settings_obj: Settings
    source_settings: SourceSettings
    state: CrawlState

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.settings_obj = crawler.settings["YUQING_SETTINGS"]
        spider.source_settings = getattr(spider.settings_obj.sources, cls.source)
        state_path = crawler.settings.get("YUQING_STATE_PATH") or spider.settings_obj.storage.crawl_state_db
        spider.state = CrawlState(state_path)
        spider.gaps = GapBook(spider.state.conn)
        spider.health = HealthBook(spider.state.conn)
        spider.started_at = spider.now()
        spider.runs = {}
        spider.commented = set()
        spider.open_gaps = {}
        spider.marks_at_start = {}
        return spider

    def now(self) -> datetime:
        return datetime.now(SHANGHAI)

    # -- requests ----------------------------------------------------------------------
    def cookies(self) -> dict[str, str]:
        """The configured cookie string as a dict (the value itself is never logged)."""
        secret = self.source_settings.cookie
        if not secret:
            return {}
        pairs = (part.split("=", 1) for part in secret.get_secret_value().split(";") if "=" in part)
        return {name.strip(): value.strip() for name, value in pairs}

    def request(self, url: str, callback: Any, *, key: str | None = None, headers: dict | None = None,
                **kwargs: Any) -> scrapy.Request:
        """A request with this source's headers and cookie; failures are counted per key."""
        cb_kwargs = {**kwargs.pop("cb_kwargs", {}), **({"key": key} if key is not None else {})}
        return scrapy.Request(url, callback=callback, errback=self.request_failed,
                              headers={**self.headers, **(headers or {})}, cookies=self.cookies(),
                              cb_kwargs=cb_kwargs, dont_filter=True, **kwargs)

    def request_failed(self, failure: Any) -> None:
        """Network errors after retries; a request the budget refused was counted already."""
        key = failure.request.cb_kwargs.get("key")
        if failure.check(IgnoreRequest):
            reason = failure.request.meta.get("yuqing_refused", "ignored")
        else:
            reason = "network_error"
            self.problem(reason, None, f"{failure.request.url}: {failure.value.__class__.__name__}")
        if key is not None:
            self.fail(key, reason)

    # -- counting and refusals ---------------------------------------------------------
    def count(self, what: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"yuqing/{self.source}/{what}", n)

    def problem(self, what: str, response: Response | None, detail: str = "") -> None:
        """Count and log a problem; the crawl goes on with whatever else it can do."""
        self.count(what)
        where = f" at {response.url} (HTTP {response.status})" if response is not None else ""
        self.logger.warning("%s: %s%s%s", self.source, what, where, f": {detail}" if detail else "")

    def refusal(self, response: Response) -> str | None:
        """Why a response is a refusal or an error rather than data, or None."""
        for url in (response.url, response.headers.get("Location", b"").decode("latin-1")):
            parts = urlsplit(url)
            if (parts.hostname or "") in self.login_hosts or "/login" in parts.path or "/signin" in parts.path:
                return "login_wall"
        if response.status >= 300:
            return f"http_{response.status}"
        if not response.body.strip():
            return "empty_200"
        head = response.body[:4000].decode("utf-8", "replace")
        if head.lstrip().startswith("<"):
            lowered = head.lower()
            if any(marker in lowered for marker in CAPTCHA_MARKERS):
                return "captcha"
            if any(marker in head for marker in LOGIN_MARKERS):
                return "login_wall"
        return None

    def usable(self, response: Response, key: str | None = None) -> bool:
        """Count the page; a refusal is a counted problem (and a failed key), not data."""
        self.count("pages")
        reason = self.refusal(response)
        if reason:
            self.problem(reason, response, f"key {key!r}" if key else "")
            if key is not None:
                self.fail(key, reason)
            return False
        self.count("pages_ok")
        return True

    def refused(self, reason: str, response: Response, key: str | None) -> None:
        """An HTTP-200 page that turned out to be a refusal (an API error, a captcha flag)."""
        self.count("pages_ok", -1)
        self.problem(reason, response, f"key {key!r}" if key else "")
        if key is not None:
            self.fail(key, reason)

    def json_body(self, response: Response) -> dict | None:
        """The JSON object in a response, or None after counting it as malformed."""
        try:
            data = json.loads(response.text)
        except (ValueError, AttributeError) as exc:
            self.problem("malformed", response, f"not JSON ({exc.__class__.__name__})")
            return None
        if not isinstance(data, dict):
            self.problem("malformed", response, "JSON is not an object")
            return None
        return data

    # -- items, marks and gaps ---------------------------------------------------------
    def run(self, key: str) -> KeyRun:
        return self.runs.setdefault(key, KeyRun())

    def mark_of(self, mention: Mention) -> int:
        """The value a high-water mark keeps for a mention (default: publish time, epoch)."""
        return int(mention.published_at.timestamp())

    def mark(self, key: str) -> int:
        """The key's mark as it was when the crawl started (read once per key)."""
        if key not in self.marks_at_start:
            try:
                self.marks_at_start[key] = int(self.state.mark(self.source, key) or 0)
            except ValueError:
                self.marks_at_start[key] = 0
        return self.marks_at_start[key]

    def gap(self, key: str) -> Gap | None:
        """The key's open gap as it was when the crawl started (read once per key)."""
        if key not in self.open_gaps:
            self.open_gaps[key] = self.gaps.open_gap(self.source, key)
        return self.open_gaps[key]

    def page_budget(self, key: str) -> int:
        """Pages to read for a key: more while a gap of it is open (back-filling)."""
        extra = self.source_settings.backfill_pages if self.gap(key) else 0
        return self.source_settings.max_pages + extra

    def known(self, key: str, mention: Mention) -> bool:
        """Already read by an earlier run (below the mark, or below an open gap's start)."""
        gap = self.gap(key)
        if gap is not None:
            return mention.published_at < gap.start
        return self.mark_of(mention) <= self.mark(key)

    def known_at(self, key: str, when: datetime) -> bool:
        """`known` for a result that shows only its time (spiders whose marks are times)."""
        gap = self.gap(key)
        if gap is not None:
            return when < gap.start
        return int(when.timestamp()) <= self.mark(key)

    def saw(self, key: str, mention: Mention) -> None:
        """Note a mention the key's results held (for its mark and its covered range)."""
        self.saw_at(key, mention.published_at, self.mark_of(mention))

    def saw_at(self, key: str, when: datetime, mark: int | None = None) -> None:
        run = self.run(key)
        run.newest_mark = max(run.newest_mark, int(when.timestamp()) if mark is None else mark)
        if run.oldest is None or when < run.oldest:
            run.oldest = when

    @property
    def finished_keys(self) -> set[str]:
        return {key for key, run in self.runs.items() if run.finished and not run.failed}

    def item(self, mention: Mention, response: Response | None, key: str | None = None) -> MentionItem:
        """The item for a mention, with the raw response it came from as evidence."""
        self.count("items")
        if key is not None:
            self.saw(key, mention)
        evidence = None
        if response is not None:
            evidence = Evidence(url=response.url, fetched_at=self.now(), body=response.body,
                                status=response.status,
                                content_type=response.headers.get("Content-Type", b"").decode("latin-1"))
        return MentionItem(mention=mention, source=self.source, evidence=evidence)

    def finish(self, key: str, *, reached_bound: bool = False, ended: bool = False) -> None:
        """The key's pagination ended normally: at known items, at the end, or at the budget."""
        run = self.run(key)
        run.finished = True
        run.complete = reached_bound or ended or not self.newest_first

    def fail(self, key: str, reason: str) -> None:
        self.run(key).failed = self.run(key).failed or reason

    # -- follow-ups (comments of posts that matter) -------------------------------------
    def follow_ups(self, mention: Mention, analysis: Analysis) -> list[scrapy.Request]:
        """Comment requests for a relevant post that is negative or has high engagement."""
        config = self.source_settings
        if not getattr(config, "comments", False) or mention.kind == Kind.comment:
            return []
        if mention.id in self.commented or not analysis.relevant:
            return []
        negative = analysis.sentiment.label == SentimentLabel.negative
        if not negative and mention.engagement < config.comments_min_engagement:
            return []
        self.commented.add(mention.id)
        self.count("comments_requested")
        return list(self.comment_requests(mention))

    def comment_requests(self, mention: Mention) -> Iterable[scrapy.Request]:
        return ()

    # -- the end of the crawl ----------------------------------------------------------
    def closed(self, reason: str) -> None:
        """Move marks, record gaps and the source's health, then release the state file."""
        now = self.now()
        for key, run in self.runs.items():
            if run.finished and not run.failed:
                if run.newest_mark > self.mark(key):  # the mark read at the start
                    self.state.set_mark(self.source, key, str(run.newest_mark), now)
                self.gaps.crawled(self.source, key, complete=run.complete, oldest=run.oldest,
                                  started_at=self.started_at, now=now)
            else:
                self.gaps.failed(self.source, key, reason=run.failed or f"stopped_{reason}", now=now)
        self.record_health(now)
        self.state.close()

    def record_health(self, now: datetime) -> SourceHealth:
        state, why, problems, items = assess(self.source, self.crawler.stats.get_stats())
        return self.health.record(self.source, state, why, items=items, problems=problems, now=now)
