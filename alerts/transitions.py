"""The one transition table of alerts; `alerts.service.act` is the only function that applies it."""

from __future__ import annotations

from dataclasses import dataclass

from alerts.models import AlertStatus as S
from yuqing.records import Role

EVERY = frozenset(S)


@dataclass(frozen=True, slots=True)
class AlertAction:
    name: str
    zh: str
    sources: frozenset[S]
    target: S | None  # None: the status stays
    roles: frozenset[Role]
    system: bool = False  # rules, sweeps and operational checks may take it too


def _action(name: str, zh: str, sources: set[S] | frozenset[S], target: S | None, roles: set[Role],
            system: bool = False) -> AlertAction:
    return AlertAction(name, zh, frozenset(sources), target, frozenset(roles), system)


ALERT_ACTIONS: dict[str, AlertAction] = {a.name: a for a in (
    _action("confirm", "确认并转工单", {S.pending}, S.confirmed, {Role.pr}),
    _action("dismiss", "排除", {S.pending}, S.dismissed, {Role.pr}),
    _action("reopen", "撤销排除", {S.dismissed}, S.pending, {Role.pr}),
    _action("resolve", "解除", {S.pending, S.confirmed}, S.resolved, set(), system=True),
    _action("correct", "更正情感/类别", EVERY, None, {Role.pr}),
    _action("comment", "备注", EVERY, None, {Role.pr, Role.supervisor}),
    _action("attach", "归并新信息", EVERY, None, set(), system=True),
    _action("raise", "升级", {S.pending, S.confirmed}, None, set(), system=True),
)}
ALERT_ACTION_ZH = {"open": "生成预警", "recheck": "更正后复核", "planned": "标为计划内",
                   **{name: action.zh for name, action in ALERT_ACTIONS.items()}}
