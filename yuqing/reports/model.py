"""What a briefing says, as plain records: built once, rendered to HTML and DOCX, kept as JSON."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel

from store.base import Count, TrendBucket
from yuqing.records import SHANGHAI, ShanghaiTime

REPORT_ID = re.compile(r"^(daily|weekly)-\d{4}-\d{2}-\d{2}$")


class ReportKind(StrEnum):
    daily = "daily"
    weekly = "weekly"

    @property
    def zh(self) -> str:
        return "舆情日报" if self is ReportKind.daily else "舆情周报"

    @property
    def days(self) -> int:
        return 1 if self is ReportKind.daily else 7


class Period(BaseModel):
    """The Asia/Shanghai days a report covers: `first` to `last`, both included."""

    kind: ReportKind
    first: date
    last: date

    @classmethod
    def ending(cls, kind: ReportKind, last: date) -> Period:
        """The daily report of `last`, or the weekly report of the 7 days ending with it."""
        return cls(kind=kind, first=last - timedelta(days=kind.days - 1), last=last)

    @property
    def since(self) -> datetime:
        return datetime(self.first.year, self.first.month, self.first.day, tzinfo=SHANGHAI)

    @property
    def until(self) -> datetime:
        return datetime(self.last.year, self.last.month, self.last.day, tzinfo=SHANGHAI) + timedelta(days=1)

    @property
    def previous(self) -> Period:
        return Period.ending(self.kind, self.first - timedelta(days=1))

    @property
    def report_id(self) -> str:
        return f"{self.kind}-{self.last.isoformat()}"

    @property
    def label(self) -> str:
        if self.kind is ReportKind.daily:
            return f"{self.last:%Y年%m月%d日}"
        return f"{self.first:%Y年%m月%d日} 至 {self.last:%Y年%m月%d日}"


class Figures(BaseModel):
    total: int
    negative: int
    neutral: int
    positive: int

    @property
    def negative_share(self) -> float | None:
        return round(100 * self.negative / self.total, 1) if self.total else None


class EventLine(BaseModel):
    event_id: str
    summary: str
    mentions: int
    negative: int
    platforms: list[str]  # Chinese names
    categories: list[str]  # Chinese names
    place: str
    first_seen_at: ShanghaiTime
    last_seen_at: ShanghaiTime
    status: str  # from an extension (alert / ticket), else whether it is still active


class MentionLine(BaseModel):
    mention_id: str
    published_at: ShanghaiTime
    platform: str  # Chinese name
    author: str
    text: str
    engagement: int
    url: str


class IncidentLine(BaseModel):
    target: str
    kind: str  # Chinese name
    opened_at: ShanghaiTime
    recovered_at: ShanghaiTime | None
    reason: str  # Chinese name
    detail: str
    minutes: int | None  # how long it lasted (None: still open)


class TargetUptime(BaseModel):
    target: str
    kind: str
    checks: int
    uptime: float | None  # percent over the period


class SiteSection(BaseModel):
    targets: list[TargetUptime]
    incidents: list[IncidentLine]


class ExtraSection(BaseModel):
    """A table an extension adds (e.g. new and overdue tickets): title, headers, rows of text."""

    key: str
    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str = ""


class Briefing(BaseModel):
    id: str
    kind: ReportKind
    title: str
    company: str
    period: Period
    generated_at: ShanghaiTime
    figures: Figures
    previous: Figures
    trend: list[TrendBucket]
    platforms: list[Count]  # values are Chinese names
    categories: list[Count]
    districts: list[Count]
    keywords: list[Count]
    events: list[EventLine]
    negative_mentions: list[MentionLine]
    sites: SiteSection
    extra: list[ExtraSection] = []
