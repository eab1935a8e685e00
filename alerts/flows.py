"""The flow for every newly stored mention: rules → the event's one alert → (life safety) a ticket.

`AlertEvaluator` is the ingest listener (`yuqing.wiring.build_ingestor` attaches it). For each
new mention that matches a rule it finds the open alert of the same event — a reply to a
mention already in an alert, or a mention of the same event as the NLP stage linked it at
ingest (`Analysis.event_id`: near-duplicates, and the same problem at the same place across
platforms; see nlp/events.py), seen within `alerts.event_window_hours` — and attaches the
mention to it, raising the level when the mention or the event's size calls for
more. Otherwise it opens a new alert. A dismissed event stays quiet for `alerts.suppress_hours`
unless a mention of it now calls for a higher level than the one dismissed.

The life-safety lane (a rule with `lane: life_safety`) skips the PR queue: the red alert is
confirmed at once and an emergency ticket goes to the repair department with the place found
in the text.

A mention published more than `alerts.max_post_age_hours` before it is evaluated (a back-fill,
the first crawl of a source, a late find) is old news: it opens no alert or ticket and pages
nobody. It still joins its event's alert when one is open, as evidence, without raising the
level or notifying anyone.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, text
from sqlalchemy.orm import Session

from alerts import notices
from alerts.actor import SYSTEM, Actor
from alerts.calendar.models import PlannedEvent
from alerts.calendar.service import LEAD_HOURS, TAIL_HOURS, explains, match_event
from alerts.db import Database, now_shanghai
from alerts.levels import Level
from alerts.models import OPEN_STATUSES, Alert, AlertKind, AlertMention, AlertStatus
from alerts.notify.outbox import queue_notice
from alerts.rules.engine import Facts, RuleSet, Verdict, facts_of
from alerts.rules.loader import RuleBook
from alerts.service import record
from alerts.tickets import service as tickets
from alerts.tickets.models import Ticket, TicketStatus
from nlp.clean import clean_text
from yuqing.ingest import Ingested
from yuqing.records import Analysis, Mention
from yuqing.settings import Settings

log = logging.getLogger("yuqing.alerts")
_PG_LOCK = 0x79757169  # serialises event matching across processes on PostgreSQL


@dataclass(frozen=True, slots=True)
class Outcome:
    mention_id: str
    alert_id: int
    action: str  # opened, attached, raised, suppressed
    level: Level
    ticket_id: int | None = None


# When a mention has several categories, the substantive problem decides the event and the
# department: a gas outage with an unreachable hotline is an outage first.
CATEGORY_PRIORITY = ("safety", "outage", "maintenance", "construction", "billing", "connection", "inspection",
                     "scam", "online", "service", "other")


def primary_category(codes: list[str]) -> str:
    """The category an alert is filed under: the most substantive of the mention's categories."""
    ranked = sorted(codes, key=lambda code: CATEGORY_PRIORITY.index(code) if code in CATEGORY_PRIORITY else 99)
    return ranked[0] if ranked else ""


def _raw(mention: Mention) -> str:
    return f"{mention.title} {mention.text}" if mention.title else mention.text


def _summary(mention: Mention) -> str:
    body = notices.snippet(_raw(mention), 300)
    source = notices.PLATFORM_ZH.get(mention.platform, mention.platform.value)
    author = mention.author.name or "匿名"
    return f"{body}\n来源：{source} @{author} {mention.published_at:%m-%d %H:%M} {mention.url}".strip()


def find_event(session: Session, *, mention: Mention, analysis: Analysis, life_safety: bool, settings: Settings,
               now: datetime) -> Alert | None:
    """The alert this mention's event already has (open first, then one dismissed but suppressed)."""
    if mention.parent_id:
        parent = session.scalar(select(Alert).join(AlertMention, AlertMention.alert_id == Alert.id)
                                .where(AlertMention.mention_id == mention.parent_id,
                                       Alert.kind != AlertKind.burst.value).limit(1))
        if parent is not None and (parent.status in OPEN_STATUSES or (parent.suppress_until or now) > now):
            return parent
    if not analysis.event_id:  # no event link (irrelevant, or the index was down at ingest)
        return None
    kinds = [AlertKind.life_safety.value] if life_safety else [AlertKind.mention.value, AlertKind.life_safety.value]
    since = now - timedelta(hours=settings.alerts.event_window_hours)
    matching = list(session.scalars(select(Alert).where(
        Alert.kind.in_(kinds), Alert.event_key == analysis.event_id, or_(
            and_(Alert.status.in_([s.value for s in OPEN_STATUSES]), Alert.last_seen_at >= since),
            and_(Alert.status == AlertStatus.dismissed.value, Alert.suppress_until > now),
        )).order_by(Alert.last_seen_at.desc())))
    matching.sort(key=lambda alert: alert.status not in OPEN_STATUSES)  # open before suppressed
    return matching[0] if matching else None


