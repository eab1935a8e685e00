"""The records passed between stages: a crawled `Mention` and the `Analysis` of it.

Stages exchange these plain typed values and nothing else, so a spider never needs to know
how the index stores a mention and the index never needs to know how sentiment is computed.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, NonNegativeInt, computed_field

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Platform(StrEnum):
    weibo = "weibo"
    wechat = "wechat"
    toutiao = "toutiao"
    douyin = "douyin"
    news = "news"
    board = "board"  # public message boards: 领导留言板, 12345, 市长信箱
    clipping = "clipping"  # newspapers, TV and radio entered by staff


class Kind(StrEnum):
    post = "post"
    comment = "comment"
    article = "article"
    video = "video"
    message = "message"
    clipping = "clipping"


class SentimentLabel(StrEnum):
    negative = "negative"
    neutral = "neutral"
    positive = "positive"


class Role(StrEnum):
    """What a user may do (see the users and roles issue)."""

    admin = "admin"
    pr = "pr"  # 舆情专员
    handler = "handler"  # 责任部门: sees its department's tickets only
    supervisor = "supervisor"  # 督查专班
    viewer = "viewer"  # management and analysts: read-only


ALL_ROLES = tuple(Role)


class Category(StrEnum):
    """Complaint categories, following the utility's service stages (codes are fixed)."""

    connection = "connection"
    construction = "construction"
    billing = "billing"
    outage = "outage"
    safety = "safety"
    maintenance = "maintenance"
    service = "service"
    online = "online"
    inspection = "inspection"
    scam = "scam"
    other = "other"


CATEGORY_NAMES_ZH: dict[Category, str] = {
    Category.connection: "报装接气",
    Category.construction: "工程施工",
    Category.billing: "抄表收费气价",
    Category.outage: "停气降压",
    Category.safety: "安全泄漏",
    Category.maintenance: "维修抢修",
    Category.service: "服务态度",
    Category.online: "线上渠道",
    Category.inspection: "入户安检",
    Category.scam: "冒充诈骗",
    Category.other: "其他",
}

PLATFORM_NAMES_ZH: dict[Platform, str] = {
    Platform.weibo: "微博",
    Platform.wechat: "微信公众号",
    Platform.toutiao: "今日头条",
    Platform.douyin: "抖音",
    Platform.news: "新闻网站",
    Platform.board: "留言板",
    Platform.clipping: "报刊广电",
}

SENTIMENT_NAMES_ZH: dict[SentimentLabel, str] = {
    SentimentLabel.negative: "负面",
    SentimentLabel.neutral: "中性",
    SentimentLabel.positive: "正面",
}


def _in_shanghai(value: datetime) -> datetime:
    """Times are kept in Asia/Shanghai; a naive time is taken to be local already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=SHANGHAI)
    return value.astimezone(SHANGHAI)


ShanghaiTime = Annotated[datetime, AfterValidator(_in_shanghai)]


def canonical_url(url: str) -> str:
    """Scheme and host lower-cased, fragment and tracking parameters dropped."""
    parts = urlsplit(url.strip())
    query = "&".join(
        p for p in parts.query.split("&") if p and not p.startswith(("utm_", "spm=", "from="))
    )
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", query, ""))


def mention_id(platform: Platform | str, platform_id: str | None = None, url: str | None = None) -> str:
    """Stable id from platform + platform id, or from the canonical URL when there is none."""
    if platform_id:
        return f"{platform}:{platform_id}"
    if url:
        digest = hashlib.sha1(canonical_url(url).encode()).hexdigest()[:20]
        return f"{platform}:u{digest}"
    raise ValueError("a mention needs a platform id or a URL")


class Author(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = ""
    id: str = ""
    followers: NonNegativeInt | None = None
    verified: bool = False
    verified_reason: str = ""  # e.g. "泰安市融媒体中心官方微博": media accounts weigh more


class Mention(BaseModel):
    """One crawled item: a post, comment, article, video, board message or clipping."""

    model_config = ConfigDict(frozen=True)

    id: str
    platform: Platform
    kind: Kind
    url: str = ""
    title: str = ""
    text: str = ""
    author: Author = Field(default_factory=Author)
    published_at: ShanghaiTime
    fetched_at: ShanghaiTime
    reposts: NonNegativeInt = 0
    comments: NonNegativeInt = 0
    likes: NonNegativeInt = 0
    views: NonNegativeInt | None = None
    region: str = ""  # IP属地 or the region the platform shows
    parent_id: str | None = None  # the post a comment belongs to
    query: str = ""  # the keyword that found it

    @property
    def engagement(self) -> int:
        return self.reposts + self.comments + self.likes


class CategoryHit(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: Category
    confidence: float = Field(ge=0, le=1)
    evidence: str = ""  # the span of text that made the decision


class Sentiment(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: SentimentLabel
    score: float = Field(ge=0, le=1)  # 0 most negative, 1 most positive
    model: str


class Analysis(BaseModel):
    """What the NLP stage concluded about one mention."""

    model_config = ConfigDict(frozen=True)

    relevant: bool
    relevance_score: float = Field(ge=0, le=1)
    relevance_reasons: list[str] = Field(default_factory=list)
    sentiment: Sentiment
    categories: list[CategoryHit] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    place: str = ""  # most specific place found in the text
    fingerprint: str = ""  # 64-bit SimHash as 16 hex digits, for near-duplicates
    # Set at ingest by comparing with stored mentions (nlp.events): the earlier mention
    # this one copies, and the event (the id of its first mention) it belongs to.
    duplicate_of: str = ""
    event_id: str = ""
    # Search-mode words the index matches on; indexed, never serialised.
    tokens: list[str] = Field(default_factory=list, exclude=True)

    @property
    def category_codes(self) -> list[str]:
        return [hit.code.value for hit in self.categories]


class Correction(BaseModel):
    """A reviewer's override; it outlives every re-crawl and re-analysis of the mention."""

    model_config = ConfigDict(frozen=True)

    sentiment: SentimentLabel | None = None
    categories: list[Category] | None = None
    by: str = ""
    at: ShanghaiTime | None = None


class StoredMention(BaseModel):
    """A mention as the index returns it: the record, its analysis and what people changed."""

    model_config = ConfigDict(frozen=True)

    mention: Mention
    analysis: Analysis
    correction: Correction | None = None
    first_seen_at: ShanghaiTime
    highlight: str = ""  # text snippet with <em> around matched words, when searched
    duplicates: int = 0  # near-duplicates merged into this one (when searched collapsed)

    @computed_field
    @property
    def sentiment(self) -> SentimentLabel:
        """Effective sentiment: the reviewer's if corrected, else the model's."""
        if self.correction and self.correction.sentiment:
            return self.correction.sentiment
        return self.analysis.sentiment.label

    @computed_field
    @property
    def categories(self) -> list[str]:
        """Effective complaint categories."""
        if self.correction and self.correction.categories is not None:
            return [c.value for c in self.correction.categories]
        return self.analysis.category_codes
