"""The SLA sweep (every `tickets.sla_sweep_minutes`): reminders before a deadline, 督办 after it.

Each reminder and escalation goes through `service.transition` as the system actor, so it is
recorded in the ticket's audit trail like any other change, and its notice is sent after commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from alerts.actor import SYSTEM
from alerts.db import Database
from alerts.errors import ServiceError
from alerts.tickets.models import AWAITING_RESOLUTION, AWAITING_RESPONSE, Ticket
from alerts.tickets.queries import overdue_condition
from alerts.tickets.service import transition
from yuqing.settings import Settings

log = logging.getLogger("yuqing.tickets.sla")


@dataclass
class SweepReport:
    reminded: int = 0
    escalated: int = 0


def _due_reminders(db: Database, now: datetime) -> list[tuple[int, str]]:
    respond = [s.value for s in AWAITING_RESPONSE]
    resolve = [s.value for s in AWAITING_RESOLUTION]
    with db.read() as session:
        rows = session.execute(select(Ticket.id, Ticket.status, Ticket.reminded_respond, Ticket.remind_respond_at,
                                      Ticket.respond_due).where(or_(
            and_(Ticket.status.in_(respond), Ticket.reminded_respond.is_(False), Ticket.remind_respond_at <= now),
            and_(Ticket.status.in_(resolve), Ticket.reminded_resolve.is_(False), Ticket.remind_resolve_at <= now),
        ))).all()
    due = []
    for ticket_id, status, reminded_respond, remind_respond_at, _ in rows:
        respond_due = status in respond and not reminded_respond and remind_respond_at <= now
        due.append((ticket_id, "respond" if respond_due else "resolve"))
    return due


def _overdue(db: Database, settings: Settings, now: datetime) -> list[int]:
    repeat = now - timedelta(minutes=settings.tickets.escalate_every_minutes)
    with db.read() as session:
        return list(session.scalars(select(Ticket.id).where(
            overdue_condition(now),
            Ticket.escalation_level < len(settings.tickets.escalation_levels),
            or_(Ticket.escalated_at.is_(None), Ticket.escalated_at <= repeat),
        ).order_by(Ticket.id)))


def sla_sweep(db: Database, *, settings: Settings, now: datetime) -> SweepReport:
    """Send due reminders and escalate overdue tickets one level; each ticket in its own transaction."""
    report = SweepReport()
    for ticket_id, clock in _due_reminders(db, now):
        try:
            with db.write() as session:
                transition(session, ticket_id=ticket_id, action="remind", actor=SYSTEM, settings=settings,
                           now=now, clock=clock)
            report.reminded += 1
        except ServiceError as exc:  # changed meanwhile (e.g. resolved): nothing to remind
            log.info("ticket %s: no reminder: %s", ticket_id, exc.message)
    for ticket_id in _overdue(db, settings, now):
        try:
            with db.write() as session:
                transition(session, ticket_id=ticket_id, action="escalate", actor=SYSTEM, settings=settings,
                           now=now, comment="超过时限，系统自动督办", by_system=True)
            report.escalated += 1
        except ServiceError as exc:
            log.info("ticket %s: not escalated: %s", ticket_id, exc.message)
    return report
