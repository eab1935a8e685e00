"""README, "Backups": the documented PostgreSQL dump and restore give back every ticket with its
audit trail and the schema revision, on a real server (Debian's pg_dump and pg_restore)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from alerts.db import Database, now_shanghai
from alerts.tickets.models import Ticket, TicketEvent
from alerts.tickets.service import open_ticket, transition
from tests.builders import actor
from tests.conftest import REPO, fresh_pg_database, make_settings
from tools.pg_server import PostgresServer

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def libpq(url: str) -> str:
    """alerts.database_url as pg_dump takes it (README: without +psycopg)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def rows(db: Database) -> tuple[list[tuple], list[tuple], str]:
    with db.read() as session:
        tickets = [(t.id, t.title, t.status, t.department, t.version) for t in session.scalars(select(Ticket))]
        events = [(e.ticket_id, e.action, e.from_status, e.to_status, e.comment)
                  for e in session.scalars(select(TicketEvent).order_by(TicketEvent.id))]
        revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    return tickets, events, revision


def test_the_documented_dump_and_restore_give_everything_back(pg_server: PostgresServer, tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert 'pg_dump -Fc -d "$DATABASE_URL"' in readme and "pg_restore --clean --if-exists --no-owner -d" in readme
    settings = make_settings(tmp_path / "data")
    source = fresh_pg_database(pg_server)
    with source.write() as session:
        for n in range(3):
            ticket = open_ticket(session, title=f"燃气费多收 {n}", settings=settings, actor=actor("pr"),
                                 now=now_shanghai(), level="yellow", category="billing")
            session.flush()
            transition(session, ticket_id=ticket.id, action="assign", actor=actor("pr"), settings=settings,
                       now=now_shanghai(), department="customer")
    before = rows(source)
    dump = tmp_path / "pg.dump"
    subprocess.run([str(pg_server.bindir / "pg_dump"), "-Fc", "-d", libpq(source.url), "-f", str(dump)], check=True,
                   capture_output=True, timeout=120)
    admin = create_engine(pg_server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql("CREATE DATABASE restored_from_dump")
    admin.dispose()
    target_url = pg_server.url_for("restored_from_dump")
    subprocess.run([str(pg_server.bindir / "pg_restore"), "--clean", "--if-exists", "--no-owner", "-d",
                    libpq(target_url), str(dump)], check=True, capture_output=True, timeout=120)
    restored = Database(target_url)
    try:
        assert rows(restored) == before and len(before[0]) == 3 and len(before[1]) >= 6
        with restored.write() as session:  # the sequences came back too: new rows do not collide
            open_ticket(session, title="恢复后新建", settings=settings, actor=actor("pr"), now=now_shanghai(),
                        level="blue", category="billing")
    finally:
        restored.close()
        source.close()
