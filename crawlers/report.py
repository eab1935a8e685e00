"""What `GET /api/sources` and `yuqing sources` show: each configured source's health with its
open gaps and today's request count, and the gaps themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crawlers.gaps import GapBook
from crawlers.health import HealthBook, reason_text
from crawlers.state import CrawlState
from yuqing.records import PLATFORM_NAMES_ZH
from yuqing.settings import Settings

# Sources whose name is not a platform's, as staff read them.
SOURCE_NAMES_ZH = {"baidu_news": "百度新闻", "news_feeds": "新闻订阅 (RSS)", "people_board": "人民网领导留言板",
                   "board": "本地留言板"}


def source_name(source: str) -> str:
    """The Chinese name of a configured source (its code when it has none)."""
    platforms = {platform.value: name for platform, name in PLATFORM_NAMES_ZH.items()}
    return SOURCE_NAMES_ZH.get(source) or platforms.get(source, source)


def source_report(settings: Settings, now: datetime) -> list[dict[str, Any]]:
    """Health of every configured source, with its open gaps and request budget."""
    state = CrawlState(settings.storage.crawl_state_db)
    try:
        health, gaps = HealthBook(state.conn), GapBook(state.conn)
        names = [name for name, _ in settings.sources]
        out = []
        for item in health.all(names):
            config = getattr(settings.sources, item.source)
            open_gaps = gaps.gaps(item.source)
            out.append({**item.as_dict(now), "name_zh": source_name(item.source), "enabled": config.enabled,
                        "requests_today": state.requests_used(item.source, now),
                        "daily_budget": config.daily_budget, "open_gaps": len(open_gaps),
                        "missing_hours": round(sum(g.hours for g in open_gaps), 1)})
        return out
    finally:
        state.close()


def gap_report(settings: Settings) -> list[dict[str, Any]]:
    state = CrawlState(settings.storage.crawl_state_db)
    try:
        return [{"source": g.source, "name_zh": source_name(g.source), "key": g.key,
                 "start": g.start.isoformat(), "end": g.end.isoformat(),
                 "hours": round(g.hours, 1), "reason": g.reason, "reason_zh": reason_text(g.reason),
                 "opened_at": g.opened_at.isoformat()}
                for g in GapBook(state.conn).gaps()]
    finally:
        state.close()
