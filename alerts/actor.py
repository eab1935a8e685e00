"""Who acts: a logged-in user, an API key, or the system itself (rules, sweeps)."""

from __future__ import annotations

from dataclasses import dataclass

from yuqing.records import Role


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    role: Role
    department: str = ""  # a handler's department; empty for every other role
    via: str = "user"  # "user", "api_key" or "system"
    display_name: str = ""

    @property
    def label(self) -> str:
        return self.display_name or self.name


SYSTEM = Actor(name="system", role=Role.admin, via="system", display_name="系统")

ROLE_ZH = {Role.admin: "管理员", Role.pr: "舆情专员", Role.handler: "责任部门", Role.supervisor: "督查专班",
           Role.viewer: "只读用户"}


def actor_zh(name: str) -> str:
    """How a stored actor name is shown to people: the system itself is 系统. The stored value
    stays "system" (trails are append-only, and API clients may filter on it)."""
    return SYSTEM.display_name if name == SYSTEM.name else name
