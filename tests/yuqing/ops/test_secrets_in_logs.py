"""No secret in the logs of a full run.

The real `yuqing run` (JSON logs at DEBUG, API and scheduler) with every kind of secret
configured: a source cookie, the PostgreSQL password in the database URL, the SMTP password,
a group robot's key in its webhook URL and the metrics token. Over the run the scheduler crawls
a local message board with the cookie (a crawl child process), people log in (with a wrong
password first) and use the API with their tokens, Prometheus scrapes /metrics, and a ticket
assignment is notified to a robot that fails and an SMTP server without AUTH (both failures
are logged, with retries). Everything the service wrote to stdout and stderr is then searched
for each secret, and for the users' passwords and login tokens.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select

from alerts.actor import SYSTEM
from alerts.db import Database, now_shanghai
from alerts.notify.models import Delivery
from alerts.tickets.service import open_ticket
from tests.alerts.robots import MailServer, RobotServer
from tests.conftest import REPO
from tests.crawlers.board_site import Board, serve_board, template
from tools.pg_server import PostgresServer, free_port
from yuqing.settings import load_settings

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
COOKIE = "SESSIONID=cookie-secret-5150"
PG_PASSWORD = "pgsecret7311"
SMTP_PASSWORD = "smtp-secret-2207"
ROBOT_KEY = "robot-key-8e1f2a9c"
METRICS_TOKEN = "metrics-token-0123456789abcdef"
PASSWORD = "supervisor-password-4417"
WRONG = "wrong-password-9083"


def wait_for(what: str, check: Callable[[], bool], process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert process.poll() is None, f"yuqing run ended while waiting for {what}"
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.2)


def stored_mentions(data: Path) -> int:
    try:
        with closing(sqlite3.connect(data / "mentions.sqlite", timeout=30)) as conn:
            return conn.execute("SELECT count(*) FROM mentions").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def failed_deliveries(db: Database) -> set[str]:
    with db.read() as session:
        return {row.channel for row in session.scalars(select(Delivery).where(Delivery.status == "failed"))}


def database_with_password(server: PostgresServer) -> str:
    admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql("CREATE DATABASE secrets_run")
    admin.dispose()
    # the test server trusts local connections: the password is carried, never checked
    return f"postgresql+psycopg://postgres:{PG_PASSWORD}@127.0.0.1:{server.port}/secrets_run"


def test_a_full_run_logs_no_secret(tmp_path: Path, pg_server: PostgresServer) -> None:
    robots, mail, site = RobotServer().start(), MailServer().start(), Board(messages=20)
    with serve_board(site) as base:
        data, config = tmp_path / "data", tmp_path / "yuqing.toml"
        config.write_text(template("full-run.toml").substitute(
            data=data, base=base, smtp_port=mail.port, robot=f"{robots.base}/down?key={ROBOT_KEY}"), encoding="utf-8")
        url = database_with_password(pg_server)
        env = {**os.environ, "PYTHONPATH": str(REPO), "YUQING_CONFIG": str(config),
               "YUQING_ALERTS__DATABASE_URL": url, "YUQING_SOURCES__BOARD__COOKIE": COOKIE,
               "YUQING_NOTIFY__SMTP__PASSWORD": SMTP_PASSWORD, "YUQING_METRICS__TOKEN": METRICS_TOKEN}
        yq = [sys.executable, "-m", "yuqing"]
        subprocess.run([*yq, "init"], env=env, cwd=tmp_path, check=True, capture_output=True)
        subprocess.run([*yq, "users", "add", "sup", "--role", "supervisor", "--password-stdin"], env=env, cwd=tmp_path,
                       check=True, capture_output=True, input=f"{PASSWORD}\n", text=True)
        settings = load_settings(config)
        db = Database(url)
        with db.write() as session:
            ticket_id = open_ticket(session, title="燃气费多收", settings=settings, actor=SYSTEM, now=now_shanghai(),
                                    level="yellow", category="billing").id
        port = free_port()
        out_file, err_file = (tmp_path / "run.out").open("w"), (tmp_path / "run.err").open("w")  # never a full pipe
        run = subprocess.Popen([*yq, "run", "--port", str(port)], env=env, cwd=tmp_path, stdout=out_file,
                               stderr=err_file, text=True)
        try:
            api = f"http://127.0.0.1:{port}"
            wait_for("the API", lambda: _answers(f"{api}/healthz"), run)
            for _ in range(3):
                wrong = httpx.post(f"{api}/api/auth/login", json={"username": "sup", "password": WRONG})
                assert wrong.status_code == 401
            token = httpx.post(f"{api}/api/auth/login", json={"username": "sup", "password": PASSWORD}
                               ).json()["access_token"]
            signed = {"Authorization": f"Bearer {token}"}
            assert httpx.get(f"{api}/api/auth/me", headers=signed).json()["username"] == "sup"
            assert httpx.post(f"{api}/api/tickets/{ticket_id}/actions/assign", headers=signed,
                              json={"department": "customer"}).status_code == 200
            assert httpx.get(f"{api}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200
            assert httpx.get(f"{api}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}x"}).status_code == 401
            wait_for("the scheduled crawl", lambda: stored_mentions(data) == 20, run)
            wait_for("both failed deliveries", lambda: failed_deliveries(db) == {"kefu-robot", "kefu-mail"}, run)
            time.sleep(1)  # the crawl child's last lines
        finally:
            run.terminate()
            run.wait(60)
            out_file.close()
            err_file.close()
            out, err = (tmp_path / "run.out").read_text(), (tmp_path / "run.err").read_text()
            db.close()
            robots.stop()
            mail.stop()
    logs = out + err
    for secret in (COOKIE, "cookie-secret-5150", PG_PASSWORD, SMTP_PASSWORD, ROBOT_KEY, METRICS_TOKEN, PASSWORD, WRONG,
                   token):
        assert secret not in logs, f"{secret[:6]}… is in the log"
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    # The grep covered a real log: requests and notifications wrote to it (the crawl child below).
    assert {"yuqing.api.access", "yuqing.notify"} <= {line["logger"] for line in lines}
    crawl = [line for line in lines if line.get("job_id") == "crawl:board" or "board" in line.get("message", "")]
    assert any(line["pid"] != run.pid for line in crawl)  # the crawl child's own lines are in the log too
    assert any("request_id" in line for line in lines)
    failures = [line for line in lines if line["logger"] == "yuqing.notify" and line["level"] == "ERROR"]
    assert {"kefu-robot", "kefu-mail"} <= {name for line in failures for name in ("kefu-robot", "kefu-mail")
                                          if name in line["message"]}


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
