"""SQLite under concurrent writers: crawl children ingesting, the scheduler's sweeps and API
clients all write at once, and nothing fails with "database is locked".

Every SQLite file is in WAL mode with a busy timeout, and every write is a short IMMEDIATE
transaction (the mention index in `store/sqlite.py`, the alerts database in `alerts/db.py`),
so writers queue instead of failing. Real parts: two `ingest_load` child processes (analyse →
mention index → alert evaluation writing alerts, as crawl children do), the closed loop's
sweeps in a thread (as the scheduler runs them, back to back), and the real app on uvicorn
with clients moving tickets, commenting on alerts and reading, over the same data directory.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from alerts.actor import SYSTEM
from alerts.db import now_shanghai, open_database
from alerts.models import Alert
from alerts.scheduled import burst_sweep
from alerts.tickets.models import TicketEvent
from alerts.tickets.scheduled import sla_sweep
from alerts.tickets.service import open_ticket
from api.app import create_app
from store.base import MentionQuery
from tests.api.helpers import PASSWORD, add_user
from tests.api.live import live_server
from tests.conftest import REPO, make_settings
from yuqing.records import Role
from yuqing.scheduler import open_loop
from yuqing.settings import Settings
from yuqing.wiring import open_mention_store

pytestmark = pytest.mark.slow
CHILDREN = 2
PER_CHILD = 400
TICKETS = 4


def start_child(data: Path, start: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.yuqing.ops.ingest_load", str(data), str(start),
                             str(PER_CHILD)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)})


def until(stop: threading.Event, step: Callable[[], None]) -> Callable[[], None]:
    def loop() -> None:
        while not stop.is_set():
            step()
    return loop


class Clients:
    """API clients over one token; every answer's status is kept."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.headers = base, {"Authorization": f"Bearer {token}"}
        self.statuses: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        self.local = threading.local()

    def call(self, method: str, path: str, **kwargs) -> httpx.Response:
        client = getattr(self.local, "client", None)
        if client is None:
            client = self.local.client = httpx.Client(base_url=self.base, headers=self.headers, timeout=60)
        response = client.request(method, path, **kwargs)
        with self.lock:
            self.statuses.append((f"{method} {path.split('?')[0]}", response.status_code))
        return response

    def move(self, ticket_id: int) -> None:
        ticket = self.call("GET", f"/api/tickets/{ticket_id}").json()
        action, body = (("assign", {"department": "customer"}) if ticket["status"] == "new"
                        else ("return", {"comment": "退回重派"}))
        self.call("POST", f"/api/tickets/{ticket_id}/actions/{action}", json={**body, "version": ticket["version"]})

    def comment_on_alerts(self) -> None:
        for alert in self.call("GET", "/api/alerts?limit=3").json()["items"]:
            self.call("POST", f"/api/alerts/{alert['id']}/comment", json={"text": "已关注，持续跟进"})

    def read(self) -> None:
        self.call("GET", "/api/mentions?q=燃气&limit=20")
        self.call("GET", "/api/tickets?limit=20")


def test_ingest_sweeps_and_api_write_at_once_without_locking_errors(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = tmp_path / "data"
    settings = make_settings(data)
    db = open_database(settings)
    add_user(db, settings, "supervisor", Role.supervisor)
    with db.write() as session:
        tickets = [open_ticket(session, title=f"燃气费多收 {n}", settings=settings, actor=SYSTEM, now=now_shanghai(),
                               level="yellow", category="billing").id for n in range(TICKETS)]
    db.close()
    loop = open_loop(settings)
    stop = threading.Event()
    sweeps = until(stop, lambda: (sla_sweep(loop.db, settings=settings, now=now_shanghai()),
                                  burst_sweep(loop.db, store=loop.store, rules=loop.rules, settings=settings,
                                              now=now_shanghai())))
    with caplog.at_level(logging.WARNING), live_server(create_app(settings)) as base:
        token = httpx.post(f"{base}/api/auth/login", json={"username": "supervisor", "password": PASSWORD}
                           ).json()["access_token"]
        clients = Clients(base, token)
        children = [start_child(data, 10_000 * (k + 1)) for k in range(CHILDREN)]
        threads = [threading.Thread(target=sweeps)]
        threads += [threading.Thread(target=until(stop, lambda t=t: clients.move(t))) for t in tickets]
        threads += [threading.Thread(target=until(stop, clients.comment_on_alerts)),
                    threading.Thread(target=until(stop, clients.read))]
        for thread in threads:
            thread.start()
        outputs = [child.communicate(timeout=600) for child in children]
        stop.set()
        for thread in threads:
            thread.join(120)
    loop.close()

    for child, (out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err[-3000:]
        assert json.loads(out.strip().splitlines()[-1])["stored"] == PER_CHILD
        assert "locked" not in err
    assert "database is locked" not in caplog.text
    counts: dict[tuple[str, int], int] = {}
    for key in clients.statuses:
        counts[key] = counts.get(key, 0) + 1
    assert {status for _, status in counts} <= {200, 409}, counts  # no 503 (what a lock timeout answers)
    moves = sum(n for (route, status), n in counts.items() if route.endswith(("/assign", "/return")) and status == 200)
    comments = sum(n for (route, status), n in counts.items() if route.endswith("/comment") and status == 200)
    assert moves > 20 and comments > 5  # the API really wrote while ingest ran
    with open_mention_store(Settings(storage=settings.storage)) as store:
        assert store.count(MentionQuery()) == CHILDREN * PER_CHILD
    db = open_database(settings)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) > 0  # ingest's alert stage wrote too
        events = session.scalar(select(func.count()).select_from(TicketEvent)
                                .where(TicketEvent.action.in_(["assign", "return"])))
    db.close()
    assert events == moves  # every acknowledged transition is there, and nothing else
