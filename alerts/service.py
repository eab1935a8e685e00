"""Alerts: review by PR staff, operational alerts for other stages, and reading alerts.

Every function takes keyword arguments only. Status changes go through `act`, which applies
the one table in `alerts.transitions`; every change writes an append-only `AlertEvent`.

For other stages (source health, own-site checks) the entry points are
`open_operational_alert` and `resolve_operational_alert`:

    from alerts.db import open_database
    from alerts import service as alerts

    db = open_database(settings)
    with db.write() as session:      # notices are sent after this block commits
        alerts.open_operational_alert(session, key="site:官网缴费页", title="官网缴费页无法打开",
                                      detail="连续两次检查失败：HTTP 502", settings=settings, now=now)
    ...
    with db.write() as session:
        alerts.resolve_operational_alert(session, key="site:官网缴费页", note="检查恢复正常",
                                         settings=settings, now=now)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from alerts import notices
from alerts.actor import ROLE_ZH, SYSTEM, Actor
from alerts.errors import Conflict, Forbidden, Invalid, NotFound, check_length
from alerts.levels import Level
from alerts.models import (
    ALERT_STATUS_ZH,
    OPEN_STATUSES,
    Alert,
    AlertEvent,
    AlertKind,
    AlertMention,
    AlertStatus,
    LabelledExample,
)
from alerts.notify.outbox import queue_notice
from alerts.rules.engine import Facts, RuleSet, facts_of
from alerts.tickets import service as tickets
from alerts.tickets.models import Ticket, TicketStatus
from alerts.transitions import ALERT_ACTIONS
from store.base import MentionStore
from yuqing.records import Category, Correction, Role, SentimentLabel, StoredMention
from yuqing.settings import Settings

COMMENT_LIMIT = 4000  # the longest comment, reason or note on an alert (the page's forms allow the same)


def record(session: Session, alert: Alert, *, actor: Actor, action: str, now: datetime, from_value: str = "",
           to_value: str = "", comment: str = "", data: dict[str, Any] | None = None) -> None:
    """Append one audit event for an alert."""
    session.add(AlertEvent(alert_id=alert.id, at=now, actor=actor.name, action=action, from_value=from_value,
                           to_value=to_value, comment=comment, data=data or {}))


def act(session: Session, *, alert_id: int, action: str, actor: Actor, now: datetime, version: int | None = None,
        comment: str = "", data: dict[str, Any] | None = None) -> Alert:
    """Check and apply one action of the transition table (Forbidden, NotFound, Conflict otherwise)."""
    rule = ALERT_ACTIONS.get(action)
    if rule is None:
        raise Invalid(f"未知操作：{action}")
    check_length(comment, limit=COMMENT_LIMIT, name="说明")
    alert = session.scalar(select(Alert).where(Alert.id == alert_id).with_for_update())
    if alert is None:
        raise NotFound(f"预警 {alert_id} 不存在")
    if not (actor.role in rule.roles or (rule.system and actor.via == "system")):
        raise Forbidden(f"{ROLE_ZH.get(actor.role, actor.role)}无权执行“{rule.zh}”")
    if version is not None and version != alert.version:
        raise Conflict("预警已被他人更新，请刷新后重试")
    status = AlertStatus(alert.status)
    if status not in rule.sources:
        raise Conflict(f"预警当前状态为“{ALERT_STATUS_ZH[status]}”，不能执行“{rule.zh}”")
    before = alert.status
    if rule.target is not None:
        alert.status = rule.target.value
        if rule.target in (AlertStatus.dismissed, AlertStatus.resolved):
            alert.closed_at = now
        elif rule.target == AlertStatus.pending:
            alert.closed_at = alert.suppress_until = None
    alert.updated_at = now
    record(session, alert, actor=actor, action=rule.name, now=now, from_value=before, to_value=alert.status,
           comment=comment, data=data)
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("预警已被他人同时更新，请刷新后重试") from None
    return alert


# -- review by PR staff ----------------------------------------------------------------------
def confirm(session: Session, *, alert_id: int, actor: Actor, settings: Settings, now: datetime,
            version: int | None = None, department: str = "", comment: str = "") -> tuple[Alert, Ticket]:
    """Confirm an alert: it becomes a ticket (assigned at once when a department is given)."""
    if department and department not in settings.departments:
        raise Invalid(f"未知部门：{department}")
    alert = act(session, alert_id=alert_id, action="confirm", actor=actor, now=now, version=version, comment=comment)
    description = alert.summary + (f"\n对外口径：{alert.wording}" if alert.wording else "")
    ticket = tickets.open_ticket(session, title=alert.title, settings=settings, actor=actor, now=now,
                                 level=Level(alert.level), category=alert.category, description=description,
                                 place=alert.place, department=department, alert_id=alert.id, comment=comment)
    return alert, ticket


def dismiss(session: Session, *, alert_id: int, actor: Actor, settings: Settings, now: datetime, reason: str,
            version: int | None = None) -> Alert:
    """Dismiss with a reason; the same event stays quiet for `alerts.suppress_hours`."""
    if not reason.strip():
        raise Invalid("排除预警需要填写原因")
    alert = act(session, alert_id=alert_id, action="dismiss", actor=actor, now=now, version=version, comment=reason)
    alert.dismiss_reason = reason.strip()
    alert.suppress_until = now + timedelta(hours=settings.alerts.suppress_hours)
    session.flush()
    return alert


def reopen(session: Session, *, alert_id: int, actor: Actor, now: datetime, comment: str = "",
           version: int | None = None) -> Alert:
    """Undo a dismissal."""
    alert = act(session, alert_id=alert_id, action="reopen", actor=actor, now=now, version=version, comment=comment)
    alert.dismiss_reason = ""
    return alert


def comment(session: Session, *, alert_id: int, actor: Actor, now: datetime, text: str) -> Alert:
    if not text.strip():
        raise Invalid("备注内容不能为空")
    return act(session, alert_id=alert_id, action="comment", actor=actor, now=now, comment=text.strip())


def correct_mention(session: Session, *, store: MentionStore, alert_id: int, mention_id: str, actor: Actor,
                    now: datetime, sentiment: SentimentLabel | None = None,
                    categories: list[Category] | None = None, comment: str = "",
                    rules: RuleSet | None = None) -> LabelledExample:
    """Correct a mention's sentiment and/or categories: stored in the index (it survives re-crawls)
    and kept as a labelled example for retraining. With `rules`, an alert that rests on this
    mention alone is checked again against the corrected labels (`_recheck`)."""
    if sentiment is None and categories is None:
        raise Invalid("请指定要更正的情感或类别")
    attached = session.get(AlertMention, (alert_id, mention_id))
    if attached is None:
        raise NotFound(f"预警 {alert_id} 中没有信息 {mention_id}")
    stored = store.get(mention_id)
    if stored is None:
        raise NotFound(f"信息 {mention_id} 不存在")
    alert = act(session, alert_id=alert_id, action="correct", actor=actor, now=now, comment=comment,
                data={"mention_id": mention_id, "sentiment": sentiment.value if sentiment else None,
                      "categories": [c.value for c in categories] if categories is not None else None})
    if categories and attached.category != categories[0].value:
        attached.category = categories[0].value
        if alert.first_mention_id == mention_id:
            alert.category = categories[0].value
    if rules is not None and alert.mention_count <= 1:
        _recheck(session, alert, rules=rules, facts=facts_of(
            stored.mention, stored.analysis, sentiment=sentiment.value if sentiment else None,
            categories=[c.value for c in categories] if categories is not None else None), now=now)
    return _keep_correction(session, store=store, stored=stored, sentiment=sentiment, categories=categories,
                            actor=actor, now=now, alert_id=alert_id)


def correct_listed_mention(session: Session, *, store: MentionStore, mention_id: str, actor: Actor, now: datetime,
                           sentiment: SentimentLabel | None = None,
                           categories: list[Category] | None = None) -> LabelledExample:
    """A correction made from the mention list, on a mention that need not be part of an alert:
    stored in the index and kept as a labelled example, exactly as one made on an alert."""
    if sentiment is None and categories is None:
        raise Invalid("请指定要更正的情感或类别")
    stored = store.get(mention_id)
    if stored is None:
        raise NotFound(f"信息 {mention_id[:80]} 不存在")
    return _keep_correction(session, store=store, stored=stored, sentiment=sentiment, categories=categories,
                            actor=actor, now=now, alert_id=None)


def _keep_correction(session: Session, *, store: MentionStore, stored: StoredMention,
                     sentiment: SentimentLabel | None, categories: list[Category] | None, actor: Actor,
                     now: datetime, alert_id: int | None) -> LabelledExample:
    """What every correction leaves: a labelled example for retraining, and the corrected labels
    in the index (the example is flushed first: a database error stops before the index is written)."""
    mention = stored.mention
    example = LabelledExample(
        mention_id=mention.id, platform=mention.platform.value,
        text=f"{mention.title}\n{mention.text}" if mention.title else mention.text,
        sentiment=sentiment.value if sentiment else None,
        categories=[c.value for c in categories] if categories is not None else None,
        model_sentiment=stored.analysis.sentiment.label.value, model_categories=stored.analysis.category_codes,
        alert_id=alert_id, by=actor.name, at=now)
    session.add(example)
    session.flush()
    store.correct(mention.id, Correction(sentiment=sentiment, categories=categories, by=actor.name, at=now))
    return example


NO_LONGER_MATCHED = "更正后不再满足预警规则"


def _recheck(session: Session, alert: Alert, *, rules: RuleSet, facts: Facts, now: datetime) -> None:
    """The alert's reasons as the rules read the corrected mention, with the change in the trail: a
    thank-you post corrected to 正面 no longer shows "高互动负面信息". The level and the status stay
    the reviewer's call (dismiss, or keep it for another reason)."""
    verdict = rules.evaluate(facts)
    reasons = list(verdict.reasons) if verdict else [NO_LONGER_MATCHED]
    if reasons == list(alert.reasons):
        return
    record(session, alert, actor=SYSTEM, action="recheck", now=now, from_value="、".join(alert.reasons),
           to_value="、".join(reasons),
           comment="按更正后的情感/类别，本信息不再满足任何预警规则，请复核是否排除" if verdict is None
           else "按更正后的情感/类别重新匹配预警规则")
    alert.reasons = reasons


