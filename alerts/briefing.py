"""What the alerts stage adds to the daily and weekly briefings (`yuqing.reports.extensions`).

- Each top negative event gets the status of its alert and of the alert's latest ticket, e.g.
  "红色预警 · 已确认 · 工单#12 处理中（超时，督办×1）". An event is matched to an alert through
  its mentions: first its own id (the id of its first mention), then, when that mention is in
  no alert, the event's other mentions as the mention index lists them.
- Two tables: 新增工单 (opened in the period, with their status now) and 超时工单 (past a running
  deadline at the time the report is made, longest overdue first).

`yuqing.wiring.briefing_extensions(settings)` returns one `AlertBriefing`; it opens the alerts
database on first use, so a database that cannot be reached only leaves these parts out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.db import Database, open_database
from alerts.levels import Level
from alerts.models import ALERT_STATUS_ZH, Alert, AlertKind, AlertMention, AlertStatus
from alerts.tickets.models import STATUS_ZH, Ticket, TicketStatus
from alerts.tickets.queries import overdue_condition, running_clock
from alerts.tickets.service import category_name
from store.base import MentionQuery, MentionStore, Sort
from yuqing.reports.model import ExtraSection, Period
from yuqing.settings import Settings

MAX_ROWS = 50  # per table; the rest is counted in the note
EVENT_SCAN = 200  # mentions of an event looked at to find its alert
CLOCK_ZH = {"respond": "签收", "resolve": "办结"}


def duration_zh(span: timedelta) -> str:
    """"2天3小时", "5小时20分", "40分钟"."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, hours, rest = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return f"{days}天{hours}小时"
    return f"{hours}小时{rest}分" if hours else f"{rest}分钟"


def _rank(alert: Alert) -> tuple[int, int, datetime]:
    """Which of several alerts speaks for a mention: an event's own alert before a burst, then
    the highest level, then the most recently active."""
    return (alert.kind != AlertKind.burst.value, Level(alert.level).rank, alert.last_seen_at)


def alerts_of_mentions(session: Session, mention_ids: Iterable[str]) -> dict[str, Alert]:
    """The alert each of these mentions belongs to (the one that speaks for it, when several)."""
    wanted = list(dict.fromkeys(mention_ids))
    found: dict[str, Alert] = {}
    for start in range(0, len(wanted), 500):
        rows = session.execute(select(AlertMention.mention_id, Alert)
                               .join(Alert, Alert.id == AlertMention.alert_id)
                               .where(AlertMention.mention_id.in_(wanted[start:start + 500])))
        for mention_id, alert in rows:
            if mention_id not in found or _rank(alert) > _rank(found[mention_id]):
                found[mention_id] = alert
    return found


def _ticket_text(ticket: Ticket, now: datetime) -> str:
    clock = running_clock(status=ticket.status, respond_due=ticket.respond_due, resolve_due=ticket.resolve_due,
                          now=now)
    marks = (["超时"] if clock and clock.overdue else []) + \
        ([f"督办×{ticket.escalation_level}"] if ticket.escalation_level else [])
    state = STATUS_ZH[TicketStatus(ticket.status)]
    return f"工单#{ticket.id} {state}" + (f"（{'，'.join(marks)}）" if marks else "")


def alert_status_text(alert: Alert, ticket: Ticket | None, now: datetime) -> str:
    parts = [f"{Level(alert.level).zh}预警", ALERT_STATUS_ZH[AlertStatus(alert.status)]]
    if ticket is not None:
        parts.append(_ticket_text(ticket, now))
    return " · ".join(parts)


