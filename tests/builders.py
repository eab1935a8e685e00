"""Small builders for records in tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from yuqing.records import SHANGHAI, Author, Kind, Mention, Platform, mention_id

BASE_TIME = datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)


def mention(n: int, text: str, *, platform: Platform = Platform.weibo, hours_ago: float = 0,
            **fields: Any) -> Mention:
    """Mention number n, published `hours_ago` before BASE_TIME."""
    values: dict[str, Any] = {
        "id": mention_id(platform, f"{n}"),
        "platform": platform,
        "kind": Kind.post,
        "url": f"https://example.invalid/{platform}/{n}",
        "text": text,
        "author": Author(name=f"作者{n % 5}", id=str(1000 + n % 5), followers=100 * n),
        "published_at": BASE_TIME - timedelta(hours=hours_ago),
        "fetched_at": BASE_TIME,
    }
    values.update(fields)
    return Mention(**values)


def actor(role: str, name: str | None = None, department: str = ""):
    """An acting user of a role (handlers need a department)."""
    from alerts.actor import Actor
    from yuqing.records import Role

    return Actor(name=name or f"{role}-user", role=Role(role), department=department)