def _attach(session: Session, alert: Alert, *, mention: Mention, analysis: Analysis, verdict: Verdict,
            now: datetime) -> None:
    category = primary_category(analysis.category_codes)
    session.add(AlertMention(alert_id=alert.id, mention_id=mention.id, level=verdict.level.value,
                             rule_ids=list(verdict.rule_ids), fingerprint=analysis.fingerprint, place=analysis.place,
                             category=category, published_at=mention.published_at, attached_at=now))


def open_alert(session: Session, *, mention: Mention, analysis: Analysis, facts: Facts, verdict: Verdict,
               settings: Settings, now: datetime) -> Outcome:
    """A new alert for a new event (and, in the life-safety lane, its emergency ticket)."""
    category = primary_category(analysis.category_codes)
    life = verdict.life_safety
    alert = Alert(kind=(AlertKind.life_safety if life else AlertKind.mention).value, level=verdict.level.value,
                  status=AlertStatus.pending.value, rule_ids=list(verdict.rule_ids), reasons=list(verdict.reasons),
                  # the post's own wording (full-width punctuation, case), not the rules' normalised text
                  title=notices.title_for(category=category, place=analysis.place, text=clean_text(_raw(mention)),
                                          life_safety=life),
                  summary=_summary(mention), category=category, place=analysis.place,
                  fingerprint=analysis.fingerprint, event_key=analysis.event_id, mention_count=1,
                  first_mention_id=mention.id,
                  department=tickets.suggest_department(settings, category=category),
                  opened_at=now, updated_at=now, last_seen_at=now)
    planned = match_event(session, at=mention.published_at, categories=analysis.category_codes, text=facts.text,
                          place=analysis.place)
    if planned is not None:
        alert.calendar_event_id, alert.wording, alert.expected = planned.id, planned.wording, not life
    session.add(alert)
    session.flush()
    _attach(session, alert, mention=mention, analysis=analysis, verdict=verdict, now=now)
    record(session, alert, actor=SYSTEM, action="open", now=now, to_value=alert.status,
           data={"mention_id": mention.id, "rules": list(verdict.rule_ids), "planned_event": alert.calendar_event_id})
    ticket_id = None
    if life:
        emergency = settings.tickets.emergency.department
        alert.status, alert.department = AlertStatus.confirmed.value, emergency
        ticket = tickets.open_ticket(
            session, title=alert.title, settings=settings, actor=SYSTEM, now=now, level=Level.red,
            category="safety", place=analysis.place, department=emergency, alert_id=alert.id, emergency=True,
            description=f"地点：{analysis.place or '未识别，请联系发布者核实'}\n{alert.summary}",
            comment="生命安全信息，系统直接派发抢修")
        record(session, alert, actor=SYSTEM, action="confirm", now=now, from_value=AlertStatus.pending.value,
               to_value=alert.status, comment="生命安全信息，跳过研判直接派单", data={"ticket_id": ticket.id})
        ticket_id = ticket.id
    queue_notice(session, notices.opened(alert, base_url=settings.notify.base_url, ticket_id=ticket_id))
    return Outcome(mention.id, alert.id, "opened", verdict.level, ticket_id)


def is_old(mention: Mention, *, settings: Settings, now: datetime) -> bool:
    """Published longer ago than `alerts.max_post_age_hours`: too old to open an alert or page anyone."""
    return now - mention.published_at > timedelta(hours=settings.alerts.max_post_age_hours)


