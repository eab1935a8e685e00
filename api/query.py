"""Query parameters shared by the mention list and the statistics routes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Query, status

from store.base import MentionQuery, Sort
from yuqing.records import SHANGHAI, Category, Platform, SentimentLabel

BACKWARDS = "开始日期不能晚于结束日期"  # since after until (the pages check this before asking too)


def _moment(name: str, value: str | None, end_of_day: bool) -> datetime | None:
    """A date (whole Asia/Shanghai day) or an ISO datetime; naive times are Shanghai time."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)
            return moment + timedelta(days=1) if end_of_day else moment
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"{name}：不是有效的日期（YYYY-MM-DD）或 ISO 日期时间",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def mention_filters(
    q: Annotated[str, Query(max_length=200, description="full-text search words")] = "",
    platform: Annotated[list[Platform], Query()] = [],  # noqa: B006 (FastAPI copies defaults)
    sentiment: Annotated[list[SentimentLabel], Query()] = [],  # noqa: B006
    category: Annotated[list[Category], Query()] = [],  # noqa: B006
    relevant: Annotated[bool | None, Query(description="only relevant (true) or irrelevant (false)")] = None,
    since: Annotated[str | None, Query(description="from this date or date-time (inclusive)")] = None,
    until: Annotated[str | None, Query(description="to this date (inclusive) or date-time (exclusive)")] = None,
    place: Annotated[str, Query(max_length=50)] = "",
    author: Annotated[str, Query(max_length=100)] = "",
) -> MentionQuery:
    start = _moment("since", since, end_of_day=False)
    end = _moment("until", until, end_of_day=True)
    if start and end and start >= end:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, BACKWARDS)
    return MentionQuery(text=q, platforms=platform, sentiments=sentiment, categories=category,
                        relevant=relevant, since=start, until=end, place=place, author=author)


def shown(value: str, limit: int = 60) -> str:
    """An identifier quoted back in an error, cut short: a long input is never echoed in full."""
    return value if len(value) <= limit else value[:limit] + "…"


FiltersDep = Annotated[MentionQuery, Depends(mention_filters)]
__all__ = ["BACKWARDS", "FiltersDep", "Sort", "mention_filters", "shown"]
