"""The alerts stage in the briefings, on SQLite and PostgreSQL: each top negative event with its
alert and ticket status (found through the event's mentions when its first one is in no alert),
the 新增工单 and 超时工单 tables, the whole report through the wiring, and a database that cannot be
reached leaving only these parts out."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from docx import Document
from sqlalchemy import select

from alerts import service as alerts
from alerts.briefing import AlertBriefing, duration_zh
from alerts.db import Database
from alerts.flows import AlertEvaluator
from alerts.levels import Level
from alerts.models import Alert
from alerts.rules.loader import RuleBook
from alerts.tickets.models import Ticket
from alerts.tickets.service import open_ticket, transition
from tests.builders import BASE_TIME, actor
from tests.yuqing.reports.conftest import DAY, fixture_mentions, loaded, report_settings, sites  # noqa: F401 (fixtures)
from yuqing.ingest import Ingestor
from yuqing.records import SHANGHAI, Platform, mention_id
from yuqing.reports.build import build_briefing
from yuqing.reports.model import Period, ReportKind
from yuqing.reports.service import generate_report
from yuqing.settings_ops import AlertSettings

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=SHANGHAI)  # the morning after DAY, when the reports are made
PR, DISPATCH = actor("pr", "pr1"), actor("handler", "diaodu", department="dispatch")
SUPERVISOR = actor("supervisor", "sup1")
OUTAGE = [mention_id(Platform.weibo, "1"), mention_id(Platform.weibo, "2"), mention_id(Platform.news, "3")]
SERVICE = mention_id(Platform.weibo, "4")


def settings_for(tmp_path, db: Database):
    return report_settings(tmp_path).model_copy(update={"alerts": AlertSettings(database_url=db.url)})


@pytest.fixture
def world(tmp_path, store, analyzer, db: Database):
    """The report fixtures' mentions through the real ingest path, then alert evaluation of every
    mention except the outage event's first one (so its alert holds only the later copies)."""
    settings = settings_for(tmp_path, db)
    Ingestor(analyzer, store).ingest(fixture_mentions())
    evaluator = AlertEvaluator(db, RuleBook(tmp_path / "rules.yaml", db=db), settings)
    for item in sorted(fixture_mentions(), key=lambda m: m.published_at):
        stored = store.get(item.id)
        if item.id != OUTAGE[0] and stored.analysis.relevant:
            evaluator.evaluate([(stored.mention, stored.analysis)], now=item.published_at)
    return settings


def alert_of(db: Database, mention: str) -> Alert:
    from alerts.briefing import alerts_of_mentions

    with db.read() as session:
        return alerts_of_mentions(session, [mention])[mention]


def test_events_get_their_alert_and_ticket_status(world, store, sites, db: Database) -> None:  # noqa: F811
    outage, service = alert_of(db, OUTAGE[1]), alert_of(db, SERVICE)
    assert outage.first_mention_id != OUTAGE[0]  # the event's own id is in no alert
    with db.write() as session:
        _, ticket = alerts.confirm(session, alert_id=outage.id, actor=PR, settings=world, now=BASE_TIME,
                                   department="dispatch")
        ticket_id = ticket.id
        alerts.dismiss(session, alert_id=service.id, actor=PR, settings=world, now=BASE_TIME, reason="已当面解释")
    period = Period.ending(ReportKind.weekly, DAY)
    with AlertBriefing(settings=world, db=db, store=store) as extension:
        b = build_briefing(settings=world, store=store, sites=sites, period=period, now=NOW, extensions=[extension])
    events = {e.event_id: e for e in b.events}
    assert OUTAGE[0] in events and events[OUTAGE[0]].mentions >= 2
    level = Level(alert_of(db, OUTAGE[1]).level).zh
    # A yellow ticket opened at noon must be accepted within working hours: overdue by the next morning.
    assert events[OUTAGE[0]].status == f"{level}预警 · 已确认 · 工单#{ticket_id} 已派单（超时）"
    service_event = next(e for e in b.events if e.summary.startswith("泰山港华燃气营业厅"))
    assert service_event.status == f"{Level(service.level).zh}预警 · 已排除"
    assert [s.key for s in b.extra] == ["tickets_new", "tickets_overdue"]
    new, overdue = b.extra
    with db.read() as session:  # ours and the emergency ticket of the gas-smell post (n=7)
        tickets = list(session.scalars(select(Ticket).order_by(Ticket.created_at)))
    assert len(tickets) == 2 and [t.emergency for t in tickets] == [True, False]
    assert [row[0] for row in new.rows] == [f"#{t.id}" for t in tickets]
    assert new.rows[1][4] == "调度中心" and new.rows[1][5] == "已派单" and new.rows[0][5] == "已派单（紧急）"
    assert new.note.startswith("本期新增工单 2 件，其中紧急 1 件")
    ours = next(row for row in overdue.rows if row[0] == f"#{ticket_id}")
    assert ours[4] == "签收" and ours[7] == "—" and len(overdue.rows) == 2