def _attach_old(session: Session, alert: Alert, *, mention: Mention, settings: Settings, now: datetime) -> Outcome:
    """An old mention of an event with an alert: kept with the event so reviewers and the
    department see the whole story (an earlier report of the same leak matters to the repair
    crew), but it neither raises the level nor pages anyone, and it does not make the event
    look active again (`last_seen_at` stays)."""
    alert.mention_count += 1
    alert.updated_at = now
    published = f"{mention.published_at:%Y-%m-%d %H:%M}"
    record(session, alert, actor=SYSTEM, action="attach", now=now,
           comment=f"发布于 {published} 的旧信息，仅归入本事件，不提升级别、不发通知",
           data={"mention_id": mention.id, "old": True})
    if alert.status == AlertStatus.dismissed.value:
        return Outcome(mention.id, alert.id, "suppressed", Level(alert.level))
    if alert.kind == AlertKind.life_safety.value:
        _note_on_tickets(session, alert, settings=settings, now=now,
                         text=f"补充一条较早（{published}）的相关信息：{_summary(mention)}")
    return Outcome(mention.id, alert.id, "attached", Level(alert.level))


def _explain(session: Session, alert: Alert, *, mention: Mention, analysis: Analysis, facts: Facts,
             now: datetime) -> None:
    """An alert opened before its planned operation was entered in the calendar becomes 计划内, with
    the approved wording, as soon as a new mention of it falls within that operation."""
    if alert.expected or alert.kind != AlertKind.mention.value:
        return
    planned = match_event(session, at=mention.published_at, categories=analysis.category_codes, text=facts.text,
                          place=analysis.place)
    if planned is None:
        return
    _mark_planned(session, alert, planned, actor=SYSTEM, now=now, data={"mention_id": mention.id})


def _mark_planned(session: Session, alert: Alert, event: PlannedEvent, *, actor: Actor, now: datetime,
                  data: dict[str, object] | None = None) -> None:
    """An open alert the operation explains after it was opened: 计划内 from now on, in its trail."""
    alert.calendar_event_id, alert.wording, alert.expected = event.id, event.wording, True
    record(session, alert, actor=actor, action="planned", now=now, comment=f"已登记的计划作业：{event.title}",
           data={**(data or {}), "planned_event": event.id})


def explain_open_alerts(session: Session, *, event: PlannedEvent, actor: Actor, now: datetime) -> list[int]:
    """Open alerts that a planned operation just entered (or changed) explains become 计划内 at once,
    with its wording: staff enter an outage after the first complaints, and expect those to show it.
    Judged on what the alert keeps of each mention (time, category, place) and its title."""
    found = session.scalars(select(Alert).where(
        Alert.kind == AlertKind.mention.value, Alert.expected.is_(False), Alert.status.in_(OPEN_STATUSES),
        Alert.last_seen_at >= event.starts_at - timedelta(hours=LEAD_HOURS),
        Alert.opened_at <= event.ends_at + timedelta(hours=TAIL_HOURS)).order_by(Alert.id))
    marked = []
    for alert in found:
        mentions = session.scalars(select(AlertMention).where(AlertMention.alert_id == alert.id))
        if any(explains(event, at=m.published_at, categories=[m.category or alert.category],
                        text=alert.title, place=m.place or alert.place) for m in mentions):
            _mark_planned(session, alert, event, actor=actor, now=now)
            marked.append(alert.id)
    # A corrected 对外口径 reaches the open alerts already linked to the entry (and their tickets' pages).
    for alert in session.scalars(select(Alert).where(Alert.calendar_event_id == event.id,
                                                     Alert.status.in_(OPEN_STATUSES), Alert.wording != event.wording)):
        alert.wording = event.wording
    return marked


