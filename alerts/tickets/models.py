"""Ticket records and their append-only audit trail."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alerts.db import Base


class TicketStatus(StrEnum):
    new = "new"  # 待派单
    assigned = "assigned"  # 已派单
    in_progress = "in_progress"  # 处理中
    resolved = "resolved"  # 已办结
    visited = "visited"  # 已回访
    closed = "closed"  # 已关闭


STATUS_ZH = {
    TicketStatus.new: "待派单", TicketStatus.assigned: "已派单", TicketStatus.in_progress: "处理中",
    TicketStatus.resolved: "已办结", TicketStatus.visited: "已回访", TicketStatus.closed: "已关闭",
}
# Not yet accepted by the department: the response clock runs.
AWAITING_RESPONSE = (TicketStatus.new, TicketStatus.assigned)
# Not yet reported done: the resolution clock runs.
AWAITING_RESOLUTION = (TicketStatus.new, TicketStatus.assigned, TicketStatus.in_progress)


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"), default=None)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(20), default="")
    level: Mapped[str] = mapped_column(String(10))
    place: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str] = mapped_column(String(40), default="")
    assignee: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(12), default=TicketStatus.new)
    emergency: Mapped[bool] = mapped_column(default=False)
    working_time: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    respond_due: Mapped[datetime]
    resolve_due: Mapped[datetime]
    responded_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    visited_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    remind_respond_at: Mapped[datetime]  # when the "due soon" reminder goes out
    remind_resolve_at: Mapped[datetime]
    reminded_respond: Mapped[bool] = mapped_column(default=False)
    reminded_resolve: Mapped[bool] = mapped_column(default=False)
    escalation_level: Mapped[int] = mapped_column(default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(default=None)
    handler_reply: Mapped[str] = mapped_column(Text, default="")
    public_response: Mapped[str] = mapped_column(Text, default="")
    visit_result: Mapped[str] = mapped_column(Text, default="")
    satisfaction: Mapped[int | None] = mapped_column(default=None)
    reopen_count: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_tickets_department_status_updated", "department", "status", "updated_at"),
        Index("ix_tickets_status_updated", "status", "updated_at"),
        Index("ix_tickets_status_resolve_due", "status", "resolve_due"),
        Index("ix_tickets_created", "created_at"),
        Index("ix_tickets_closed", "closed_at"),
        Index("ix_tickets_alert", "alert_id"),
    )


class TicketEvent(Base):
    """Append-only: who changed what, when, from which status to which (updates are refused)."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))
    actor_role: Mapped[str] = mapped_column(String(20), default="")
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str] = mapped_column(String(12), default="")
    to_status: Mapped[str] = mapped_column(String(12), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (
        Index("ix_ticket_events_ticket", "ticket_id", "id"),
        Index("ix_ticket_events_action_at", "action", "at"),
    )
