"""What staff are told about tickets (Simplified Chinese): assignment, reminder, 督办."""

from __future__ import annotations

from alerts.notify.outbox import Notice
from alerts.tickets.models import Ticket
from yuqing.settings import Settings


def department_name(settings: Settings, code: str) -> str:
    department = settings.departments.get(code)
    return department.name if department else code


def assigned(settings: Settings, ticket: Ticket) -> Notice:
    kind = "【紧急抢修工单】" if ticket.emergency else "【新工单】"
    return Notice(kind="assigned", ref=f"ticket:{ticket.id}", level=ticket.level, department=ticket.department,
                  subject=f"{kind}{ticket.title}"[:300],
                  body=(f"工单 #{ticket.id} 已派至{department_name(settings, ticket.department)}，"
                        f"请于 {ticket.respond_due:%m-%d %H:%M} 前签收、{ticket.resolve_due:%m-%d %H:%M} 前办结。\n"
                        f"地点：{ticket.place or '未识别'}\n{ticket.description[:300]}"))


def reminder(settings: Settings, ticket: Ticket, clock: str) -> Notice:
    due = ticket.respond_due if clock == "respond" else ticket.resolve_due
    what = "签收" if clock == "respond" else "办结"
    return Notice(kind="reminder", ref=f"ticket:{ticket.id}", level=ticket.level, department=ticket.department,
                  subject=f"【临期提醒】工单 #{ticket.id} 需于 {due:%m-%d %H:%M} 前{what}",
                  body=f"{ticket.title}\n责任部门：{department_name(settings, ticket.department) or '待派单'}")


def escalated(settings: Settings, ticket: Ticket, by_system: bool) -> Notice:
    to = settings.tickets.escalation_levels[ticket.escalation_level - 1]
    late = "签收" if ticket.responded_at is None else "办结"
    why = f"超时未{late}" if by_system else "督查专班督办"
    return Notice(kind="escalated", ref=f"ticket:{ticket.id}", level=ticket.level, department=ticket.department,
                  subject=f"【督办】工单 #{ticket.id} {why}，已提级至{to}",
                  body=(f"{ticket.title}\n责任部门：{department_name(settings, ticket.department) or '待派单'}\n"
                        f"签收时限：{ticket.respond_due:%m-%d %H:%M}；办结时限：{ticket.resolve_due:%m-%d %H:%M}"))
