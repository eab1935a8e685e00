"""`yuqing doctor` against real components: one failing line per problem (and exit code 1) for
each thing that can be wrong, secrets never printed, a clean installation passing."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from typer.testing import CliRunner

from tests.alerts.robots import RobotServer
from tools.pg_server import free_port
from yuqing.cli import app

# The test SMTP server takes a login over plain SMTP on loopback.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
COOKIE = "SUB=cookie-secret-4711; SUBP=0033"
SMTP_PASSWORD = "smtp-secret-0815"
PG_PASSWORD = "pg-secret-2342"


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[_Mailbox, int]]:
    """A real SMTP server that wants a login (user mailer, SMTP_PASSWORD) and refuses nobody@."""
    box, port = _Mailbox(), free_port()

    def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
        good = auth_data.login == b"mailer" and auth_data.password == SMTP_PASSWORD.encode()
        return AuthResult(success=good, handled=False)

    controller = Controller(box, hostname="127.0.0.1", port=port, authenticator=authenticate,
                            auth_require_tls=False, auth_required=True)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
def robots() -> Iterator[RobotServer]:
    server = RobotServer().start()
    yield server
    server.stop()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean working directory; no YUQING_* variables from outside."""
    monkeypatch.chdir(tmp_path)
    for name in list(__import__("os").environ):
        if name.startswith("YUQING_"):
            monkeypatch.delenv(name)
    return tmp_path


def write_config(home: Path, text: str, *, douyin: bool = False) -> Path:
    path = home / "yuqing.toml"
    base = f'[storage]\ndata_dir = "{home / "data"}"\n'
    if not douyin:
        base += "[sources.douyin]\nenabled = false\n"
    path.write_text(base + text, encoding="utf-8")
    return path