def attach_to(session: Session, alert: Alert, *, mention: Mention, analysis: Analysis, facts: Facts,
              verdict: Verdict, rules: RuleSet, settings: Settings, now: datetime) -> Outcome:
    """Attach a mention to its event's alert; raise the level when the mention or the event's size calls for it."""
    _attach(session, alert, mention=mention, analysis=analysis, verdict=verdict, now=now)
    if is_old(mention, settings=settings, now=now):
        return _attach_old(session, alert, mention=mention, settings=settings, now=now)
    alert.mention_count += 1
    alert.last_seen_at = alert.updated_at = now
    if alert.status == AlertStatus.dismissed.value:
        record(session, alert, actor=SYSTEM, action="attach", now=now, comment="排除后的抑制期内，同一事件的新信息",
               data={"mention_id": mention.id})
        return Outcome(mention.id, alert.id, "suppressed", Level(alert.level))
    _explain(session, alert, mention=mention, analysis=analysis, facts=facts, now=now)
    # 计划内 (the operations calendar explains it): more mentions of the event do not raise it.
    sized = verdict if alert.expected else (
        rules.evaluate(dataclasses.replace(facts, event_mentions=alert.mention_count)) or verdict)
    level = max((Level(alert.level), verdict.level, sized.level), key=lambda lv: lv.rank)
    new_rules = [r for r in (*verdict.rule_ids, *sized.rule_ids) if r not in alert.rule_ids]
    alert.rule_ids = [*alert.rule_ids, *dict.fromkeys(new_rules)]
    alert.reasons = [*alert.reasons, *[r for r in dict.fromkeys((*verdict.reasons, *sized.reasons))
                                       if r not in alert.reasons]]
    record(session, alert, actor=SYSTEM, action="attach", now=now, data={"mention_id": mention.id})
    action = "attached"
    if level.rank > Level(alert.level).rank:
        before, alert.level, action = alert.level, level.value, "raised"
        record(session, alert, actor=SYSTEM, action="raise", now=now, from_value=before, to_value=level.value,
               comment="；".join(sized.reasons if sized is not verdict else verdict.reasons))
        queue_notice(session, notices.raised(alert, before, base_url=settings.notify.base_url))
    if alert.kind == AlertKind.life_safety.value:
        _note_on_tickets(session, alert, settings=settings, now=now, text=f"又收到一条相关信息：{_summary(mention)}")
    return Outcome(mention.id, alert.id, action, Level(alert.level))


def _note_on_tickets(session: Session, alert: Alert, *, settings: Settings, now: datetime, text: str) -> None:
    for ticket_id in session.scalars(select(Ticket.id).where(Ticket.alert_id == alert.id,
                                                             Ticket.status != TicketStatus.closed.value)):
        tickets.transition(session, ticket_id=ticket_id, action="note", actor=SYSTEM, settings=settings, now=now,
                           comment=text)


def process_mention(session: Session, *, mention: Mention, analysis: Analysis, rules: RuleSet,
                    settings: Settings, now: datetime) -> Outcome | None:
    """Evaluate one stored mention and open, attach to or raise its event's alert."""
    facts = facts_of(mention, analysis)
    verdict = rules.evaluate(facts)
    if verdict is None:
        return None
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
    if session.scalar(select(AlertMention.alert_id).where(AlertMention.mention_id == mention.id).limit(1)):
        return None  # already part of an alert
    alert = find_event(session, mention=mention, analysis=analysis, life_safety=verdict.life_safety,
                       settings=settings, now=now)
    old = is_old(mention, settings=settings, now=now)
    dismissed = alert is not None and alert.status == AlertStatus.dismissed.value
    if dismissed and verdict.level.rank > Level(alert.level).rank and not old:
        alert = None  # more serious than what was dismissed: a fresh look
    if alert is None:
        if old:  # stored and counted, but old news must not open alerts, tickets or page anyone
            log.info("mention %s published %s is older than %s h: no alert", mention.id,
                     f"{mention.published_at:%Y-%m-%d %H:%M}", settings.alerts.max_post_age_hours)
            return None
        return open_alert(session, mention=mention, analysis=analysis, facts=facts, verdict=verdict,
                          settings=settings, now=now)
    return attach_to(session, alert, mention=mention, analysis=analysis, facts=facts, verdict=verdict, rules=rules,
                     settings=settings, now=now)


class AlertEvaluator:
    """The ingest listener: evaluates every newly stored mention, each in its own transaction."""

    def __init__(self, db: Database, rules: RuleBook, settings: Settings) -> None:
        self.db, self.rules, self.settings = db, rules, settings

    def __call__(self, ingested: Ingested) -> None:
        new = [(mention, analysis) for mention, analysis, is_new in ingested.items if is_new]
        if new:
            self.evaluate(new, now=now_shanghai())

    def evaluate(self, items: list[tuple[Mention, Analysis]], *, now: datetime) -> list[Outcome]:
        rules = self.rules.refresh()
        outcomes = []
        for mention, analysis in items:
            try:
                with self.db.write() as session:
                    outcome = process_mention(session, mention=mention, analysis=analysis, rules=rules,
                                              settings=self.settings, now=now)
            except Exception:  # the mention is stored; one bad evaluation must not stop the others
                log.exception("alert evaluation failed for mention %s", mention.id)
                continue
            if outcome is not None:
                outcomes.append(outcome)
                log.info("alert %s %s (%s) for mention %s", outcome.alert_id, outcome.action, outcome.level.value,
                         mention.id)
        return outcomes
