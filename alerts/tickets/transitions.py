"""The one transition table of tickets: every change a person or the system makes.

An action names the statuses it may start from, the status it leads to (None: the status
stays, e.g. a comment), who may take it, and what it needs. `alerts.tickets.service.transition` is
the only function that changes a ticket after it was opened.

    待派单 new ──assign──▶ 已派单 assigned ──accept──▶ 处理中 in_progress ──resolve──▶ 已办结 resolved
        ▲                     │  ▲ reassign                 ▲                          │
        └──────return (退回)───┘                            └────redo (重办)────────────┤ visit (回访, supervisor)
                                                                                        ▼
                                               已关闭 closed ◀──close (supervisor)── 已回访 visited
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts.tickets.models import TicketStatus as S
from yuqing.records import Role

ALL_OPEN = frozenset({S.new, S.assigned, S.in_progress, S.resolved, S.visited})
EVERY = ALL_OPEN | {S.closed}


@dataclass(frozen=True, slots=True)
class Action:
    name: str
    zh: str
    sources: frozenset[S]
    target: S | None  # None: the status does not change
    roles: frozenset[Role]
    needs: tuple[str, ...] = ()  # fields that must be given (department, comment, reply, ...)
    system: bool = False  # the system (SLA sweep) may take it too


def _action(name: str, zh: str, sources: set[S] | frozenset[S], target: S | None, roles: set[Role],
            needs: tuple[str, ...] = (), system: bool = False) -> Action:
    return Action(name, zh, frozenset(sources), target, frozenset(roles), needs, system)


ACTIONS: dict[str, Action] = {a.name: a for a in (
    _action("assign", "派单", {S.new}, S.assigned, {Role.pr, Role.supervisor, Role.admin}, ("department",)),
    _action("reassign", "改派", {S.assigned}, S.assigned, {Role.pr, Role.supervisor, Role.admin},
            ("department", "comment")),
    _action("return", "退回", {S.assigned}, S.new, {Role.handler, Role.supervisor}, ("comment",)),
    _action("accept", "签收", {S.assigned}, S.in_progress, {Role.handler}),
    _action("reply", "进展回复", {S.in_progress}, None, {Role.handler}, ("reply",)),
    _action("resolve", "办结", {S.in_progress}, S.resolved, {Role.handler}, ("reply",)),
    _action("visit", "回访", {S.resolved}, S.visited, {Role.supervisor}, ("visit_result", "satisfaction")),
    _action("redo", "重办", {S.resolved, S.visited}, S.in_progress, {Role.supervisor}, ("visit_result", "comment")),
    _action("close", "关闭", {S.visited}, S.closed, {Role.supervisor}),
    _action("cancel", "撤销", {S.new, S.assigned}, S.closed, {Role.supervisor}, ("comment",)),
    _action("escalate", "督办", {S.new, S.assigned, S.in_progress}, None, {Role.supervisor}, system=True),
    _action("remind", "临期提醒", {S.new, S.assigned, S.in_progress}, None, set(), system=True),
    _action("respond_public", "对外回应", ALL_OPEN, None, {Role.pr}, ("public_response",)),
    _action("comment", "备注", EVERY, None, {Role.admin, Role.pr, Role.handler, Role.supervisor}, ("comment",)),
    _action("note", "系统记录", EVERY, None, set(), ("comment",), system=True),
)}

# Recorded when a ticket is opened (not an action anyone takes afterwards).
CREATED = "create"
ACTION_ZH = {CREATED: "创建", **{name: action.zh for name, action in ACTIONS.items()}}
