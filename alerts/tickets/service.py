"""Tickets: open one, change one (through `transition` only), read them, suggest a department.

Every function takes keyword arguments; every change writes one append-only `TicketEvent`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from alerts.actor import ROLE_ZH, Actor
from alerts.errors import Conflict, Forbidden, Invalid, NotFound, check_length
from alerts.levels import Level
from alerts.notify.outbox import queue_notice
from alerts.tickets import notices
from alerts.tickets.models import STATUS_ZH, Ticket, TicketEvent, TicketStatus
from alerts.tickets.sla import deadlines
from alerts.tickets.transitions import ACTIONS, CREATED, Action
from yuqing.records import CATEGORY_NAMES_ZH, Category, Role
from yuqing.settings import Settings


def suggest_department(settings: Settings, *, category: str) -> str:
    """The department whose categories include `category` (the first configured one), or ""."""
    for code, department in settings.departments.items():
        if category in {c.value for c in department.categories}:
            return code
    return ""


def _event(session: Session, ticket: Ticket, *, actor: Actor, action: str, now: datetime,
           from_status: str = "", comment: str = "", data: dict[str, Any] | None = None) -> None:
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor=actor.name, actor_role=actor.role.value,
                            action=action, from_status=from_status, to_status=ticket.status,
                            comment=comment, data=data or {}))


def open_ticket(session: Session, *, title: str, settings: Settings, actor: Actor, now: datetime,
                level: Level, category: str = "", description: str = "", place: str = "",
                department: str = "", alert_id: int | None = None, emergency: bool = False,
                comment: str = "") -> Ticket:
    """A new ticket with its SLA deadlines; assigned at once when a department is given."""
    if department and department not in settings.departments:
        raise Invalid(f"未知部门：{department}")
    if category and category not in Category.__members__:
        raise Invalid(f"未知投诉类别：{category}")
    clocks = deadlines(settings, level=Level(level).value, category=category or "*", emergency=emergency, start=now)
    ticket = Ticket(alert_id=alert_id, title=title[:300], description=description, category=category,
                    level=Level(level).value, place=place, department="", status=TicketStatus.new.value,
                    emergency=emergency, working_time=clocks.working_time, created_by=actor.name,
                    created_at=now, updated_at=now, respond_due=clocks.respond_due, resolve_due=clocks.resolve_due,
                    remind_respond_at=clocks.remind_respond_at, remind_resolve_at=clocks.remind_resolve_at)
    session.add(ticket)
    session.flush()
    _event(session, ticket, actor=actor, action=CREATED, now=now, comment=comment,
           data={"respond_due": clocks.respond_due.isoformat(), "resolve_due": clocks.resolve_due.isoformat()})
    if department:
        _assign(session, ticket, settings=settings, department=department, assignee="")
        _event(session, ticket, actor=actor, action="assign", now=now, from_status=TicketStatus.new.value,
               data={"department": department})
        queue_notice(session, notices.assigned(settings, ticket))
    return ticket


def _assign(session: Session, ticket: Ticket, *, settings: Settings, department: str, assignee: str) -> None:
    if department not in settings.departments:
        raise Invalid(f"未知部门：{department}（可选：{'、'.join(settings.departments)}）")
    ticket.department, ticket.assignee = department, assignee
    ticket.status = TicketStatus.assigned.value


def _check(ticket: Ticket, action: Action, actor: Actor, version: int | None) -> None:
    """Role, scope, version and status checks, in the order people find most helpful."""
    if actor.role == Role.handler and ticket.department != actor.department:
        raise NotFound(f"工单 {ticket.id} 不存在")
    allowed = actor.role in action.roles or (action.system and actor.via == "system")
    if not allowed:
        raise Forbidden(f"{ROLE_ZH.get(actor.role, actor.role)}无权执行“{action.zh}”")
    if version is not None and version != ticket.version:
        raise Conflict("工单已被他人更新，请刷新后重试")
    if TicketStatus(ticket.status) not in action.sources:
        raise Conflict(f"工单当前状态为“{STATUS_ZH[TicketStatus(ticket.status)]}”，不能执行“{action.zh}”")


# The action form's labels (the 工单督办 page shows these), so a refusal names the field as seen.
FIELD_NAMES = {"department": "责任部门", "comment": "说明", "reply": "办理情况", "visit_result": "回访结果",
               "satisfaction": "满意度", "public_response": "对外回应", "assignee": "经办人"}
# The longest text each field takes (the page's forms allow the same): the trail stays readable.
TEXT_LIMITS = {"comment": 4000, "reply": 8000, "public_response": 8000, "visit_result": 4000, "assignee": 80}


def _require(action: Action, fields: dict[str, Any]) -> None:
    for field, limit in TEXT_LIMITS.items():
        value = fields.get(field)
        check_length(value if isinstance(value, str) else None, limit=limit, name=FIELD_NAMES[field])
    for field in action.needs:
        value = fields.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise Invalid(f"“{action.zh}”需要填写{FIELD_NAMES.get(field, field)}")
    satisfaction = fields.get("satisfaction")
    if satisfaction is not None and not 1 <= int(satisfaction) <= 5:
        raise Invalid("满意度为 1–5 分")


def _apply(session: Session, ticket: Ticket, action: Action, fields: dict[str, Any], *, settings: Settings,
           now: datetime) -> dict[str, Any]:
    """The action's effect on the ticket's fields; returns what to record in the event."""
    effects: dict[str, Callable[[], dict[str, Any]]] = {
        "assign": lambda: _do_assign(session, ticket, fields, settings),
        "reassign": lambda: _do_assign(session, ticket, fields, settings),
        "return": lambda: {"department": _clear_department(ticket)},
        "accept": lambda: _stamp(ticket, "responded_at", now, keep_first=True),
        "reply": lambda: _set(ticket, handler_reply=fields["reply"]),
        "resolve": lambda: {**_set(ticket, handler_reply=fields["reply"]), **_stamp(ticket, "resolved_at", now)},
        "visit": lambda: {**_set(ticket, visit_result=fields["visit_result"], satisfaction=int(fields["satisfaction"])),
                          **_stamp(ticket, "visited_at", now)},
        "redo": lambda: _redo(ticket, fields),
        "close": lambda: _stamp(ticket, "closed_at", now),
        "cancel": lambda: _stamp(ticket, "closed_at", now),
        "escalate": lambda: _escalate(session, ticket, settings, now, by_system=fields.get("by_system", False)),
        "remind": lambda: _remind(session, ticket, settings, fields),
        "respond_public": lambda: _set(ticket, public_response=fields["public_response"]),
    }
    effect = effects.get(action.name)
    return effect() if effect else {}


def _set(ticket: Ticket, **values: Any) -> dict[str, Any]:
    for key, value in values.items():
        setattr(ticket, key, value)
    return values


def _stamp(ticket: Ticket, field: str, now: datetime, *, keep_first: bool = False) -> dict[str, Any]:
    if not (keep_first and getattr(ticket, field) is not None):
        setattr(ticket, field, now)
    return {}


def _do_assign(session: Session, ticket: Ticket, fields: dict[str, Any], settings: Settings) -> dict[str, Any]:
    before = ticket.department
    _assign(session, ticket, settings=settings, department=fields["department"], assignee=fields.get("assignee") or "")
    queue_notice(session, notices.assigned(settings, ticket))
    return {"department": ticket.department, "previous_department": before, "assignee": ticket.assignee}


def _clear_department(ticket: Ticket) -> str:
    before, ticket.department, ticket.assignee = ticket.department, "", ""
    return before


def _redo(ticket: Ticket, fields: dict[str, Any]) -> dict[str, Any]:
    ticket.reopen_count += 1
    ticket.visit_result = fields["visit_result"]
    if fields.get("satisfaction") is not None:
        ticket.satisfaction = int(fields["satisfaction"])
    ticket.resolved_at = ticket.visited_at = None
    return {"reopen_count": ticket.reopen_count, "satisfaction": ticket.satisfaction}


def _escalate(session: Session, ticket: Ticket, settings: Settings, now: datetime, *,
              by_system: bool) -> dict[str, Any]:
    levels = settings.tickets.escalation_levels
    ticket.escalation_level = min(ticket.escalation_level + 1, len(levels))
    ticket.escalated_at = now
    queue_notice(session, notices.escalated(settings, ticket, by_system))
    return {"escalation_level": ticket.escalation_level, "to": levels[ticket.escalation_level - 1]}


def _remind(session: Session, ticket: Ticket, settings: Settings, fields: dict[str, Any]) -> dict[str, Any]:
    clock = "respond" if fields.get("clock") == "respond" else "resolve"
    setattr(ticket, f"reminded_{clock}", True)
    queue_notice(session, notices.reminder(settings, ticket, clock))
    return {"clock": clock}


def transition(session: Session, *, ticket_id: int, action: str, actor: Actor, settings: Settings,
               now: datetime, version: int | None = None, comment: str = "", **fields: Any) -> Ticket:
    """Take one action on a ticket. Forbidden (403), NotFound (404), Conflict (409: illegal
    transition or stale version) or Invalid (422) leave the ticket exactly as it was."""
    rule = ACTIONS.get(action)
    if rule is None:
        raise Invalid(f"未知操作：{action}（可选：{'、'.join(ACTIONS)}）")
    ticket = session.scalar(select(Ticket).where(Ticket.id == ticket_id).with_for_update())
    if ticket is None:
        raise NotFound(f"工单 {ticket_id} 不存在")
    _check(ticket, rule, actor, version)
    _require(rule, {**fields, "comment": comment})
    if rule.name == "reassign" and fields.get("department") == ticket.department:
        name = settings.departments[ticket.department].name if ticket.department in settings.departments else ""
        raise Invalid(f"工单已在{name or ticket.department}办理，改派请选择其他部门")
    before = ticket.status
    data = _apply(session, ticket, rule, fields, settings=settings, now=now)
    if rule.target is not None:
        ticket.status = rule.target.value
    ticket.updated_at = now
    _event(session, ticket, actor=actor, action=rule.name, now=now, from_status=before, comment=comment,
           data={k: v for k, v in data.items() if v is not None})
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("工单已被他人同时更新，请刷新后重试") from None
    return ticket


def get_ticket(session: Session, *, ticket_id: int, actor: Actor) -> Ticket:
    """One ticket; a handler sees only its own department's (others are "not found")."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or (actor.role == Role.handler and ticket.department != actor.department):
        raise NotFound(f"工单 {ticket_id} 不存在")
    return ticket


def ticket_events(session: Session, *, ticket_id: int) -> list[TicketEvent]:
    return list(session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
                                .order_by(TicketEvent.id)))


def allowed_actions(ticket: Ticket, actor: Actor) -> list[str]:
    """The actions this actor could take on this ticket now (for buttons in a page)."""
    status = TicketStatus(ticket.status)
    if actor.role == Role.handler and ticket.department != actor.department:
        return []
    return [name for name, rule in ACTIONS.items() if actor.role in rule.roles and status in rule.sources]


def category_name(code: str) -> str:
    try:
        return CATEGORY_NAMES_ZH[Category(code)]
    except ValueError:
        return code or "未分类"
