"""The burst sweep (every `alerts.burst_sweep_minutes`): volume far above its own baseline.

- `group: category`: relevant mentions of one complaint category in the last window, against
  that category's average per window over the previous `baseline_days` (mention index counts).
- `group: event`: mentions attached to one open alert in the last window, against that
  alert's own average per window since it opened.

A burst in a category that a planned operation explains (operations calendar) is shown as
expected: a blue alert marked 预期, carrying the approved wording, and nobody is paged.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts import notices
from alerts.actor import SYSTEM
from alerts.calendar.models import PlannedEvent
from alerts.calendar.service import match_event
from alerts.db import Database
from alerts.flows import Outcome
from alerts.levels import Level
from alerts.models import OPEN_STATUSES, Alert, AlertKind, AlertMention, AlertStatus
from alerts.notify.outbox import queue_notice
from alerts.rules.loader import RuleBook
from alerts.rules.schema import BurstRule
from alerts.service import record
from alerts.tickets.service import suggest_department
from store.base import MentionQuery, MentionStore
from yuqing.records import Category, StoredMention
from yuqing.settings import Settings

log = logging.getLogger("yuqing.alerts.bursts")


def category_volume(store: MentionStore, *, category: Category, burst: BurstRule,
                    now: datetime) -> tuple[int, float]:
    """Mentions in the last window, and the baseline's average per window."""
    window = timedelta(minutes=burst.window_minutes)
    current = store.count(MentionQuery(categories=[category], relevant=True, since=now - window, until=now))
    if current < burst.min_count:
        return current, 0.0
    start = now - timedelta(days=burst.baseline_days)
    before = store.count(MentionQuery(categories=[category], relevant=True, since=start, until=now - window))
    windows = (now - window - start) / window
    return current, before / windows


def _explaining_event(session: Session, *, category: Category, items: list[StoredMention],
                      now: datetime) -> PlannedEvent | None:
    """A planned operation in force for this category that covers at least half of the burst's mentions."""
    first = items[0] if items else None
    planned = match_event(session, at=now, categories=[category.value],
                          text=first.mention.text if first else "", place=first.analysis.place if first else "")
    if planned is None or not planned.areas:
        return planned
    covered = sum(1 for item in items
                  if any(area in item.mention.text or area in item.analysis.place for area in planned.areas))
    return planned if covered * 2 >= len(items) else None


def _burst_alert(session: Session, *, burst: BurstRule, category: Category, current: int, rate: float,
                 store: MentionStore, settings: Settings, now: datetime) -> Outcome:
    key = f"burst:{burst.id}:{category.value}"
    window = timedelta(minutes=burst.window_minutes)
    existing = session.scalar(select(Alert).where(Alert.event_key == key, Alert.last_seen_at >= now - 2 * window,
                                                  Alert.status.in_([s.value for s in OPEN_STATUSES])).limit(1))
    if existing is not None:
        existing.mention_count = max(existing.mention_count, current)
        existing.last_seen_at = existing.updated_at = now
        record(session, existing, actor=SYSTEM, action="attach", now=now, data={"count": current})
        return Outcome("", existing.id, "attached", Level(existing.level))
    recent = store.search(MentionQuery(categories=[category], relevant=True, since=now - window, until=now, limit=50))
    planned = _explaining_event(session, category=category, items=recent.items, now=now)
    name = notices.category_zh(category.value)
    level = Level.blue if planned else burst.level
    prefix = "【预期】" if planned else ""
    title = f"{prefix}{name}类信息异常增多：近 {burst.window_minutes} 分钟 {current} 条（基线 {rate:.1f} 条）"
    alert = Alert(kind=AlertKind.burst.value, level=level.value, status=AlertStatus.pending.value,
                  category=category.value, title=title,
                  summary=f"{burst.name}。{'与计划作业“' + planned.title + '”相关。' if planned else ''}",
                  rule_ids=[burst.id], reasons=[burst.name], event_key=key, mention_count=current,
                  department=suggest_department(settings, category=category.value),
                  opened_at=now, updated_at=now, last_seen_at=now, expected=planned is not None,
                  calendar_event_id=planned.id if planned else None, wording=planned.wording if planned else "")
    session.add(alert)
    session.flush()
    for item in recent.items:
        session.add(AlertMention(alert_id=alert.id, mention_id=item.mention.id, level=level.value, rule_ids=[burst.id],
                                 fingerprint=item.analysis.fingerprint, place=item.analysis.place,
                                 category=category.value, published_at=item.mention.published_at, attached_at=now))
    record(session, alert, actor=SYSTEM, action="open", now=now, to_value=alert.status,
           data={"count": current, "baseline_per_window": round(rate, 2), "planned_event": alert.calendar_event_id})
    if not planned:
        queue_notice(session, notices.opened(alert, base_url=settings.notify.base_url))
    return Outcome("", alert.id, "opened", level)


def category_bursts(db: Database, *, store: MentionStore, burst: BurstRule, settings: Settings,
                    now: datetime) -> list[Outcome]:
    outcomes = []
    for category in burst.categories or list(Category):
        current, rate = category_volume(store, category=category, burst=burst, now=now)
        if current < burst.min_count or current < burst.factor * rate:
            continue
        with db.write() as session:
            outcomes.append(_burst_alert(session, burst=burst, category=category, current=current, rate=rate,
                                         store=store, settings=settings, now=now))
    return outcomes


def event_bursts(db: Database, *, burst: BurstRule, settings: Settings, now: datetime) -> list[Outcome]:
    """Raise open alerts whose event is spreading fast compared with its own past."""
    window = timedelta(minutes=burst.window_minutes)
    outcomes = []
    with db.read() as session:
        recent = session.execute(
            select(AlertMention.alert_id, func.count()).join(Alert, Alert.id == AlertMention.alert_id)
            .where(AlertMention.attached_at >= now - window, Alert.kind != AlertKind.burst.value,
                   Alert.status.in_([s.value for s in OPEN_STATUSES]), Alert.expected.is_(False))
            .group_by(AlertMention.alert_id).having(func.count() >= burst.min_count)).all()
    for alert_id, count in recent:
        with db.write() as session:
            alert = session.get(Alert, alert_id)
            if alert is None or Level(alert.level).rank >= burst.level.rank:
                continue
            windows = max(1.0, (now - window - alert.opened_at) / window)
            rate = (alert.mention_count - count) / windows
            if count < burst.factor * rate:
                continue
            before, alert.level, alert.updated_at = alert.level, burst.level.value, now
            alert.rule_ids = [*alert.rule_ids, burst.id]
            alert.reasons = [*alert.reasons, burst.name]
            record(session, alert, actor=SYSTEM, action="raise", now=now, from_value=before, to_value=alert.level,
                   comment=f"{burst.name}：近 {burst.window_minutes} 分钟 {count} 条")
            queue_notice(session, notices.raised(alert, before, base_url=settings.notify.base_url))
            outcomes.append(Outcome("", alert.id, "raised", burst.level))
    return outcomes


def burst_sweep(db: Database, *, store: MentionStore, rules: RuleBook, settings: Settings,
                now: datetime) -> list[Outcome]:
    """Run every enabled burst rule once."""
    outcomes: list[Outcome] = []
    for burst in rules.refresh().bursts:
        try:
            if burst.group == "category":
                outcomes += category_bursts(db, store=store, burst=burst, settings=settings, now=now)
            else:
                outcomes += event_bursts(db, burst=burst, settings=settings, now=now)
        except Exception:  # one broken rule must not stop the others
            log.exception("burst rule %s failed", burst.id)
    return outcomes
