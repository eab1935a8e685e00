"""Supervision figures per department on SQLite and PostgreSQL, and the CSV / XLSX exports."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from alerts.db import Database
from alerts.levels import Level
from alerts.supervision.service import supervision, to_csv, to_xlsx
from alerts.tickets.scheduled import sla_sweep
from alerts.tickets.service import open_ticket, transition
from tests.builders import actor
from tests.conftest import make_settings
from yuqing.records import SHANGHAI

MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)
PR, SUP = actor("pr"), actor("supervisor")
KEFU, DIAODU = actor("handler", "kefu", "customer"), actor("handler", "diaodu", "dispatch")


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path)


def run(db: Database, settings, ticket_id: int, steps: list[tuple], start: datetime) -> None:
    for minutes, action, who, fields in steps:
        with db.write() as session:
            transition(session, ticket_id=ticket_id, action=action, actor=who, settings=settings,
                       now=start + timedelta(minutes=minutes), **fields)


def ticket(db: Database, settings, department: str, start: datetime, level: Level = Level.red) -> int:
    with db.write() as session:
        return open_ticket(session, title="测试工单", settings=settings, actor=PR, now=start, level=level,
                           category="billing" if department == "customer" else "outage", department=department).id


def test_figures_follow_their_definitions(db: Database, settings) -> None:
    # customer: A accepted in 30 min, resolved in 5 h, visited (4), closed after 6 h.
    a = ticket(db, settings, "customer", MONDAY)
    run(db, settings, a, [(30, "accept", KEFU, {}), (300, "resolve", KEFU, {"reply": "已退费"}),
                          (330, "visit", SUP, {"visit_result": "满意", "satisfaction": 4}),
                          (360, "close", SUP, {})], MONDAY)
    # customer: B accepted late (2 h > 1 h), resolved, failed visit (2) → redo, resolved again, visited (5).
    b = ticket(db, settings, "customer", MONDAY)
    run(db, settings, b, [(120, "accept", KEFU, {}), (200, "resolve", KEFU, {"reply": "已处理"}),
                          (220, "redo", SUP, {"visit_result": "不满意", "satisfaction": 2, "comment": "重办"}),
                          (400, "resolve", KEFU, {"reply": "更换表具"}),
                          (420, "visit", SUP, {"visit_result": "满意", "satisfaction": 5})], MONDAY)
    # dispatch: C never accepted → overdue, escalated by the sweep.
    c = ticket(db, settings, "dispatch", MONDAY)
    sla_sweep(db, settings=settings, now=MONDAY + timedelta(minutes=90))
    # outside the period: opened the week before
    ticket(db, settings, "customer", MONDAY - timedelta(days=7))
    now = MONDAY + timedelta(days=2)
    with db.read() as session:
        rows = {r.department: r for r in supervision(session, settings=settings, since=MONDAY - timedelta(hours=1),
                                                     until=MONDAY + timedelta(days=1), now=now)}
    customer, dispatch, total = rows["customer"], rows["dispatch"], rows["合计"]
    assert (customer.opened, customer.closed) == (2, 1)
    assert customer.response_on_time_rate == 0.5  # A on time, B late
    assert customer.resolution_on_time_rate == 1.0  # both within 24 h
    assert customer.median_hours_to_close == 6.0
    assert customer.reopen_rate == 0.5 and customer.mean_satisfaction == round((4 + 2 + 5) / 3, 2)
    assert (dispatch.opened, dispatch.closed, dispatch.escalations) == (1, 0, 1)
    assert dispatch.response_on_time_rate == 0.0 and dispatch.resolution_on_time_rate == 0.0
    assert dispatch.reopen_rate is None  # nothing finished, nothing could be sent back: shown as —
    assert dispatch.overdue_now == 1 and customer.overdue_now == 1  # last week's ticket is still open and late
    assert (total.opened, total.closed, total.escalations, total.overdue_now) == (3, 1, 1, 2)
    assert rows["safety"].opened == 0 and rows["safety"].response_on_time_rate is None
    assert c and b


def test_exports_carry_the_same_figures(db: Database, settings) -> None:
    a = ticket(db, settings, "customer", MONDAY)
    run(db, settings, a, [(10, "accept", KEFU, {})], MONDAY)
    with db.read() as session:
        rows = supervision(session, settings=settings, since=MONDAY, until=MONDAY + timedelta(days=1),
                           now=MONDAY + timedelta(hours=1), department="customer")
    raw = to_csv(rows)
    assert raw.startswith("\ufeff".encode())
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["部门"] for r in table] == ["客服中心", "合计"]
    assert table[0]["新增工单"] == "1" and table[0]["按时签收率"] == "1.0" and table[0]["平均满意度"] == ""
    sheet = load_workbook(io.BytesIO(to_xlsx(rows, title="督办考核 测试"))).active
    assert sheet["A1"].value == "督办考核 测试" and sheet["B2"].value == "部门"
    assert sheet["B3"].value == "客服中心" and sheet["C3"].value == 1 and sheet["E3"].value == 1.0
    assert sheet["E3"].number_format == "0.0%"