# -- operational alerts (other stages call these) -------------------------------------------
def open_operational_alert(session: Session, *, key: str, title: str, detail: str, settings: Settings,
                           now: datetime, level: Level = Level.orange, department: str | None = None,
                           open_ticket: bool = True, category: str = "") -> Alert:
    """Open (or, while one is open under `key`, update) an alert about our own systems.

    `key` names the problem, e.g. "source:weibo" or "site:https://www.example.cn/pay"; the
    same key never opens a second alert while the first is open: a repeat is recorded on it
    (and may raise its level). With `open_ticket`, a ticket goes to `department` (default
    `alerts.operations_department`, the IT department) at once."""
    if not key.strip() or not title.strip():
        raise Invalid("运维预警需要 key 和标题")
    department = department or settings.alerts.operations_department
    if department not in settings.departments:
        raise Invalid(f"未知部门：{department}")
    existing = session.scalar(select(Alert).where(Alert.event_key == key, Alert.kind == AlertKind.operations.value,
                                                  Alert.status.in_([s.value for s in OPEN_STATUSES]))
                              .order_by(Alert.id.desc()).limit(1).with_for_update())
    if existing is not None:
        existing.mention_count += 1
        existing.last_seen_at = existing.updated_at = now
        if Level(level).rank > Level(existing.level).rank:
            record(session, existing, actor=SYSTEM, action="raise", now=now, from_value=existing.level,
                   to_value=Level(level).value, comment=detail)
            existing.level = Level(level).value
        else:
            record(session, existing, actor=SYSTEM, action="attach", now=now, comment=detail)
        session.flush()
        return existing
    alert = Alert(kind=AlertKind.operations.value, level=Level(level).value, status=AlertStatus.pending.value,
                  title=title.strip()[:300], summary=detail, event_key=key, department=department, mention_count=1,
                  opened_at=now, updated_at=now, last_seen_at=now, reasons=["运维检查"], rule_ids=[])
    session.add(alert)
    session.flush()
    record(session, alert, actor=SYSTEM, action="open", now=now, to_value=alert.status, comment=detail,
           data={"key": key})
    ticket_id = None
    if open_ticket:
        alert.status = AlertStatus.confirmed.value
        ticket = tickets.open_ticket(session, title=alert.title, settings=settings, actor=SYSTEM, now=now,
                                     level=Level(level), category=category, description=detail,
                                     department=department, alert_id=alert.id, comment="运维预警自动派单")
        ticket_id = ticket.id
    queue_notice(session, notices.opened(alert, base_url=settings.notify.base_url, ticket_id=ticket_id))
    return alert