def test_the_ticket_tables_follow_the_period_and_the_clock(tmp_path, store, db: Database) -> None:
    world = settings_for(tmp_path, db)

    def opened(at: datetime, **fields) -> int:
        with db.write() as session:
            return open_ticket(session, title=f"工单 {at:%d日%H时}", settings=world, actor=PR, now=at,
                               level=Level.yellow, category="outage", department="dispatch", **fields).id

    earlier = opened(BASE_TIME - timedelta(days=3))  # before the daily period, still open: overdue
    done = opened(BASE_TIME)
    urgent = opened(BASE_TIME + timedelta(hours=2), emergency=True)
    with db.write() as session:
        for action, fields in (("accept", {}), ("resolve", {"reply": "已恢复"})):
            transition(session, ticket_id=done, action=action, actor=DISPATCH, settings=world,
                       now=BASE_TIME + timedelta(minutes=30), **fields)
    with db.write() as session:  # escalate the old one, as the SLA sweep would
        transition(session, ticket_id=earlier, action="escalate", actor=SUPERVISOR, settings=world, now=BASE_TIME)
    extension = AlertBriefing(settings=world, db=db, store=store)
    new, overdue = extension.sections(period=Period.ending(ReportKind.daily, DAY), now=NOW)
    assert [row[0] for row in new.rows] == [f"#{done}", f"#{urgent}"]
    assert new.rows[1][5] == "已派单（紧急）" and "其中紧急 1 件" in new.note
    with db.read() as session:
        due = {t.id: t.respond_due for t in session.query(Ticket)}
    assert overdue.rows[0][0] == f"#{earlier}"  # longest overdue first
    assert f"#{done}" not in [row[0] for row in overdue.rows]  # reported done: no clock runs
    first = overdue.rows[0]
    assert first[6] == duration_zh(NOW - due[earlier]) and first[7] == "1 级"
    weekly, _ = extension.sections(period=Period.ending(ReportKind.weekly, DAY), now=NOW)
    assert {row[0] for row in weekly.rows} == {f"#{earlier}", f"#{done}", f"#{urgent}"}
    assert duration_zh(timedelta(days=2, hours=3, minutes=5)) == "2天3小时"
    assert duration_zh(timedelta(hours=5, minutes=20)) == "5小时20分"
    assert duration_zh(timedelta(minutes=40)) == "40分钟"


def test_the_wired_report_has_the_tables_in_html_and_docx(world, store, sites, db: Database, tmp_path) -> None:  # noqa: F811
    outage = alert_of(db, OUTAGE[1])
    with db.write() as session:
        _, ticket = alerts.confirm(session, alert_id=outage.id, actor=PR, settings=world, now=BASE_TIME,
                                   department="dispatch")
        ticket_id = ticket.id
    stored = generate_report(world, kind=ReportKind.daily, day=DAY, now=NOW, store=store, sites=sites)
    assert [s.title for s in stored.briefing.extra] == ["新增工单", "超时工单"]
    html = (world.storage.reports_dir / f"{stored.id}.html").read_text(encoding="utf-8")
    assert "<h2>新增工单</h2>" in html and "<h2>超时工单</h2>" in html and f"工单#{ticket_id} 已派单" in html
    document = Document(str(world.storage.reports_dir / f"{stored.id}.docx"))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "新增工单" in headings and "超时工单" in headings
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert f"#{ticket_id}" in cells and "调度中心" in cells


def test_an_unreachable_database_leaves_only_these_parts_out(tmp_path, loaded, sites, caplog) -> None:  # noqa: F811
    settings = report_settings(tmp_path).model_copy(update={"alerts": AlertSettings(
        database_url="postgresql+psycopg://yuqing:secret@127.0.0.1:9/yuqing?connect_timeout=2")})
    with caplog.at_level(logging.ERROR, logger="yuqing.reports"):
        stored = generate_report(settings, kind=ReportKind.daily, day=DAY, now=NOW, store=loaded, sites=sites)
    assert stored.briefing.extra == [] and stored.briefing.figures.total > 0
    assert {e.status for e in stored.briefing.events} <= {"持续发酵", "趋于平息"}
    assert "AlertBriefing failed; left out" in caplog.text and "secret" not in caplog.text
