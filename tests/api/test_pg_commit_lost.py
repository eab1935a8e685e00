"""Fault: the PostgreSQL connection is lost while COMMIT is under way. Then nobody can know
whether the server committed before it went away, so the refusal must not claim "本次操作未生效"
(the restart and crash tests check that claim): it says the outcome is unknown and to look
again. The client's retry with the version it had is then safe either way (200 if the change
was not made, 409 if it was), and the service carries on without a restart.

A real PostgreSQL server; a deferred constraint trigger on the tickets table makes COMMIT
slow (it runs at COMMIT), so the test can end that session (pg_terminate_backend) exactly
while the service waits for its COMMIT.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine

from alerts.actor import SYSTEM
from alerts.db import now_shanghai
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


def test_connection_lost_during_commit_says_the_outcome_is_unknown(pg_server, tmp_path: Path) -> None:
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
    store = SQLiteStore(tmp_path / "mentions.sqlite", query_tokenizer(Settings()))
    answers: list[httpx.Response] = []
    with live_server(create_app(settings, store=store, db=db)) as base:
        token = httpx.post(f"{base}/api/auth/login",
                           json={"username": "supervisor", "password": PASSWORD}).json()["access_token"]
        client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assign = {"department": "customer", "version": version}
        thread = threading.Thread(target=lambda: answers.append(
            client.post(f"/api/tickets/{ticket_id}/actions/assign", json=assign)))
        thread.start()
        with admin.connect() as connection:
            deadline = time.monotonic() + 60
            while not connection.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND state = 'active' AND query = 'COMMIT'").all():
                assert time.monotonic() < deadline, "the service never reached COMMIT"
                time.sleep(0.05)
            connection.exec_driver_sql("DROP TRIGGER slow_commit ON tickets")
        thread.join(60)
        assert answers and answers[0].status_code == 503
        assert answers[0].json() == {"detail": MAYBE_MADE} and answers[0].headers["Retry-After"] == "5"
        # Look again, then retry with the version the client had: safe whichever way it went.
        now = client.get(f"/api/tickets/{ticket_id}").json()
        retried = client.post(f"/api/tickets/{ticket_id}/actions/assign", json=assign)
        assert retried.status_code == (200 if now["status"] == "new" else 409)
        assert client.get(f"/api/tickets/{ticket_id}").json()["status"] == "assigned"
        client.close()
    admin.dispose()
    store.close()
    db.close()