def doctor(config: Path, *args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(app, ["doctor", "--config", str(config), "--timeout", "3", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    for secret in (COOKIE, "cookie-secret-4711", SMTP_PASSWORD, PG_PASSWORD, "robot-key-9999"):
        assert secret not in result.output
    return result.exit_code, result.output.strip().splitlines()


def failures(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("FAIL")]


def init(config: Path) -> None:
    result = CliRunner().invoke(app, ["init", "--config", str(config)])
    assert result.exit_code == 0, result.output


def test_a_healthy_installation_passes_and_sends_nothing(home: Path, smtp, robots: RobotServer) -> None:
    box, port = smtp
    config = write_config(home, f"""
[notify.smtp]
host = "127.0.0.1"
port = {port}
username = "mailer"
password = "{SMTP_PASSWORD}"
[notify.channels.pr_mail]
kind = "email"
to = ["pr@example.cn", "boss@example.cn"]
[notify.channels.pr_group]
kind = "wecom"
url = "{robots.base}/ok?key=robot-key-9999"
""")
    init(config)
    code, lines = doctor(config)
    assert code == 0, lines
    warnings = [x for x in lines if x.startswith("warn")]
    assert not failures(lines) and len(warnings) == 1  # the test robot speaks plain http
    assert warnings[0].startswith("warn notify.channels.pr_group: wecom robot at 127.0.0.1:")
    assert "reachable over plain http" in warnings[0]
    assert any("login and 2 recipients accepted (dry run, nothing sent)" in x for x in lines)
    assert any(x.startswith("ok   database:") and "newest migration" in x for x in lines)
    assert box.messages == [] and robots.received == []  # a dry run
    code, lines = doctor(config, "--send-test")
    assert code == 0 and len(robots.bodies("/ok")) == 1 and box.messages == []
    assert "通知渠道测试" in json.dumps(robots.bodies("/ok")[0].body, ensure_ascii=False)


def test_every_configuration_problem_is_its_own_line(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(home, '[api]\nport = "x"\nhsot = "0.0.0.0"\n[sources.weibo]\ninterval_minutes = 0\n')
    monkeypatch.setenv("YUQING_APII__PORT", "8001")  # a misspelt section: silently ignored by the service
    code, lines = doctor(config)
    assert code == 1
    problems = failures(lines)
    assert len(problems) == 3 and all(x.startswith(f"FAIL config: {config}: ") for x in problems)
    assert {p.split(": ")[2] for p in problems} == {"api.port", "api.hsot", "sources.weibo.interval_minutes"}
    assert any(x.startswith("warn environment: YUQING_APII__PORT is not a setting") for x in lines)


def test_sources_without_what_they_need(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(home, '[sources.news_feeds]\nfeeds = []\n[sources.toutiao]\nkeywords = []\n'
                                '[sources.weibo]\nkeywords = ["泰安 燃气"]\n'
                                '[sources.douyin]\nkeywords = ["泰安燃气"]\n', douyin=True)
    init(config)
    code, lines = doctor(config)
    assert code == 1
    assert any(x.startswith("FAIL sources.douyin: needs a signer") for x in lines)
    assert any(x.startswith("FAIL sources.news_feeds: enabled but no feeds") for x in lines)
    assert any(x.startswith("warn sources.toutiao: no keywords") for x in lines)
    monkeypatch.setenv("YUQING_SOURCES__DOUYIN__SIGNER", "no_such_module.signing:sign")
    monkeypatch.setenv("YUQING_SOURCES__WEIBO__COOKIE", "cookie-secret-4711")  # no name=value: copied wrongly
    code, lines = doctor(config)
    assert any(x.startswith("FAIL sources.douyin: signer") and "no_such_module" in x for x in lines)
    assert any(x.startswith("FAIL sources.weibo: cookie is set but is not 'name=value") for x in lines)
    monkeypatch.setenv("YUQING_SOURCES__WEIBO__COOKIE", COOKIE)
    monkeypatch.delenv("YUQING_SOURCES__DOUYIN__SIGNER")
    monkeypatch.setenv("YUQING_SOURCES__DOUYIN__COOKIE", COOKIE)
    code, lines = doctor(config)
    assert any(x.startswith("ok   sources.weibo:") and x.endswith("cookie set") for x in lines)
    assert any(x.startswith("ok   sources.douyin:") for x in lines)


def test_data_directory_missing_or_short_of_space(home: Path) -> None:
    config = write_config(home, "")
    code, lines = doctor(config)
    assert code == 1 and any(x.startswith("FAIL data directory:") and "run yuqing init" in x for x in lines)
    assert any(x.startswith("FAIL mention index:") and "does not exist" in x for x in lines)
    assert any(x.startswith("FAIL database:") and "does not exist" in x for x in lines)
    init(config)
    config.write_text(config.read_text(encoding="utf-8").replace("[storage]\n", "[storage]\nmin_free_mb = 1000000\n"),
                      encoding="utf-8")
    code, lines = doctor(config)
    assert code == 1 and any(x.startswith("FAIL data directory:") and "ingest is paused" in x for x in lines)


def test_mention_index_from_another_version_or_damaged(home: Path) -> None:
    config = write_config(home, "")
    init(config)
    db = home / "data" / "mentions.sqlite"
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA user_version = 99")
    code, lines = doctor(config)
    assert code == 1 and any(x.startswith("FAIL mention index:") and "newer yuqing" in x for x in lines)
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA user_version = 2")
        conn.execute("PRAGMA journal_mode = DELETE")
    raw = bytearray(db.read_bytes())
    raw[4096 * 2: 4096 * 2 + 200] = b"\xff" * 200  # a damaged page in the middle
    db.write_bytes(bytes(raw))
    code, lines = doctor(config, "--deep")
    assert code == 1 and any(x.startswith("FAIL mention index:") for x in lines)
    db.write_bytes(b"this is not a database" * 100)
    code, lines = doctor(config)
    assert any(x.startswith("FAIL mention index:") and "cannot be read as SQLite" in x for x in lines)


def test_database_not_migrated_or_from_a_newer_version(home: Path) -> None:
    config = write_config(home, "")
    init(config)
    db = home / "data" / "yuqing.sqlite"
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'fff0newer'")
        conn.commit()
    code, lines = doctor(config)
    assert code == 1 and any("at migration fff0newer, unknown to this yuqing" in x for x in lines)
    db.unlink()
    sqlite3.connect(db).close()  # an empty file: never migrated
    code, lines = doctor(config)
    assert any(x.startswith("FAIL database:") and "no schema yet" in x for x in lines)


@pytest.mark.postgres
def test_postgresql_unreachable_or_not_migrated(home: Path, pg_server) -> None:
    from sqlalchemy import create_engine

    closed = free_port()
    config = write_config(home, "")
    init(config)
    unreachable = f'[alerts]\ndatabase_url = "postgresql+psycopg://yuqing:{PG_PASSWORD}@127.0.0.1:{closed}/yuqing"\n'
    config.write_text(config.read_text(encoding="utf-8") + unreachable, encoding="utf-8")
    code, lines = doctor(config)
    assert code == 1 and any(x.startswith("FAIL database:") and "PostgreSQL unreachable" in x and "***" in x
                             for x in lines)
    admin = create_engine(pg_server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql("CREATE DATABASE doctor_empty")
    admin.dispose()
    config.write_text(config.read_text(encoding="utf-8").replace(unreachable, f'[alerts]\ndatabase_url = '
                                                                 f'"{pg_server.url_for("doctor_empty")}"\n'),
                      encoding="utf-8")
    code, lines = doctor(config)
    assert any(x.startswith("ok   postgresql:") and "reachable, server" in x for x in lines)
    assert any(x.startswith("FAIL database:") and "no schema yet" in x for x in lines)
    init(config)
    code, lines = doctor(config)
    assert code == 0 and any(x.startswith("ok   database:") and "newest migration" in x for x in lines)


def test_elasticsearch_missing_template_red_indices_and_unreachable(home: Path, es_settings) -> None:
    from elasticsearch import Elasticsearch

    config = write_config(home, f'[es]\nurl = "{es_settings.url}"\nindex_prefix = "{es_settings.index_prefix}"\n'
                                f"replicas = 0\n")
    (home / "data").mkdir()
    code, lines = doctor(config)
    assert code == 1
    assert any(x.startswith("FAIL mention index: index template") and "missing" in x and "yuqing es init" in x
               for x in lines)
    assert any(x.startswith("FAIL mention index: alias") for x in lines)
    init(config)
    code, lines = doctor(config)
    assert not [x for x in failures(lines) if "mention index" in x], lines
    with Elasticsearch(es_settings.url) as client:  # an index of ours whose shard can go nowhere
        client.indices.create(index=f"{es_settings.index_prefix}-2020.01", wait_for_active_shards="0", settings={
            "number_of_replicas": 0, "index.routing.allocation.require._name": "no-such-node"})
    code, lines = doctor(config)
    assert any(x.startswith("FAIL mention index:") and "our indices red" in x for x in lines)
    config.write_text(config.read_text(encoding="utf-8").replace(es_settings.url, f"http://127.0.0.1:{free_port()}"),
                      encoding="utf-8")
    code, lines = doctor(config)
    assert any(x.startswith("FAIL mention index: Elasticsearch at") and "cannot connect" in x for x in lines)


def test_notification_channels_that_cannot_deliver(home: Path, smtp, robots: RobotServer) -> None:
    _, port = smtp
    closed = free_port()
    config = write_config(home, f"""
[notify.smtp]
host = "127.0.0.1"
port = {port}
username = "mailer"
password = "wrong-{SMTP_PASSWORD}"
[notify.channels.pr_mail]
kind = "email"
to = ["pr@example.cn"]
[notify.channels.dead]
kind = "dingtalk"
url = "http://127.0.0.1:{closed}/robot/send?access_token=robot-key-9999"
[notify.channels.plain]
kind = "wecom"
url = "{robots.base}/ok?key=robot-key-9999"
[notify.channels.refusing]
kind = "feishu"
url = "{robots.base}/error?key=robot-key-9999"
""")
    init(config)
    code, lines = doctor(config)
    assert code == 1
    assert any(x.startswith("FAIL notify.channels.pr_mail: SMTP 127.0.0.1") and "refused the login of mailer" in x
               for x in lines)
    assert any(x.startswith("FAIL notify.channels.dead: dingtalk robot at") and "unreachable" in x for x in lines)
    assert any(x.startswith("warn notify.channels.plain:") and "plain http" in x for x in lines)
    code, lines = doctor(config, "--send-test")
    assert any(x.startswith("FAIL notify.channels.refusing:") and "sign not match" in x for x in lines)
    text = config.read_text(encoding="utf-8").replace(f"wrong-{SMTP_PASSWORD}", SMTP_PASSWORD)
    config.write_text(text.replace('to = ["pr@example.cn"]', 'to = ["pr@example.cn", "nobody@example.cn"]'),
                      encoding="utf-8")
    code, lines = doctor(config)
    assert any(x.startswith("FAIL notify.channels.pr_mail:") and "refused 1 of 2 recipients: nobody@example.cn" in x
               for x in lines)
    config.write_text(text.replace(f"port = {port}", f"port = {closed}"), encoding="utf-8")
    code, lines = doctor(config)
    assert any(x.startswith(f"FAIL notify.channels.pr_mail: SMTP 127.0.0.1:{closed}: ConnectionRefusedError")
               for x in lines)


def test_json_output(home: Path) -> None:
    config = write_config(home, "")
    init(config)
    result = CliRunner().invoke(app, ["doctor", "--config", str(config), "--json"])
    findings = json.loads(result.output)
    assert result.exit_code == 0 and {f["status"] for f in findings} <= {"ok", "warn"}
    assert {"config", "data directory", "mention index", "database"} <= {f["area"] for f in findings}


def test_elasticsearch_snapshots(home: Path, es_settings, es_node) -> None:
    """Not configured: a warning; a location outside path.repo: a failure naming the setting;
    not registered yet: a warning saying how; after a snapshot: ok with its name."""
    base = f'[es]\nurl = "{es_settings.url}"\nindex_prefix = "{es_settings.index_prefix}"\nreplicas = 0\n'
    config = write_config(home, base)
    init(config)
    assert CliRunner().invoke(app, ["es", "init", "--config", str(config)]).exit_code == 0
    code, lines = doctor(config)
    assert code == 0 and "warn snapshots: es.snapshot_location is not set" in "\n".join(lines)
    outside = home / "not-in-path-repo"
    config.write_text(config.read_text(encoding="utf-8") + f'snapshot_location = "{outside}"\n', encoding="utf-8")
    code, lines = doctor(config)
    assert code == 1 and f"FAIL snapshots: es.snapshot_location {outside} is not in path.repo of node(s) " \
                         "yuqing-es-node" in "\n".join(lines)
    inside = es_node.snapshots / home.name
    config.write_text(config.read_text(encoding="utf-8").replace(str(outside), str(inside))
                      + f'snapshot_repository = "d{home.name[-8:].lower().replace("_", "")}"\n', encoding="utf-8")
    code, lines = doctor(config)
    assert code == 0 and any(x.startswith("warn snapshots: repository") and "yuqing es snapshot registers it" in x
                             for x in lines)
    assert CliRunner().invoke(app, ["es", "snapshot", "doctor-1", "--config", str(config)]).exit_code == 0
    code, lines = doctor(config)
    assert code == 0 and any(x.startswith("ok   snapshots: repository") and "newest doctor-1" in x for x in lines)
