"""The `[sites]` section: health checks of the utility's own web site, WeChat account pages
and online service channels, and the crawl of its own site for broken links.

Kept beside `yuqing/settings.py` (which includes it as `Settings.sites`) so that file stays
small; like it, this module imports no stage.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, SecretStr, field_validator, model_validator

from yuqing.settings_base import Section as _Section

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class TargetKind(StrEnum):
    page = "page"  # a page of the web site
    wechat_article = "wechat_article"  # an article of the WeChat official account
    wechat_menu = "wechat_menu"  # a page behind the account's menu (often an H5 service page)
    service = "service"  # an online service endpoint: 报装申请, 缴费查询, 进度查询
    download = "download"  # a file to download: 用气申请表 and others


TARGET_KIND_NAMES_ZH: dict[TargetKind, str] = {
    TargetKind.page: "网站页面",
    TargetKind.wechat_article: "公众号文章",
    TargetKind.wechat_menu: "公众号菜单",
    TargetKind.service: "线上服务",
    TargetKind.download: "文件下载",
}

# Texts that mean an error page answered with HTTP 200 (a "soft 404"); every text check
# uses these besides the target's own `must_not_contain`.
DEFAULT_ERROR_TEXTS = [
    "页面不存在", "页面未找到", "您访问的页面不存在", "404 Not Found", "服务器内部错误",
    "Internal Server Error", "系统繁忙", "系统异常", "数据库连接失败", "Service Unavailable",
]


def http_url(value: str) -> str:
    """An absolute http(s) URL with a host, or ValueError."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"'{value}' is not an http(s) URL with a host")
    return value.strip()


def _networks(values: list[str]) -> list[IPNetwork]:
    try:
        return [ipaddress.ip_network(v.strip(), strict=False) for v in values]
    except ValueError as exc:
        raise ValueError(f"not an address or network: {exc}") from None


class QueryRequest(_Section):
    """What a query endpoint is sent: method, query parameters, a JSON or form body, headers."""

    method: Literal["GET", "POST"] = "GET"
    params: dict[str, str] = {}
    json_body: dict[str, Any] | list[Any] | None = Field(default=None, alias="json")
    form: dict[str, str] = {}
    headers: dict[str, SecretStr] = {}  # may carry a token: masked in `config show`, never logged

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _one_body(self) -> QueryRequest:
        if self.json_body is not None and self.form:
            raise ValueError("send either json or form, not both")
        if self.method == "GET" and (self.json_body is not None or self.form):
            raise ValueError("a GET request has no body; use method = \"POST\"")
        return self


class SiteTarget(_Section):
    """One thing to check and what a healthy answer looks like."""

    name: str = Field(min_length=1, max_length=80)
    kind: TargetKind = TargetKind.page
    url: str
    interval_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)  # None: [sites] default
    expect_status: list[int] = [200]
    max_latency_ms: int = Field(default=3000, ge=1)
    timeout_seconds: float = Field(default=20, gt=0, le=300)
    must_contain: list[str] = []
    must_not_contain: list[str] = []
    content_type: str | None = None  # e.g. "text/html", "application/pdf" (media type prefix)
    min_bytes: int = Field(default=0, ge=0)
    max_redirects: int = Field(default=5, ge=0, le=20)
    min_cert_days: float = Field(default=14, ge=0)  # 0: do not check the certificate's age
    request: QueryRequest | None = None
    json_field: str | None = None  # dotted path that must exist in a JSON answer, e.g. "data.status"
    json_equals: str | int | float | bool | None = None  # and, when set, its value
    valid_hours: float | None = Field(default=None, gt=0)  # a notice older than this has expired
    allow_addresses: list[str] = []  # non-public networks this target may reach, e.g. "10.1.0.0/16"
    verify_tls: bool = True
    ca_file: Path | None = None  # extra CA bundle (an internal CA or a test certificate)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value)

    @field_validator("expect_status")
    @classmethod
    def _statuses(cls, value: list[int]) -> list[int]:
        if not value or any(not 100 <= code <= 599 for code in value):
            raise ValueError("name one or more HTTP status codes between 100 and 599")
        return value

    @field_validator("allow_addresses")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        _networks(value)
        return value

    @field_validator("ca_file")
    @classmethod
    def _ca_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value}: CA file not found")
        return value

    @model_validator(mode="after")
    def _json_expectation(self) -> SiteTarget:
        if self.json_equals is not None and not self.json_field:
            raise ValueError("json_equals needs json_field")
        return self

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()

    @property
    def networks(self) -> list[IPNetwork]:
        return _networks(self.allow_addresses)


class SiteCrawlSettings(_Section):
    """The crawl of the utility's own site for broken links and missing resources."""

    enabled: bool = True
    start_urls: list[str] = []  # same host only: links to other hosts are not followed
    max_depth: int = Field(default=3, ge=0, le=20)
    max_pages: int = Field(default=500, ge=1, le=100_000)
    interval_minutes: int = Field(default=24 * 60, ge=1, le=30 * 24 * 60)
    concurrency: int = Field(default=4, ge=1, le=32)
    download_delay: float = Field(default=0.1, ge=0, le=60)
    timeout_seconds: float = Field(default=20, gt=0, le=300)
    allow_addresses: list[str] = []  # as for targets

    @field_validator("start_urls")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        return [http_url(v) for v in value]

    @field_validator("allow_addresses")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        _networks(value)
        return value

    @property
    def networks(self) -> list[IPNetwork]:
        return _networks(self.allow_addresses)


class SitesSettings(_Section):
    enabled: bool = True  # the scheduler runs the checks and the crawl
    interval_minutes: int = Field(default=10, ge=1, le=7 * 24 * 60)  # for targets without their own
    concurrency: int = Field(default=16, ge=1, le=128)  # checks in flight at once
    failures_to_alert: int = Field(default=2, ge=1, le=100)  # failures in a row that open an incident
    keep_days: int = Field(default=90, ge=31, le=3650)  # results older than this are pruned
    extra_hosts: list[str] = []  # hosts besides the targets' own that redirects may go to
    error_texts: list[str] = DEFAULT_ERROR_TEXTS
    targets: list[SiteTarget] = []
    crawl: SiteCrawlSettings = SiteCrawlSettings()

    @field_validator("targets")
    @classmethod
    def _unique_names(cls, value: list[SiteTarget]) -> list[SiteTarget]:
        seen: set[str] = set()
        for target in value:
            if target.name in seen:
                raise ValueError(f"two targets are named '{target.name}'")
            seen.add(target.name)
        return value

    def interval_of(self, target: SiteTarget) -> int:
        return target.interval_minutes or self.interval_minutes

    def allowed_hosts(self) -> frozenset[str]:
        """Every host a check may fetch: the targets' own and the extra hosts."""
        return frozenset({t.host for t in self.targets} | {h.strip().lower() for h in self.extra_hosts})

    def target(self, name: str) -> SiteTarget | None:
        return next((t for t in self.targets if t.name == name), None)
