"""Reading tickets: the filtered list and the board (one column per open status).

Handlers always see their own department only: the filter is applied here, not left to callers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from alerts.actor import Actor
from alerts.tickets.models import AWAITING_RESOLUTION, AWAITING_RESPONSE, Ticket, TicketStatus
from yuqing.records import Role

BOARD_COLUMNS = (TicketStatus.new, TicketStatus.assigned, TicketStatus.in_progress, TicketStatus.resolved,
                 TicketStatus.visited)


@dataclass(frozen=True)
class TicketFilter:
    statuses: list[TicketStatus] = field(default_factory=list)
    department: str = ""
    levels: list[str] = field(default_factory=list)
    category: str = ""
    emergency: bool | None = None
    overdue: bool | None = None
    text: str = ""  # in the title
    since: datetime | None = None  # created at or after
    until: datetime | None = None  # created before


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """Past a deadline that still runs: response not given in time, or resolution not reported."""
    return or_(
        and_(Ticket.status.in_([s.value for s in AWAITING_RESPONSE]), Ticket.respond_due < now),
        and_(Ticket.status.in_([s.value for s in AWAITING_RESOLUTION]), Ticket.resolve_due < now),
    )


@dataclass(frozen=True)
class Clock:
    """The deadline that runs for a ticket now (for countdowns): 签收 (respond) or 办结 (resolve)."""

    kind: str  # "respond" or "resolve"
    due: datetime
    overdue: bool


def running_clock(*, status: str, respond_due: datetime, resolve_due: datetime, now: datetime) -> Clock | None:
    """The clock a page counts down, overdue exactly when `overdue_condition` holds (the response
    deadline comes first, so while it runs it is the one shown); None once the work is reported done."""
    state = TicketStatus(status)
    if state in AWAITING_RESPONSE:
        return Clock("respond", respond_due, respond_due < now or resolve_due < now)
    if state in AWAITING_RESOLUTION:
        return Clock("resolve", resolve_due, resolve_due < now)
    return None


def _conditions(actor: Actor, filters: TicketFilter, now: datetime) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if actor.role == Role.handler:
        conditions.append(Ticket.department == actor.department)
    if filters.statuses:
        conditions.append(Ticket.status.in_([s.value for s in filters.statuses]))
    if filters.department:
        conditions.append(Ticket.department == filters.department)
    if filters.levels:
        conditions.append(Ticket.level.in_(filters.levels))
    if filters.category:
        conditions.append(Ticket.category == filters.category)
    if filters.emergency is not None:
        conditions.append(Ticket.emergency.is_(filters.emergency))
    if filters.overdue is not None:
        overdue = overdue_condition(now)
        conditions.append(overdue if filters.overdue else ~overdue)
    if filters.text:
        conditions.append(Ticket.title.contains(filters.text, autoescape=True))
    if filters.since:
        conditions.append(Ticket.created_at >= filters.since)
    if filters.until:
        conditions.append(Ticket.created_at < filters.until)
    return conditions


def list_tickets(session: Session, *, actor: Actor, filters: TicketFilter, now: datetime, offset: int = 0,
                 limit: int = 50) -> tuple[int, list[Ticket]]:
    """Matching tickets, most recently changed first, and how many match in all."""
    conditions = _conditions(actor, filters, now)
    total = session.scalar(select(func.count()).select_from(Ticket).where(*conditions)) or 0
    items = session.scalars(select(Ticket).where(*conditions)
                            .order_by(Ticket.updated_at.desc(), Ticket.id.desc()).offset(offset).limit(limit))
    return total, list(items)


@dataclass
class Column:
    status: TicketStatus
    count: int
    overdue: int
    items: list[Ticket]
    escalated: int = 0  # escalated (督办) at least once
    emergency: int = 0


def board(session: Session, *, actor: Actor, now: datetime, department: str = "",
          per_column: int = 20) -> list[Column]:
    """Open tickets by status: counts, overdue counts and the most urgent first in each column."""
    filters = TicketFilter(statuses=list(BOARD_COLUMNS), department=department)
    conditions = _conditions(actor, filters, now)
    overdue = func.sum(case((overdue_condition(now), 1), else_=0))
    escalated = func.sum(case((Ticket.escalation_level > 0, 1), else_=0))
    emergency = func.sum(case((Ticket.emergency.is_(True), 1), else_=0))
    counts = {status: (count, late or 0, up or 0, urgent or 0) for status, count, late, up, urgent in session.execute(
        select(Ticket.status, func.count(), overdue, escalated, emergency).where(*conditions)
        .group_by(Ticket.status))}
    columns = []
    for status in BOARD_COLUMNS:
        count, late, up, urgent = counts.get(status.value, (0, 0, 0, 0))
        items: list[Ticket] = []
        if count:
            column_conditions = [c for c in _conditions(actor, TicketFilter(department=department), now)]
            items = list(session.scalars(
                select(Ticket).where(Ticket.status == status.value, *column_conditions)
                .order_by(Ticket.resolve_due, Ticket.id).limit(per_column)))
        columns.append(Column(status=status, count=count, overdue=late, items=items, escalated=up, emergency=urgent))
    return columns
