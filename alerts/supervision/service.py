"""Supervision figures per department and period, and their CSV / XLSX export.

Definitions (period = [since, until)):
- opened: tickets created in the period; closed: tickets closed in the period.
- on-time response rate: of the tickets opened in the period whose response is known (given,
  or its deadline passed), the share accepted (签收) by the deadline. Resolution likewise
  with 办结 and the resolution deadline.
- median hours to close: creation → closing, of the tickets closed in the period.
- overdue now: open tickets past a running deadline at the moment of the query.
- escalations: 督办 events in the period.
- reopen rate: of the tickets opened in the period, the share sent back at least once (重办).
- mean satisfaction: return-visit scores (1–5) recorded in the period.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from statistics import mean, median

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from alerts.tickets.models import Ticket, TicketEvent, TicketStatus
from alerts.tickets.queries import overdue_condition
from yuqing.settings import Settings

UNASSIGNED = "未派单"
TOTAL = "合计"


@dataclass
class DepartmentFigures:
    department: str
    name: str
    opened: int = 0
    closed: int = 0
    response_on_time_rate: float | None = None
    resolution_on_time_rate: float | None = None
    median_hours_to_close: float | None = None
    overdue_now: int = 0
    escalations: int = 0
    reopen_rate: float | None = None
    mean_satisfaction: float | None = None


HEADERS_ZH = {
    "department": "部门代码", "name": "部门", "opened": "新增工单", "closed": "关闭工单",
    "response_on_time_rate": "按时签收率", "resolution_on_time_rate": "按时办结率",
    "median_hours_to_close": "关闭用时中位数（小时）", "overdue_now": "当前超时", "escalations": "督办次数",
    "reopen_rate": "重办率", "mean_satisfaction": "平均满意度",
}


def _rate(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def _on_time(tickets: list[Ticket], *, done: str, due: str, now: datetime) -> float | None:
    known = [t for t in tickets if getattr(t, done) is not None or getattr(t, due) < now]
    return _rate(sum(1 for t in known if getattr(t, done) is not None and getattr(t, done) <= getattr(t, due)),
                 len(known))


def _figures(code: str, name: str, opened: list[Ticket], closed: list[Ticket], *, now: datetime,
             overdue: int, escalations: int, scores: list[int]) -> DepartmentFigures:
    hours = [(t.closed_at - t.created_at).total_seconds() / 3600 for t in closed if t.closed_at]
    return DepartmentFigures(
        department=code, name=name, opened=len(opened), closed=len(closed),
        response_on_time_rate=_on_time(opened, done="responded_at", due="respond_due", now=now),
        resolution_on_time_rate=_on_time(opened, done="resolved_at", due="resolve_due", now=now),
        median_hours_to_close=round(median(hours), 2) if hours else None,
        overdue_now=overdue, escalations=escalations,
        # among tickets handled at least once: one never finished cannot have been sent back
        reopen_rate=_rate(sum(1 for t in opened if t.reopen_count > 0),
                          sum(1 for t in opened if t.resolved_at is not None or t.reopen_count > 0)),
        mean_satisfaction=round(mean(scores), 2) if scores else None)


def supervision(session: Session, *, settings: Settings, since: datetime, until: datetime, now: datetime,
                department: str = "") -> list[DepartmentFigures]:
    """Figures for every configured department (or one), then a total row."""
    in_period = or_(Ticket.created_at.between(since, until), Ticket.closed_at.between(since, until))
    query = select(Ticket).where(in_period)
    if department:
        query = query.where(Ticket.department == department)
    opened: dict[str, list[Ticket]] = defaultdict(list)
    closed: dict[str, list[Ticket]] = defaultdict(list)
    for ticket in session.scalars(query):
        code = ticket.department or UNASSIGNED
        if since <= ticket.created_at < until:
            opened[code].append(ticket)
        if ticket.status == TicketStatus.closed.value and ticket.closed_at and since <= ticket.closed_at < until:
            closed[code].append(ticket)
    overdue = dict(session.execute(select(Ticket.department, func.count()).where(overdue_condition(now))
                                   .group_by(Ticket.department)).all())
    escalations: dict[str, int] = defaultdict(int)
    scores: dict[str, list[int]] = defaultdict(list)
    events = session.execute(select(Ticket.department, TicketEvent.action, TicketEvent.data)
                             .join(Ticket, Ticket.id == TicketEvent.ticket_id)
                             .where(TicketEvent.action.in_(["escalate", "visit", "redo"]),
                                    TicketEvent.at >= since, TicketEvent.at < until))
    for code, action, data in events:
        if action == "escalate":
            escalations[code or UNASSIGNED] += 1
        elif (data or {}).get("satisfaction") is not None:
            scores[code or UNASSIGNED].append(int(data["satisfaction"]))
    overdue = {code or UNASSIGNED: count for code, count in overdue.items()}
    codes = [department] if department else [*settings.departments, UNASSIGNED]
    rows = []
    for code in codes:
        name = settings.departments[code].name if code in settings.departments else code
        if code == UNASSIGNED and not (opened[code] or overdue.get(code)):
            continue
        rows.append(_figures(code, name, opened[code], closed[code], now=now, overdue=overdue.get(code, 0),
                             escalations=escalations[code], scores=scores[code]))
    every = [t for code in codes for t in opened[code]]
    done = [t for code in codes for t in closed[code]]
    rows.append(_figures(TOTAL, TOTAL, every, done, now=now, overdue=sum(overdue.get(c, 0) for c in codes),
                         escalations=sum(escalations[c] for c in codes), scores=[s for c in codes for s in scores[c]]))
    return rows


def _cell(value: object) -> object:
    return "" if value is None else value


def to_csv(rows: list[DepartmentFigures]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs show the Chinese headers correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    names = [f.name for f in fields(DepartmentFigures)]
    writer.writerow([HEADERS_ZH[n] for n in names])
    for row in rows:
        values = asdict(row)
        writer.writerow([_cell(values[n]) for n in names])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(rows: list[DepartmentFigures], *, title: str) -> bytes:
    from openpyxl import Workbook  # only exports need it: keep it out of the service's memory
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "督办考核"
    names = [f.name for f in fields(DepartmentFigures)]
    sheet.append([title])
    sheet.append([HEADERS_ZH[n] for n in names])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        values = asdict(row)
        sheet.append([values[n] for n in names])
    for column, name in zip(sheet.iter_cols(min_row=3), names, strict=True):
        if name.endswith("_rate"):
            for cell in column:
                cell.number_format = "0.0%"
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
