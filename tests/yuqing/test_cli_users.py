"""`yuqing init` makes the first administrator; `yuqing users`, `alerts` and `db` commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alerts.db import Database, now_shanghai
from alerts.users.service import actor_for_token, authenticate
from tests.conftest import FIXTURES, make_settings
from yuqing.cli import app

runner = CliRunner()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("YUQING_CONFIG", raising=False)
    monkeypatch.setenv("YUQING_STORAGE__DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def database(workdir: Path) -> Database:
    return Database(f"sqlite:///{workdir / 'data' / 'yuqing.sqlite'}")


def test_init_creates_the_first_admin_once(workdir: Path) -> None:
    first = runner.invoke(app, ["init"])
    assert first.exit_code == 0, first.output
    password = re.search(r"user 'admin', password '([^']+)'", first.output).group(1)
    settings = make_settings(workdir / "data")
    db = database(workdir)
    with db.write() as session:
        assert authenticate(session, username="admin", password=password, settings=settings,
                            now=now_shanghai()).role == "admin"
    assert (workdir / "data" / "alert_rules.yaml").is_file()
    again = runner.invoke(app, ["init"])
    assert again.exit_code == 0 and password not in again.output and "users exist already" in again.output
    db.close()


def test_users_add_list_password_and_disable(workdir: Path) -> None:
    runner.invoke(app, ["init"])
    added = runner.invoke(app, ["users", "add", "kefu1", "--role", "handler", "--department", "customer",
                                "--password-stdin"], input="a-long-password-1\n")
    assert added.exit_code == 0 and "department customer" in added.output and "a-long-password" not in added.output
    generated = runner.invoke(app, ["users", "add", "pr1", "--role", "pr"])  # no terminal: generated
    assert generated.exit_code == 0 and "password (shown once): " in generated.output
    listing = runner.invoke(app, ["users", "list"])
    assert re.search(r"kefu1\s+handler\s+customer\s+active", listing.output)
    assert "argon2" not in listing.output
    assert runner.invoke(app, ["users", "disable", "kefu1"]).exit_code == 0
    assert re.search(r"kefu1\s+handler\s+customer\s+disabled", runner.invoke(app, ["users", "list"]).output)
    changed = runner.invoke(app, ["users", "password", "pr1", "--password-stdin"], input="another-password-2\n")
    assert changed.exit_code == 0 and "changed" in changed.output


@pytest.mark.parametrize(("arguments", "stdin", "message"), [
    (["users", "add", "h1", "--role", "handler"], "a-long-password-1\n", "必须指定所属部门"),
    (["users", "add", "h1", "--role", "handler", "--department", "moon"], "a-long-password-1\n", "未知部门：moon"),
    (["users", "add", "x y", "--role", "pr"], "a-long-password-1\n", "用户名只能包含"),
    (["users", "add", "short", "--role", "pr"], "short\n", "密码至少需要 10 个字符"),
    (["users", "add", "admin", "--role", "pr"], "a-long-password-1\n", "用户名 admin 已存在"),
    (["users", "password", "ghost"], "a-long-password-1\n", "用户 ghost 不存在"),
])
def test_user_errors_are_one_line_and_exit_2(workdir: Path, arguments: list[str], stdin: str, message: str) -> None:
    runner.invoke(app, ["init"])
    result = runner.invoke(app, [*arguments, "--password-stdin"], input=stdin)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_api_key_is_printed_once_and_works(workdir: Path) -> None:
    runner.invoke(app, ["init"])
    created = runner.invoke(app, ["users", "apikey", "site-monitor", "--role", "viewer"])
    assert created.exit_code == 0
    key = re.search(r"key \(shown once\): (\S+)", created.output).group(1)
    db = database(workdir)
    with db.read() as session:
        who = actor_for_token(session, token=key, now=now_shanghai())
    assert who is not None and who.role == "viewer" and who.via == "api_key"
    db.close()


def test_check_rules_names_line_and_reason(workdir: Path) -> None:
    bad = runner.invoke(app, ["alerts", "check-rules", str(FIXTURES / "rules" / "unknown_key.yaml")])
    assert bad.exit_code == 2 and "第 8 行" in bad.output and "min_engagemnt" in bad.output
    good = runner.invoke(app, ["alerts", "check-rules", str(FIXTURES / "rules" / "custom.yaml")])
    assert good.exit_code == 0 and "OK (1 rules, 0 burst rules)" in good.output


def test_unreachable_database_is_one_line_without_the_password(workdir: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUQING_ALERTS__DATABASE_URL", "postgresql+psycopg://yuqing:Sup3rS3cret@127.0.0.1:9/yuqing")
    result = runner.invoke(app, ["users", "list"])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert "cannot open the database" in result.output and "Sup3rS3cret" not in result.output
    upgrade = runner.invoke(app, ["db", "upgrade"])
    assert upgrade.exit_code == 2 and "Sup3rS3cret" not in upgrade.output


def test_export_labels_writes_json_lines(workdir: Path) -> None:
    runner.invoke(app, ["init"])
    out = workdir / "labels.jsonl"
    result = runner.invoke(app, ["alerts", "export-labels", str(out)])
    assert result.exit_code == 0 and "0 labelled examples" in result.output and out.read_text() == ""
