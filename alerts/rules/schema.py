"""The rule file's structure. Unknown keys are errors, so a typo never silently disables a rule."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alerts.levels import Level
from yuqing.records import Category, Platform, SentimentLabel

_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,62}$")


def _valid_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError("编号只能用小写字母、数字、“-”和“_”，以字母或数字开头，最多 63 个字符")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Conditions(_Strict):
    """Every condition given must hold; a list means "any of these"."""

    relevant: bool | None = None
    min_relevance: float | None = Field(default=None, ge=0, le=1)
    sentiment: list[SentimentLabel] = []
    min_severity: float | None = Field(default=None, ge=0, le=1)  # 1 - sentiment score: how negative
    categories: list[Category] = []
    platforms: list[Platform] = []
    min_followers: int | None = Field(default=None, ge=0)
    author_verified: bool | None = None
    author_reason_any: list[str] = []  # words in the verification text, e.g. 融媒, 日报
    min_engagement: int | None = Field(default=None, ge=0)  # reposts + comments + likes
    min_views: int | None = Field(default=None, ge=0)
    keywords_any: list[str] = []
    keywords_all: list[str] = []
    keywords_none: list[str] = []
    min_event_mentions: int | None = Field(default=None, ge=1)  # mentions of the event so far, this one included

    @field_validator("keywords_any", "keywords_all", "keywords_none", "author_reason_any")
    @classmethod
    def _no_blank_words(cls, value: list[str]) -> list[str]:
        if any(not word.strip() for word in value):
            raise ValueError("关键词不能为空")
        return [word.strip().lower() for word in value]

    @model_validator(mode="after")
    def _something(self) -> Conditions:
        if not self.model_dump(exclude_defaults=True):
            raise ValueError("when 下至少要有一个条件")
        return self


class Rule(_Strict):
    id: str
    name: str = Field(min_length=1, max_length=100)  # shown to staff
    level: Level
    lane: Literal["normal", "life_safety"] = "normal"
    enabled: bool = True
    when: Conditions

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _valid_id(value)

    @model_validator(mode="after")
    def _life_safety_is_red(self) -> Rule:
        if self.lane == "life_safety" and self.level != Level.red:
            raise ValueError("生命安全通道（lane: life_safety）的规则级别必须是 red")
        return self


class BurstRule(_Strict):
    id: str
    name: str = Field(min_length=1, max_length=100)
    level: Level
    group: Literal["category", "event"]
    enabled: bool = True
    categories: list[Category] = []  # empty: every category
    window_minutes: int = Field(default=60, ge=5, le=7 * 24 * 60)
    baseline_days: int = Field(default=14, ge=1, le=90)  # category bursts: the baseline period
    min_count: int = Field(default=5, ge=2)  # at least this many mentions in the window
    factor: float = Field(default=3.0, ge=1)  # and this many times the baseline rate

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _valid_id(value)


class RuleFile(_Strict):
    version: Literal[1]
    rules: list[Rule] = []
    bursts: list[BurstRule] = []

    @model_validator(mode="after")
    def _unique_ids(self) -> RuleFile:
        seen: set[str] = set()
        for rule in [*self.rules, *self.bursts]:
            if rule.id in seen:
                raise ValueError(f"规则编号 {rule.id} 重复使用")
            seen.add(rule.id)
        return self