def operational_alert_open(session: Session, *, key: str) -> bool:
    """Whether an operational alert under `key` is open."""
    found = session.scalar(select(Alert.id).where(Alert.event_key == key, Alert.kind == AlertKind.operations.value,
                                                  Alert.status.in_([s.value for s in OPEN_STATUSES])).limit(1))
    return found is not None


def resolve_operational_alert(session: Session, *, key: str, note: str, settings: Settings,
                              now: datetime) -> Alert | None:
    """Mark the open operational alert under `key` recovered and note it on its open ticket.

    The ticket itself stays for its department to finish and a supervisor to verify. Returns
    None when nothing is open under `key` (calling it on every healthy check is fine)."""
    alert = session.scalar(select(Alert).where(Alert.event_key == key, Alert.kind == AlertKind.operations.value,
                                               Alert.status.in_([s.value for s in OPEN_STATUSES]))
                           .order_by(Alert.id.desc()).limit(1))
    if alert is None:
        return None
    act(session, alert_id=alert.id, action="resolve", actor=SYSTEM, now=now, comment=note or "已恢复")
    for ticket in session.scalars(select(Ticket).where(Ticket.alert_id == alert.id,
                                                       Ticket.status != TicketStatus.closed.value)):
        tickets.transition(session, ticket_id=ticket.id, action="note", actor=SYSTEM, settings=settings, now=now,
                           comment=f"已恢复：{note}" if note else "已恢复")
    queue_notice(session, notices.recovered(alert, note))
    return alert


