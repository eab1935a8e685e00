"""Tickets on SQLite and PostgreSQL: the closed loop, every refusal leaving the ticket as it was,
the append-only audit trail, reminders and 督办."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from alerts.db import Database
from alerts.errors import Conflict, Forbidden, Invalid, NotFound
from alerts.levels import Level
from alerts.notify.outbox import Notice
from alerts.tickets.models import Ticket, TicketEvent
from alerts.tickets.queries import board, overdue_condition, running_clock
from alerts.tickets.scheduled import sla_sweep
from alerts.tickets.service import allowed_actions, open_ticket, suggest_department, ticket_events, transition
from tests.builders import actor
from tests.conftest import make_settings
from yuqing.records import SHANGHAI

START = datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)  # a Friday morning
PR = actor("pr")
SUPERVISOR = actor("supervisor")
CUSTOMER = actor("handler", "kefu", department="customer")
DISPATCH = actor("handler", "diaodu", department="dispatch")


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path)


def new_ticket(db: Database, settings, *, level: Level = Level.yellow, category: str = "billing",
               department: str = "", now: datetime = START) -> int:
    with db.write() as session:
        return open_ticket(session, title="燃气费多收", settings=settings, actor=PR, now=now, level=level,
                           category=category, department=department, place="泰山区 幸福小区").id


def act(db: Database, settings, ticket_id: int, action: str, who, *, now: datetime = START, **fields):
    with db.write() as session:
        ticket = transition(session, ticket_id=ticket_id, action=action, actor=who, settings=settings, now=now,
                            **fields)
        return ticket.status, ticket.version


def snapshot(db: Database, ticket_id: int) -> tuple:
    with db.read() as session:
        ticket = session.get(Ticket, ticket_id)
        events = session.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket_id))
        return ticket.status, ticket.version, ticket.department, ticket.handler_reply, events


def test_the_whole_closed_loop_is_recorded(db: Database, settings) -> None:
    ticket_id = new_ticket(db, settings)
    assert act(db, settings, ticket_id, "assign", PR, department="customer", version=1) == ("assigned", 2)
    act(db, settings, ticket_id, "accept", CUSTOMER, now=START + timedelta(minutes=30))
    act(db, settings, ticket_id, "reply", CUSTOMER, reply="已联系用户核对表数")
    act(db, settings, ticket_id, "respond_public", PR, public_response="已安排工作人员上门核查，结果将及时公布。")
    act(db, settings, ticket_id, "resolve", CUSTOMER, reply="表计正常，已退还多收费用 35 元",
        now=START + timedelta(hours=5))
    act(db, settings, ticket_id, "visit", SUPERVISOR, visit_result="用户表示满意", satisfaction=5)
    assert act(db, settings, ticket_id, "close", SUPERVISOR)[0] == "closed"
    with db.read() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket.responded_at == START + timedelta(minutes=30)
        assert ticket.resolved_at == START + timedelta(hours=5) and ticket.closed_at is not None
        assert ticket.handler_reply.startswith("表计正常") and ticket.satisfaction == 5
        assert ticket.public_response.startswith("已安排")
        trail = [(e.action, e.from_status, e.to_status, e.actor) for e in ticket_events(session, ticket_id=ticket_id)]
    assert trail == [
        ("create", "", "new", "pr-user"), ("assign", "new", "assigned", "pr-user"),
        ("accept", "assigned", "in_progress", "kefu"), ("reply", "in_progress", "in_progress", "kefu"),
        ("respond_public", "in_progress", "in_progress", "pr-user"),
        ("resolve", "in_progress", "resolved", "kefu"), ("visit", "resolved", "visited", "supervisor-user"),
        ("close", "visited", "closed", "supervisor-user"),
    ]


def test_failed_return_visit_sends_it_back_and_counts_the_reopen(db: Database, settings) -> None:
    ticket_id = new_ticket(db, settings, department="customer")
    act(db, settings, ticket_id, "accept", CUSTOMER)
    act(db, settings, ticket_id, "resolve", CUSTOMER, reply="已处理")
    act(db, settings, ticket_id, "redo", SUPERVISOR, visit_result="用户称问题仍在", satisfaction=1,
        comment="回访不满意，重办")
    with db.read() as session:
        ticket = session.get(Ticket, ticket_id)
        assert (ticket.status, ticket.reopen_count, ticket.satisfaction, ticket.resolved_at) == \
            ("in_progress", 1, 1, None)
    act(db, settings, ticket_id, "resolve", CUSTOMER, reply="更换表具")
    act(db, settings, ticket_id, "visit", SUPERVISOR, visit_result="满意", satisfaction=4)
    assert snapshot(db, ticket_id)[0] == "visited"


def test_handler_returns_a_wrongly_assigned_ticket(db: Database, settings) -> None:
    ticket_id = new_ticket(db, settings, department="dispatch", category="billing")
    with pytest.raises(Invalid, match="说明"):
        act(db, settings, ticket_id, "return", DISPATCH)
    act(db, settings, ticket_id, "return", DISPATCH, comment="属收费问题，非调度中心职责")
    assert snapshot(db, ticket_id)[:3] == ("new", 3, "")  # opened and assigned (v2), returned (v3)


@pytest.mark.parametrize(("who", "action", "fields", "error", "reason"), [
    (CUSTOMER, "close", {}, Forbidden, "责任部门无权执行“关闭”"),
    (CUSTOMER, "visit", {"visit_result": "满意", "satisfaction": 5}, Forbidden, "无权执行“回访”"),
    (PR, "visit", {"visit_result": "满意", "satisfaction": 5}, Forbidden, "舆情专员无权"),
    (actor("admin"), "visit", {"visit_result": "满意", "satisfaction": 5}, Forbidden, "管理员无权"),
    (actor("viewer"), "comment", {"comment": "看看"}, Forbidden, "只读用户无权"),
    (SUPERVISOR, "close", {}, Conflict, "工单当前状态为“处理中”，不能执行“关闭”"),
    (SUPERVISOR, "assign", {"department": "customer"}, Conflict, "不能执行“派单”"),
    (CUSTOMER, "accept", {}, Conflict, "不能执行“签收”"),
    (CUSTOMER, "resolve", {"version": 1}, Conflict, "已被他人更新"),
    (DISPATCH, "resolve", {"reply": "x"}, NotFound, "不存在"),
    (CUSTOMER, "resolve", {}, Invalid, "需要填写办理情况"),
    (CUSTOMER, "fly", {}, Invalid, "未知操作"),
    (SUPERVISOR, "reassign", {"department": "nowhere", "comment": "x"}, Conflict, "不能执行“改派”"),
])
def test_refusals_change_nothing(db: Database, settings, who, action, fields, error, reason) -> None:
    ticket_id = new_ticket(db, settings, department="customer")
    act(db, settings, ticket_id, "accept", CUSTOMER)
    before = snapshot(db, ticket_id)
    with pytest.raises(error) as raised:
        act(db, settings, ticket_id, action, who, **fields)
    assert reason in raised.value.message
    assert snapshot(db, ticket_id) == before


def test_unknown_department_is_refused_before_anything_changes(db: Database, settings) -> None:
    ticket_id = new_ticket(db, settings)
    before = snapshot(db, ticket_id)
    with pytest.raises(Invalid, match="未知部门"):
        act(db, settings, ticket_id, "assign", PR, department="nowhere")
    assert snapshot(db, ticket_id) == before


def test_stale_version_gets_conflict_and_the_newer_change_survives(db: Database, settings) -> None:
    ticket_id = new_ticket(db, settings, department="customer")  # version 2
    act(db, settings, ticket_id, "accept", CUSTOMER, version=2)  # version 3
    with pytest.raises(Conflict) as refused:
        act(db, settings, ticket_id, "reply", CUSTOMER, reply="旧页面上的回复", version=2)
    # staff read a plain sentence: no internal version numbers
    assert str(refused.value) == "工单已被他人更新，请刷新后重试"
    assert snapshot(db, ticket_id)[3] == ""


def test_audit_events_are_append_only_in_the_database(db: Database, settings) -> None:
    ticket_id = new_ticket(db, settings, department="customer")
    for statement in ("UPDATE ticket_events SET comment = 'rewritten'", "DELETE FROM ticket_events"):
        with pytest.raises(DBAPIError, match="append-only"), db.write() as session:
            session.execute(text(statement))
    assert snapshot(db, ticket_id)[4] == 2


def test_allowed_actions_follow_role_and_status(db: Database, settings) -> None:
    ticket_id = new_ticket(db, settings, department="customer")
    with db.read() as session:
        ticket = session.get(Ticket, ticket_id)
        assert set(allowed_actions(ticket, CUSTOMER)) == {"return", "accept", "comment"}
        assert allowed_actions(ticket, DISPATCH) == []
        assert "reassign" in allowed_actions(ticket, PR) and "accept" not in allowed_actions(ticket, PR)


def test_department_suggestions_follow_categories(settings) -> None:
    assert suggest_department(settings, category="billing") == "customer"
    assert suggest_department(settings, category="outage") == "dispatch"
    assert suggest_department(settings, category="safety") == "safety"
    assert suggest_department(settings, category="nonsense") == ""


def test_sla_sweep_reminds_then_escalates_level_by_level(db: Database, settings) -> None:
    sent: list[Notice] = []
    db.on_notices = sent.extend
    ticket_id = new_ticket(db, settings, level=Level.red, category="outage", department="dispatch")
    # red: respond within 60 calendar minutes; reminder at 80% (48 min).
    assert sla_sweep(db, settings=settings, now=START + timedelta(minutes=47)).reminded == 0
    report = sla_sweep(db, settings=settings, now=START + timedelta(minutes=50))
    assert (report.reminded, report.escalated) == (1, 0)
    assert sla_sweep(db, settings=settings, now=START + timedelta(minutes=55)).reminded == 0  # once only
    late = START + timedelta(minutes=61)
    assert sla_sweep(db, settings=settings, now=late).escalated == 1
    assert sla_sweep(db, settings=settings, now=late + timedelta(minutes=5)).escalated == 0  # not again so soon
    again = late + timedelta(minutes=settings.tickets.escalate_every_minutes)
    assert sla_sweep(db, settings=settings, now=again).escalated == 1
    with db.read() as session:
        ticket = session.get(Ticket, ticket_id)
        escalations = [e for e in ticket_events(session, ticket_id=ticket_id) if e.action == "escalate"]
    assert ticket.escalation_level == 2 and [e.data["to"] for e in escalations] == ["督查专班", "分管领导"]
    assert all(e.actor == "system" and e.comment == "超过时限，系统自动督办" for e in escalations)
    kinds = [n.kind for n in sent]
    assert kinds.count("reminder") >= 1 and kinds.count("escalated") == 2 and kinds[0] == "assigned"
    assert "已提级至督查专班" in next(n for n in sent if n.kind == "escalated").subject


def test_escalation_stops_at_the_top_and_after_acceptance(db: Database, settings) -> None:
    ticket_id = new_ticket(db, settings, level=Level.red, category="outage", department="dispatch")
    moment = START + timedelta(hours=2)
    for _ in range(5):
        sla_sweep(db, settings=settings, now=moment)
        moment += timedelta(hours=5)
    assert snapshot(db, ticket_id)[0] == "assigned"
    with db.read() as session:
        assert session.get(Ticket, ticket_id).escalation_level == len(settings.tickets.escalation_levels)
    other = new_ticket(db, settings, level=Level.red, category="outage", department="dispatch")
    act(db, settings, other, "accept", DISPATCH, now=START + timedelta(minutes=20))
    # accepted in time; resolution due 24 h later: nothing to escalate yet
    assert sla_sweep(db, settings=settings, now=START + timedelta(hours=3)).escalated == 0


def test_a_rolled_back_transition_sends_nothing(db: Database, settings) -> None:
    sent: list[Notice] = []
    db.on_notices = sent.extend
    ticket_id = new_ticket(db, settings)
    with pytest.raises(RuntimeError), db.write() as session:
        transition(session, ticket_id=ticket_id, action="assign", actor=PR, settings=settings, now=START,
                   department="customer")
        raise RuntimeError("the request failed after the change")
    assert sent == [] and snapshot(db, ticket_id)[0] == "new"
    act(db, settings, ticket_id, "assign", PR, department="customer")
    assert [n.kind for n in sent] == ["assigned"] and "客服中心" in sent[0].body


def test_the_clock_a_page_counts_down_agrees_with_the_overdue_query(db: Database, settings) -> None:
    """Each status's running deadline (签收 until accepted, then 办结, none once reported done) is
    overdue at exactly the moments the board and the SLA sweep count the ticket as overdue."""
    ids = {status: new_ticket(db, settings, level=Level.red, category="outage",
                              department="" if status == "new" else "dispatch")
           for status in ("new", "assigned", "in_progress", "resolved")}
    act(db, settings, ids["in_progress"], "accept", DISPATCH, now=START + timedelta(minutes=10))
    act(db, settings, ids["resolved"], "accept", DISPATCH, now=START + timedelta(minutes=10))
    act(db, settings, ids["resolved"], "resolve", DISPATCH, now=START + timedelta(minutes=20), reply="已恢复供气")
    for minutes in (30, 59, 61, 60 * 24 - 1, 60 * 24 + 1, 60 * 72):
        now = START + timedelta(minutes=minutes)
        with db.read() as session:
            late = set(session.scalars(select(Ticket.id).where(overdue_condition(now))))
            for status, ticket_id in ids.items():
                ticket = session.get(Ticket, ticket_id)
                assert ticket.status == status
                clock = running_clock(status=ticket.status, respond_due=ticket.respond_due,
                                      resolve_due=ticket.resolve_due, now=now)
                if status == "resolved":
                    assert clock is None and ticket_id not in late
                    continue
                assert clock.kind == ("respond" if status in ("new", "assigned") else "resolve"), status
                assert clock.due == (ticket.respond_due if clock.kind == "respond" else ticket.resolve_due)
                assert clock.overdue == (ticket_id in late), (status, minutes)
    assert late == {ids["new"], ids["assigned"], ids["in_progress"]}  # three days on, all but the done one


def test_board_counts_overdue_escalated_and_emergency_tickets(db: Database, settings) -> None:
    late = new_ticket(db, settings, level=Level.red, category="outage", department="dispatch")
    new_ticket(db, settings, department="dispatch", now=START + timedelta(hours=5))
    with db.write() as session:
        open_ticket(session, title="燃气泄漏", settings=settings, actor=PR, now=START + timedelta(hours=5),
                    level=Level.red, category="safety", department="safety", emergency=True)
    sla_sweep(db, settings=settings, now=START + timedelta(hours=5))
    with db.read() as session:
        columns = {c.status: c for c in board(session, actor=SUPERVISOR, now=START + timedelta(hours=5))}
        assert (columns["assigned"].count, columns["assigned"].overdue) == (3, 1)
        assert (columns["assigned"].escalated, columns["assigned"].emergency) == (1, 1)
        assert [t.id for t in columns["assigned"].items if t.escalation_level] == [late]
        mine = {c.status: c for c in board(session, actor=DISPATCH, now=START + timedelta(hours=5))}
        assert (mine["assigned"].count, mine["assigned"].emergency) == (2, 0)  # the safety ticket is not theirs
