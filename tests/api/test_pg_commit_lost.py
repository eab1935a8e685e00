"""Faults at the edges of a commit: the PostgreSQL connection lost while COMMIT is under way,
and lost just after it, while the answer is being read.

- During COMMIT nobody can know whether the server committed before it went away, so the
  refusal must not claim "本次操作未生效" (the restart and crash tests check that claim): it
  says the outcome is unknown and to look again. A retry with the version the client had is
  safe either way (200 if the change was not made, 409 if it was).
- After COMMIT the change is saved: the 503 says so (and to look again), it never claims
  nothing was done.
The service carries on without a restart in both.

A real PostgreSQL server. A deferred constraint trigger on the tickets table makes COMMIT
slow (it runs at COMMIT), so the test can end that session (pg_terminate_backend) exactly
while the service waits for its COMMIT; a table lock taken as soon as the COMMIT ends holds
the service's reading of the audit trail, so its session can be ended exactly there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from alerts.actor import SYSTEM
from alerts.db import Database, now_shanghai
from alerts.tickets.service import open_ticket
from api.app import create_app
from store.sqlite import SQLiteStore
from tests.api.helpers import PASSWORD, add_user
from tests.api.live import live_server
from tests.conftest import FIXTURES, fresh_pg_database, make_settings
from yuqing.records import Role
from yuqing.settings import Settings
from yuqing.wiring import query_tokenizer

pytestmark = pytest.mark.postgres
SLOW_COMMIT = FIXTURES / "faults" / "slow-commit.sql"
MAYBE_MADE = "数据库连接在保存时中断，无法确认本次操作是否已生效，请刷新后查看"
SAVED = "本次操作已保存，但读取结果时数据库暂时无法访问，请刷新后查看"
END_COMMIT = ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
              "AND pid <> pg_backend_pid() AND state = 'active' AND query = 'COMMIT'")
END_READ = ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query LIKE '%%FROM ticket_events%%'")


@dataclass
class Setup:
    db: Database
    admin: Engine
    ticket_id: int
    version: int
    settings: Settings


@pytest.fixture
def setup(pg_server, tmp_path: Path) -> Iterator[Setup]:
    """A fresh database with a supervisor, one new ticket and slow COMMITs on the tickets table."""
    settings = make_settings(tmp_path / "data")
    db = fresh_pg_database(pg_server)
    add_user(db, settings, "supervisor", Role.supervisor)
    with db.write() as session:
        ticket = open_ticket(session, title="燃气费多收", settings=settings, actor=SYSTEM, now=now_shanghai(),
                             level="yellow", category="billing")
        session.flush()
        ticket_id, version = ticket.id, ticket.version
    admin = create_engine(db.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(SLOW_COMMIT.read_text(encoding="utf-8"))
    yield Setup(db, admin, ticket_id, version, settings)
    admin.dispose()
    db.close()


@contextmanager
def served(setup: Setup, tmp_path: Path) -> Iterator[httpx.Client]:
    store = SQLiteStore(tmp_path / "mentions.sqlite", query_tokenizer(Settings()))
    with live_server(create_app(setup.settings, store=store, db=setup.db)) as base:
        token = httpx.post(f"{base}/api/auth/login",
                           json={"username": "supervisor", "password": PASSWORD}).json()["access_token"]
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            yield client
    store.close()


def in_background(call) -> tuple[threading.Thread, list]:
    answers: list = []
    thread = threading.Thread(target=lambda: answers.append(call()))
    thread.start()
    return thread, answers


def poll(connection, sql: str) -> None:
    """Run `sql` until it returns a row (it matched a session in the wanted state)."""
    deadline = time.monotonic() + 60
    while not connection.exec_driver_sql(sql).all():
        assert time.monotonic() < deadline, f"never matched: {sql}"
        time.sleep(0.05)


def test_connection_lost_during_commit_says_the_outcome_is_unknown(setup: Setup, tmp_path: Path) -> None:
    with served(setup, tmp_path) as client:
        assign = {"department": "customer", "version": setup.version}
        thread, answers = in_background(lambda: client.post(f"/api/tickets/{setup.ticket_id}/actions/assign",
                                                            json=assign))
        with setup.admin.connect() as connection:
            poll(connection, END_COMMIT)  # ended while the service waits for its COMMIT
            connection.exec_driver_sql("DROP TRIGGER slow_commit ON tickets")
        thread.join(60)
        assert answers and answers[0].status_code == 503
        assert answers[0].json() == {"detail": MAYBE_MADE} and answers[0].headers["Retry-After"] == "5"
        # Look again, then retry with the version the client had: safe whichever way it went.
        now = client.get(f"/api/tickets/{setup.ticket_id}").json()
        retried = client.post(f"/api/tickets/{setup.ticket_id}/actions/assign", json=assign)
        assert retried.status_code == (200 if now["status"] == "new" else 409)
        assert client.get(f"/api/tickets/{setup.ticket_id}").json()["status"] == "assigned"


def test_connection_lost_after_commit_says_the_change_is_saved(setup: Setup, tmp_path: Path) -> None:
    with setup.admin.connect() as connection:
        connection.exec_driver_sql("UPDATE slow_commit_seconds SET seconds = 5")
    release = threading.Event()

    def hold_the_trail() -> None:  # granted as soon as the service's COMMIT ends (it wrote the trail)
        with setup.admin.connect() as holder:
            holder.exec_driver_sql("BEGIN")
            holder.exec_driver_sql("LOCK TABLE ticket_events IN ACCESS EXCLUSIVE MODE")
            release.wait(60)
            holder.exec_driver_sql("ROLLBACK")

    with served(setup, tmp_path) as client:
        assign = {"department": "customer", "version": setup.version}
        thread, answers = in_background(lambda: client.post(f"/api/tickets/{setup.ticket_id}/actions/assign",
                                                            json=assign))
        with setup.admin.connect() as connection:
            poll(connection, "SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query = 'COMMIT'")
            holder = threading.Thread(target=hold_the_trail)
            holder.start()
            poll(connection, END_READ)  # ended while reading the trail for its answer, after COMMIT
        release.set()
        holder.join(60)
        thread.join(60)
        assert answers and answers[0].status_code == 503
        assert answers[0].json() == {"detail": SAVED} and answers[0].headers["Retry-After"] == "5"
        after = client.get(f"/api/tickets/{setup.ticket_id}").json()
        assert after["status"] == "assigned" and after["version"] == setup.version + 1  # it was saved, once
        assert [e["action"] for e in after["events"]].count("assign") == 1
        assert client.post(f"/api/tickets/{setup.ticket_id}/actions/assign", json=assign).status_code == 409