# -- reading ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class AlertFilter:
    statuses: list[AlertStatus] = field(default_factory=list)
    levels: list[Level] = field(default_factory=list)
    kinds: list[AlertKind] = field(default_factory=list)
    category: str = ""
    expected: bool | None = None
    since: datetime | None = None  # last seen at or after
    until: datetime | None = None
    text: str = ""


# The inbox order: the most severe level first (red, orange, yellow, blue), then the most recent.
LEVEL_ORDER = case({level.value: level.rank for level in Level}, value=Alert.level, else_=0)


def list_alerts(session: Session, *, filters: AlertFilter, offset: int = 0, limit: int = 50) -> tuple[int, list[Alert]]:
    """Matching alerts, most severe first and then most recently active, and how many match in all."""
    conditions = []
    if filters.statuses:
        conditions.append(Alert.status.in_([s.value for s in filters.statuses]))
    if filters.levels:
        conditions.append(Alert.level.in_([lv.value for lv in filters.levels]))
    if filters.kinds:
        conditions.append(Alert.kind.in_([k.value for k in filters.kinds]))
    if filters.category:
        conditions.append(Alert.category == filters.category)
    if filters.expected is not None:
        conditions.append(Alert.expected.is_(filters.expected))
    if filters.since:
        conditions.append(Alert.last_seen_at >= filters.since)
    if filters.until:
        conditions.append(Alert.last_seen_at < filters.until)
    if filters.text:
        conditions.append(Alert.title.contains(filters.text, autoescape=True))
    total = session.scalar(select(func.count()).select_from(Alert).where(*conditions)) or 0
    items = session.scalars(select(Alert).where(*conditions)
                            .order_by(LEVEL_ORDER.desc(), Alert.last_seen_at.desc(), Alert.id.desc())
                            .offset(offset).limit(limit))
    return total, list(items)


def publication_times(session: Session, *, alert_ids: list[int]) -> dict[int, tuple[datetime, datetime]]:
    """When the attached mentions were published (first, newest) per alert: what staff
    prioritise by (an alert's own times say when the system found them)."""
    if not alert_ids:
        return {}
    rows = session.execute(select(AlertMention.alert_id, func.min(AlertMention.published_at),
                                  func.max(AlertMention.published_at))
                           .where(AlertMention.alert_id.in_(alert_ids)).group_by(AlertMention.alert_id))
    return {alert_id: (first, last) for alert_id, first, last in rows}


def get_alert(session: Session, *, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"预警 {alert_id} 不存在")
    return alert


def alert_mentions(session: Session, *, alert_id: int) -> list[AlertMention]:
    return list(session.scalars(select(AlertMention).where(AlertMention.alert_id == alert_id)
                                .order_by(AlertMention.published_at)))


def alert_events(session: Session, *, alert_id: int) -> list[AlertEvent]:
    return list(session.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id)))


def allowed_actions(alert: Alert, actor: Actor) -> list[str]:
    """The review actions this actor could take on this alert now (for buttons in a page)."""
    status = AlertStatus(alert.status)
    return [name for name, rule in ALERT_ACTIONS.items() if actor.role in rule.roles and status in rule.sources]


def tickets_of(session: Session, *, alert_id: int, actor: Actor) -> list[Ticket]:
    query = select(Ticket).where(Ticket.alert_id == alert_id).order_by(Ticket.id)
    if actor.role == Role.handler:
        query = query.where(Ticket.department == actor.department)
    return list(session.scalars(query))


def labelled_examples(session: Session, *, since: datetime | None = None) -> list[LabelledExample]:
    query = select(LabelledExample).order_by(LabelledExample.id)
    if since is not None:
        query = query.where(LabelledExample.at >= since)
    return list(session.scalars(query))
