"""What a ticket is about, for whoever may see the ticket (a department's handler included, who
may not open alerts): the post that raised it — text, author, platform, publication time, the
original link — or, for an operational ticket (a failing site check, a blocked source), the
check and its latest error."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.calendar.models import PlannedEvent
from alerts.models import Alert, AlertEvent, AlertKind
from alerts.notices import PLATFORM_ZH
from alerts.tickets.models import Ticket
from store.base import MentionStore

_URL = re.compile(r"https?://[^\s，,（）()]+")
KIND_ZH = {"mention": "网络信息", "operations": "运维检查", "burst": "信息聚集"}


class TicketSource(BaseModel):
    kind: str = Field(description="mention (a post), operations (a check of our own systems) or burst")
    kind_zh: str
    title: str = ""
    text: str = Field(default="", description="the post's full text, or the check's latest error")
    author: str = ""
    author_followers: int | None = None
    author_verified: str = ""
    platform: str = ""
    platform_zh: str = ""
    published_at: datetime | None = None
    url: str = Field(default="", description="the original post, or the address the check failed on")
    check: str = Field(default="", description="the operational check's key, e.g. site:官网缴费页")
    seen_at: datetime | None = Field(default=None, description="when the check last failed")
    mention_count: int = 0
    planned: str = Field(default="", description="the planned operation (运营日历) that explains it, when one does")
    wording: str = Field(default="", description="the approved public wording (对外口径) of that operation")


def _latest_detail(session: Session, alert: Alert) -> str:
    """The newest error an operational alert recorded (repeats are noted as events), else the first."""
    latest = session.scalar(select(AlertEvent.comment).where(AlertEvent.alert_id == alert.id,
                                                             AlertEvent.action.in_(("open", "attach", "raise")),
                                                             AlertEvent.comment != "")
                            .order_by(AlertEvent.id.desc()).limit(1))
    return latest or alert.summary


def ticket_source(session: Session, store: MentionStore, ticket: Ticket) -> TicketSource | None:
    """The source facts of a ticket (None for a ticket opened by hand without an alert)."""
    if ticket.alert_id is None:
        return None
    alert = session.get(Alert, ticket.alert_id)
    if alert is None:
        return None
    if alert.kind == AlertKind.operations.value:
        detail = _latest_detail(session, alert)
        found = _URL.search(detail)
        return TicketSource(kind="operations", kind_zh=KIND_ZH["operations"], title=alert.title, text=detail,
                            url=found.group(0) if found else "", check=alert.event_key, seen_at=alert.last_seen_at,
                            mention_count=alert.mention_count)
    planned = session.get(PlannedEvent, alert.calendar_event_id) if alert.expected and alert.calendar_event_id else None
    explained = {"planned": planned.title if planned else "", "wording": alert.wording if alert.expected else ""}
    stored = store.get(alert.first_mention_id) if alert.first_mention_id else None
    if stored is None:  # a burst, or the post is gone from the index: what the alert recorded
        kind = "burst" if alert.kind == AlertKind.burst.value else "mention"
        return TicketSource(kind=kind, kind_zh=KIND_ZH[kind], title=alert.title, text=alert.summary,
                            mention_count=alert.mention_count, **explained)
    post = stored.mention
    return TicketSource(kind="mention", kind_zh=KIND_ZH["mention"], title=post.title, text=post.text,
                        author=post.author.name or "匿名", author_followers=post.author.followers,
                        author_verified=post.author.verified_reason if post.author.verified else "",
                        platform=post.platform.value, platform_zh=PLATFORM_ZH.get(post.platform, post.platform.value),
                        published_at=post.published_at, url=post.url, mention_count=alert.mention_count,
                        **explained)
