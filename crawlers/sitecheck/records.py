"""What the site checks produce: one `CheckResult` per target and run, incidents (a target
failing several times in a row), per-window statistics, and the site crawl's findings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, computed_field

from crawlers.sitecheck.errors import REASON_NAMES_ZH, CheckFailure, Reason
from yuqing.records import ShanghaiTime
from yuqing.settings_sites import SiteTarget, TargetKind


class CheckStatus(StrEnum):
    ok = "ok"
    failed = "failed"


class CheckResult(BaseModel):
    target: str
    kind: TargetKind
    url: str
    final_url: str | None = None  # where the check ended (after redirects, or where it failed)
    status: CheckStatus
    reason: Reason = Reason.ok
    detail: str = ""  # Chinese, for staff
    http_status: int | None = None
    latency_ms: float | None = None
    size: int | None = None
    cert_days_left: float | None = None
    checked_at: ShanghaiTime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def reason_zh(self) -> str:
        return REASON_NAMES_ZH[self.reason]

    @property
    def ok(self) -> bool:
        return self.status == CheckStatus.ok

    @classmethod
    def failed(cls, target: SiteTarget, failure: CheckFailure, *, checked_at: datetime,
               latency_ms: float | None = None, cert_days_left: float | None = None,
               size: int | None = None) -> CheckResult:
        return cls(target=target.name, kind=target.kind, url=target.url, final_url=failure.url,
                   status=CheckStatus.failed, reason=failure.reason, detail=failure.detail,
                   http_status=failure.status, latency_ms=latency_ms, size=size,
                   cert_days_left=cert_days_left, checked_at=checked_at)


class Incident(BaseModel):
    """A target that failed `failures_to_alert` times in a row, until it passes again."""

    id: int
    target: str
    opened_at: ShanghaiTime
    reason: Reason
    detail: str
    alert_ref: str | None = None  # what the alert hook returned (e.g. the alert's id)
    recovered_at: ShanghaiTime | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def reason_zh(self) -> str:
        return REASON_NAMES_ZH[self.reason]


class WindowStats(BaseModel):
    window: str  # "24h", "7d", "30d"
    checks: int
    ok: int
    uptime: float | None  # percent; None without checks
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    first_at: datetime | None = None  # the oldest check inside the window: how much of it the figures cover


class CrawlProblem(BaseModel):
    """A broken internal link or a missing resource, with the page that links to it."""

    page: str  # the page linking to it ("" for a start URL)
    url: str
    resource: str  # page, image, script, stylesheet, file, frame
    http_status: int | None = None
    reason: Reason
    detail: str = ""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def reason_zh(self) -> str:
        return REASON_NAMES_ZH[self.reason]


class CrawlReport(BaseModel):
    start_urls: list[str]
    started_at: ShanghaiTime
    finished_at: ShanghaiTime
    pages: int  # HTML pages fetched
    resources: int  # other URLs checked (images, scripts, files ...)
    skipped: int  # internal links not visited because of the depth or page limit
    problems: list[CrawlProblem]

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()
