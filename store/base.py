"""The mention index interface. SQLite (embedded default) and Elasticsearch implement it,
and one conformance suite in tests/store/ holds both to the same behaviour.

Every backend promises:
- ingest is idempotent by mention id: a re-crawl updates metrics and analysis, never
  duplicates, and never loses a reviewer's correction;
- filters mean the same everywhere, and sentiment and category filters see corrections;
- times go in and come out as Asia/Shanghai, and days are Asia/Shanghai days.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from yuqing.records import (
    Analysis,
    Category,
    Correction,
    Mention,
    Platform,
    SentimentLabel,
    ShanghaiTime,
    StoredMention,
)

Tokenizer = Callable[[str], list[str]]
MAX_PAGE = 1000


class Sort(StrEnum):
    newest = "newest"
    oldest = "oldest"
    engagement = "engagement"
    relevance = "relevance"  # text match quality; newest when there is no text query


class Facet(StrEnum):
    platform = "platform"
    category = "category"
    sentiment = "sentiment"
    region = "region"  # IP属地 / region the platform shows
    place = "place"  # place named in the text
    author = "author"


class MentionQuery(BaseModel):
    """Filters shared by search, counts, trends, facets and keyword clouds."""

    model_config = ConfigDict(frozen=True)

    text: str = ""
    platforms: list[Platform] = []
    sentiments: list[SentimentLabel] = []
    categories: list[Category] = []
    relevant: bool | None = None
    since: ShanghaiTime | None = None  # inclusive, on published_at
    until: ShanghaiTime | None = None  # exclusive
    place: str = ""  # substring of the place in the text or of the region
    author: str = ""  # author name or id, exact
    event_id: str = ""  # only the mentions of this event
    collapse_duplicates: bool = False  # copies merged into their original, with a count
    corrected: bool | None = None  # only mentions a reviewer corrected (True) or did not (False)
    sort: Sort = Sort.newest
    limit: int = Field(default=20, ge=0, le=MAX_PAGE)
    offset: int = Field(default=0, ge=0)


class Page(BaseModel):
    total: int
    items: list[StoredMention]


class TrendBucket(BaseModel):
    day: date
    negative: int = 0
    neutral: int = 0
    positive: int = 0

    @property
    def total(self) -> int:
        return self.negative + self.neutral + self.positive


class Count(BaseModel):
    value: str
    count: int


class EventSummary(BaseModel):
    """An incident seen across mentions and platforms."""

    event_id: str
    summary: str
    first_seen_at: ShanghaiTime
    last_seen_at: ShanghaiTime
    mentions: int
    platforms: list[str]
    categories: list[str]
    place: str
    negative: int
    keywords: list[str]
    volume: list[TrendBucket]  # per Asia/Shanghai day


class UpsertResult(BaseModel):
    inserted: int = 0
    updated: int = 0
    new_ids: list[str] = []  # ids of the inserted mentions
    failed: list[tuple[str, str]] = []  # (mention id, reason): kept (outbox), never dropped
    queued: list[str] = []  # ids waiting in the outbox until the index is back; stored on replay


class StoreError(RuntimeError):
    """A problem with the index, phrased as one line a person can act on."""


class StoreUnavailable(StoreError):
    """The index cannot be reached or refuses us (address, credentials, outage)."""


class StoreFull(StoreError):
    """The disk holding the index is (nearly) full: nothing was written; ingest waits."""


class QueryTooDeep(StoreError):
    """The requested page lies beyond what the backend pages through."""


class MentionStore(ABC):
    """One backend of the mention index."""

    @abstractmethod
    def upsert(self, items: Iterable[tuple[Mention, Analysis]]) -> UpsertResult:
        """Insert new mentions, refresh known ones (metrics, analysis); keep corrections."""

    @abstractmethod
    def get(self, mention_id: str) -> StoredMention | None:
        """One mention by id, or None."""

    @abstractmethod
    def search(self, query: MentionQuery) -> Page:
        """Matching mentions, sorted and paged, with highlights when `query.text` is set."""

    @abstractmethod
    def count(self, query: MentionQuery) -> int:
        """How many mentions match (paging ignored)."""

    @abstractmethod
    def trend(self, query: MentionQuery) -> list[TrendBucket]:
        """Mentions per Asia/Shanghai day by effective sentiment, days without any as zeros."""

    @abstractmethod
    def facet(self, query: MentionQuery, facet: Facet, limit: int = 10) -> list[Count]:
        """Most frequent values of one field among matching mentions."""

    @abstractmethod
    def keywords(self, query: MentionQuery, limit: int = 50) -> list[Count]:
        """Most frequent keywords among matching mentions (the word cloud)."""

    @abstractmethod
    def near_duplicates(self, fingerprint: str, since: datetime, until: datetime,
                        limit: int = 50) -> list[StoredMention]:
        """Mentions published in [since, until) sharing a fingerprint band, oldest first
        (candidates: the caller measures the distance)."""

    @abstractmethod
    def events(self, query: MentionQuery, limit: int = 20) -> list[EventSummary]:
        """Events among the matching mentions, largest first."""

    @abstractmethod
    def correct(self, mention_id: str, correction: Correction) -> StoredMention:
        """Store a reviewer's sentiment and/or category override; KeyError if unknown id."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    def __enter__(self) -> MentionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def fill_days(buckets: dict[date, TrendBucket], since: datetime | None,
              until: datetime | None) -> list[TrendBucket]:
    """Continuous days from the first to the last (or the query's range), zeros included."""
    if not buckets and not (since and until):
        return []
    from datetime import timedelta

    first = since.date() if since else min(buckets)
    last = (until - timedelta(microseconds=1)).date() if until else max(buckets)
    if buckets:
        first, last = min(first, min(buckets)), max(last, max(buckets))
    out, day = [], first
    while day <= last:
        out.append(buckets.get(day) or TrendBucket(day=day))
        day += timedelta(days=1)
    return out


def first_line(text: str, title: str = "", limit: int = 60) -> str:
    """One line for staff: the title, else the first sentence, shortened."""
    line = title.strip() or text.strip()
    for stop in "\n。！？!?":
        head, sep, _ = line.partition(stop)
        if sep and len(head) >= 8:
            line = head + (sep if sep in "。！？!?" else "")
            break
    return line if len(line) <= limit else line[: limit - 1] + "…"


DISTRICT_SCAN = 500  # place values read to sum them by district


FINGERPRINT_BANDS = 8


def fingerprint_bands(fingerprint: str) -> list[str]:
    """Band keys of a 64-bit fingerprint ("<band>:<two hex digits>") for finding near-duplicates:
    fingerprints within 7 bits always share a band (pigeonhole), most within 9 do."""
    if not fingerprint or set(fingerprint) == {"0"}:
        return []
    return [f"{i}:{fingerprint[2 * i : 2 * i + 2]}" for i in range(FINGERPRINT_BANDS)]