class AlertBriefing:
    """The `BriefingExtension` of the alerts stage."""

    def __init__(self, *, settings: Settings, db: Database | None = None, store: MentionStore | None = None) -> None:
        self.settings, self.store = settings, store
        self._db, self._owned = db, db is None

    def _database(self) -> Database:
        if self._db is None:
            self._db = open_database(self.settings)
        return self._db

    def close(self) -> None:
        if self._owned and self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> AlertBriefing:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _event_mentions(self, event_id: str) -> list[str]:
        if self.store is None:
            return []
        page = self.store.search(MentionQuery(event_id=event_id, limit=EVENT_SCAN, sort=Sort.oldest))
        return [item.mention.id for item in page.items]

    def event_status(self, *, event_ids: list[str], now: datetime) -> dict[str, str]:
        """Alert and ticket status per event, for the events that have an alert."""
        with self._database().read() as session:
            direct = alerts_of_mentions(session, event_ids)
            chosen = {event: direct[event] for event in event_ids if event in direct}
            for event in (e for e in event_ids if e not in chosen):
                members = alerts_of_mentions(session, self._event_mentions(event))
                if members:
                    chosen[event] = max(members.values(), key=_rank)
            latest: dict[int, Ticket] = {}
            alert_ids = {alert.id for alert in chosen.values()}
            if alert_ids:
                for ticket in session.scalars(select(Ticket).where(Ticket.alert_id.in_(alert_ids))
                                              .order_by(Ticket.id)):
                    latest[ticket.alert_id] = ticket  # type: ignore[index]
            return {event: alert_status_text(alert, latest.get(alert.id), now) for event, alert in chosen.items()}

    def sections(self, *, period: Period, now: datetime) -> list[ExtraSection]:
        """新增工单 of the period and 超时工单 at `now`."""
        with self._database().read() as session:
            opened = list(session.scalars(select(Ticket).where(Ticket.created_at >= period.since,
                                                               Ticket.created_at < period.until)
                                          .order_by(Ticket.created_at, Ticket.id)))
            overdue = list(session.scalars(select(Ticket).where(overdue_condition(now))))
        return [self._opened_section(opened), self._overdue_section(overdue, now)]

    def _department(self, code: str) -> str:
        department = self.settings.departments.get(code)
        return department.name if department else (code or "未派单")

    def _opened_section(self, tickets: list[Ticket]) -> ExtraSection:
        rows = [[f"#{t.id}", t.title[:60], Level(t.level).zh, category_name(t.category), self._department(t.department),
                 STATUS_ZH[TicketStatus(t.status)] + ("（紧急）" if t.emergency else ""), f"{t.created_at:%m-%d %H:%M}"]
                for t in tickets]
        closed = sum(1 for t in tickets if t.status == TicketStatus.closed.value)
        urgent = sum(1 for t in tickets if t.emergency)
        note = f"本期新增工单 {len(tickets)} 件，其中紧急 {urgent} 件，目前已关闭 {closed} 件。"
        if len(rows) > MAX_ROWS:
            note += f"表中列出前 {MAX_ROWS} 件，其余请在“工单督办”页面查看。"
        return ExtraSection(key="tickets_new", title="新增工单",
                            headers=["工单", "标题", "级别", "类别", "责任部门", "当前状态", "创建时间"],
                            rows=rows[:MAX_ROWS], note=note)

    def _overdue_section(self, tickets: list[Ticket], now: datetime) -> ExtraSection:
        rows = []
        clocks = [(t, running_clock(status=t.status, respond_due=t.respond_due, resolve_due=t.resolve_due, now=now))
                  for t in tickets]
        clocks.sort(key=lambda pair: (pair[1].due if pair[1] else now, pair[0].id))
        for ticket, clock in clocks:
            if clock is None:  # cannot happen for an overdue ticket; never hide one because of it
                clock_zh, due = "—", now
            else:
                clock_zh, due = CLOCK_ZH[clock.kind], clock.due
            rows.append([f"#{ticket.id}", ticket.title[:60], self._department(ticket.department),
                         STATUS_ZH[TicketStatus(ticket.status)], clock_zh, f"{due:%m-%d %H:%M}",
                         duration_zh(now - due), f"{ticket.escalation_level} 级" if ticket.escalation_level else "—"])
        note = f"截至 {now:%Y-%m-%d %H:%M}，超时工单 {len(rows)} 件。"
        if len(rows) > MAX_ROWS:
            note += f"表中列出超时最久的 {MAX_ROWS} 件。"
        return ExtraSection(key="tickets_overdue", title="超时工单",
                            headers=["工单", "标题", "责任部门", "当前状态", "超时环节", "时限", "已超时", "督办"],
                            rows=rows[:MAX_ROWS], note=note)
