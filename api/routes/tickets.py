"""Tickets: the board, the list, one ticket with its trail, and every action through one route.
Handlers see and act on their own department's tickets only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, computed_field

from alerts.actor import Actor, actor_zh
from alerts.db import now_shanghai
from alerts.levels import Level
from alerts.tickets import queries
from alerts.tickets import service as tickets
from alerts.tickets.models import STATUS_ZH, Ticket, TicketStatus
from alerts.tickets.transitions import ACTION_ZH
from api.deps import CacheDep, DbDep, ReadSession, SettingsDep, StoreDep, WriteSession
from api.query import _moment
from api.responses import CONFLICT, NOT_FOUND
from api.routes.ticket_source import TicketSource, ticket_source
from api.security import READERS, CurrentActor, require_role
from yuqing.records import Category, Role

router = APIRouter(prefix="/api", tags=["tickets"])
WORKERS = (Role.admin, Role.pr, Role.handler, Role.supervisor)


class ClockOut(BaseModel):
    kind: str = Field(description="respond (签收) or resolve (办结)")
    kind_zh: str
    due: datetime
    overdue: bool


class TicketOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    alert_id: int | None
    title: str
    description: str
    category: str
    level: Level
    place: str
    department: str
    assignee: str
    status: TicketStatus
    emergency: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    respond_due: datetime
    resolve_due: datetime
    responded_at: datetime | None
    resolved_at: datetime | None
    visited_at: datetime | None
    closed_at: datetime | None
    escalation_level: int
    handler_reply: str
    public_response: str
    visit_result: str
    satisfaction: int | None
    reopen_count: int
    version: int

    @computed_field
    @property
    def status_zh(self) -> str:
        return STATUS_ZH[self.status]

    @computed_field(description="who opened it, as people read it (系统 for the system)")
    @property
    def created_by_zh(self) -> str:
        return actor_zh(self.created_by)

    @computed_field(description="the deadline that runs now, for countdowns (none once reported done)")
    @property
    def clock(self) -> ClockOut | None:
        found = queries.running_clock(status=self.status, respond_due=self.respond_due,
                                      resolve_due=self.resolve_due, now=now_shanghai())
        if found is None:
            return None
        return ClockOut(kind=found.kind, kind_zh="签收" if found.kind == "respond" else "办结", due=found.due,
                        overdue=found.overdue)


class TicketEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    actor_role: str
    action: str
    from_status: str
    to_status: str
    comment: str
    data: dict

    @computed_field
    @property
    def action_zh(self) -> str:
        return ACTION_ZH.get(self.action, self.action)

    @computed_field(description="who, as people read it (系统 for the system)")
    @property
    def actor_zh(self) -> str:
        return actor_zh(self.actor)


class TicketDetail(TicketOut):
    events: list[TicketEventOut]
    allowed_actions: list[str]
    suggested_department: str
    source: TicketSource | None = Field(default=None, description="what the ticket is about: the post or the check")
    can_open_alert: bool = Field(default=False, description="whether this user may open the source alert")


class TicketPage(BaseModel):
    total: int
    page: int
    size: int
    items: list[TicketOut]


class BoardColumn(BaseModel):
    status: TicketStatus
    status_zh: str
    count: int
    overdue: int
    escalated: int
    emergency: int
    items: list[TicketOut]


class ActionIn(BaseModel):
    """Text lengths are checked by the service (comment 4,000 characters, reply and public
    response 8,000, visit result 4,000): a 422 in Chinese that does not repeat the text."""

    version: int | None = Field(default=None, description="the version the client saw; 409 if it changed since")
    comment: str = ""
    department: str | None = None
    assignee: str | None = None
    reply: str | None = None
    public_response: str | None = None
    visit_result: str | None = None
    satisfaction: int | None = Field(default=None, ge=1, le=5)


class Department(BaseModel):
    code: str
    name: str
    categories: list[Category]
    members: list[str]


@router.get("/departments", response_model=list[Department], summary="Departments and what they handle")
def departments(settings: SettingsDep) -> list[Department]:
    return [Department(code=code, name=d.name, categories=d.categories, members=d.members)
            for code, d in settings.departments.items()]


BOARD = TypeAdapter(list[BoardColumn])


@router.get("/tickets/board", response_model=list[BoardColumn], summary="Open tickets by status, most urgent first")
def board(session: ReadSession, actor: CurrentActor, db: DbDep, cache: CacheDep, department: str = "",
          per_column: Annotated[int, Query(ge=1, le=100)] = 20) -> Response:
    def compute() -> bytes:
        columns = queries.board(session, actor=actor, now=now_shanghai(), department=department,
                                per_column=per_column)
        return BOARD.dump_json([BoardColumn(status=c.status, status_zh=STATUS_ZH[c.status], count=c.count,
                                            overdue=c.overdue, escalated=c.escalated, emergency=c.emergency,
                                            items=[TicketOut.model_validate(t) for t in c.items])
                                for c in columns])

    # A handler's board shows their department only: the scope is part of the key.
    scope = actor.department if actor.role == Role.handler else "*"
    key = ("board", scope, department, per_column)
    return Response(cache.get(key, db.generation, compute), media_type="application/json")


@router.get("/tickets", response_model=TicketPage, summary="List and filter tickets, most recently changed first")
def list_tickets(
    session: ReadSession,
    actor: CurrentActor,
    status: Annotated[list[TicketStatus], Query()] = [],  # noqa: B006
    level: Annotated[list[Level], Query()] = [],  # noqa: B006
    department: str = "",
    category: Category | None = None,
    emergency: bool | None = None,
    overdue: bool | None = None,
    q: Annotated[str, Query(max_length=100)] = "",
    since: Annotated[str | None, Query(description="created from this date or date-time")] = None,
    until: Annotated[str | None, Query(description="created until this date (inclusive) or date-time")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TicketPage:
    filters = queries.TicketFilter(statuses=status, levels=[lv.value for lv in level], department=department,
                                   category=category.value if category else "", emergency=emergency, overdue=overdue,
                                   text=q, since=_moment("since", since, False), until=_moment("until", until, True))
    total, items = queries.list_tickets(session, actor=actor, filters=filters, now=now_shanghai(),
                                        offset=(page - 1) * size, limit=size)
    return TicketPage(total=total, page=page, size=size, items=[TicketOut.model_validate(t) for t in items])


# Who may open /alerts (the alert routes' readers); the page shows the 来源预警 link to them only.
ALERT_READERS = READERS


def _detail(session: ReadSession, ticket: Ticket, actor: Actor, settings: SettingsDep,
            store: StoreDep) -> TicketDetail:
    out = TicketOut.model_validate(ticket)
    return TicketDetail(**out.model_dump(exclude={"status_zh", "clock", "created_by_zh"}),
                        events=[TicketEventOut.model_validate(e)
                                for e in tickets.ticket_events(session, ticket_id=out.id)],
                        allowed_actions=tickets.allowed_actions(ticket, actor),
                        suggested_department=tickets.suggest_department(settings, category=out.category),
                        source=ticket_source(session, store, ticket),
                        can_open_alert=ticket.alert_id is not None and actor.role in ALERT_READERS)


@router.get("/tickets/{ticket_id}", responses=NOT_FOUND,
            response_model=TicketDetail, summary="One ticket with its audit trail")
def get_ticket(ticket_id: int, session: ReadSession, actor: CurrentActor, settings: SettingsDep,
               store: StoreDep) -> TicketDetail:
    return _detail(session, tickets.get_ticket(session, ticket_id=ticket_id, actor=actor), actor, settings, store)


@router.post("/tickets/{ticket_id}/actions/{action}", responses=NOT_FOUND | CONFLICT, response_model=TicketDetail,
             summary="Take an action: assign, reassign, return, accept, reply, resolve, visit, redo, close, cancel, "
                     "escalate, respond_public, comment (409 with the reason when not allowed now)")
def take_action(ticket_id: int, action: str, body: ActionIn, session: WriteSession, settings: SettingsDep,
                store: StoreDep, actor: Annotated[Actor, require_role(*WORKERS)]) -> TicketDetail:
    fields = body.model_dump(exclude={"version", "comment"}, exclude_none=True)
    ticket = tickets.transition(session, ticket_id=ticket_id, action=action, actor=actor, settings=settings,
                                now=now_shanghai(), version=body.version, comment=body.comment, **fields)
    session.commit()
    return _detail(session, ticket, actor, settings, store)
