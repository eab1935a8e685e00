"""The command line: help for every command, one-line errors, and the demo end to end."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from tests.conftest import FIXTURES, REPO
from yuqing.cli import app
from yuqing.records import SHANGHAI

runner = CliRunner()


def all_commands(command, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix] if prefix else []
    if hasattr(command, "commands"):  # a group (typer ships its own click)
        for name, sub in command.commands.items():
            found += all_commands(sub, (*prefix, name))
    return found


def test_every_command_has_help_text() -> None:
    commands = all_commands(get_command(app))
    assert ("crawl",) in commands and ("nlp", "analyze") in commands
    for path in commands:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, path
        command = get_command(app)
        for name in path:
            command = command.commands[name]
        assert (command.help or "").strip(), f"{' '.join(path)} has no help text"


def test_broken_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "yuqing.toml"
    bad.write_text("[sources.weibo]\nmax_pages = -1\n", encoding="utf-8")
    result = runner.invoke(app, ["config", "check", "--config", str(bad)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "sources.weibo.max_pages" in lines[0]


def test_unknown_source_and_missing_replay(tmp_path: Path) -> None:
    assert runner.invoke(app, ["crawl", "myspace"]).exit_code == 2
    result = runner.invoke(app, ["crawl", "weibo", "--replay", str(tmp_path)])
    assert result.exit_code == 2 and "responses.json" in result.output


def test_config_show_masks_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("YUQING_SOURCES__WEIBO__COOKIE", "SUB=topsecret")
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 0 and "topsecret" not in result.output
    assert json.loads(result.output)["sources"]["weibo"]["cookie"] == "**********"


def test_nlp_analyze_reads_json_lines(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "text": "泰山港华燃气停气三天没人管"}\nnot json\n'
                      '{"id": "b", "text": "", "platform": "weibo"}\n', encoding="utf-8")
    result = runner.invoke(app, ["nlp", "analyze", str(source)])
    assert result.exit_code == 0
    a, broken, b = (json.loads(line) for line in result.output.strip().splitlines())
    assert a["id"] == "a" and a["relevant"] and a["sentiment"]["label"] == "negative"
    assert "outage" in [c["code"] for c in a["categories"]]
    assert broken == {"line": 2, "error": "not a JSON object"}
    assert b["id"] == "b" and b["sentiment"]["label"] == "neutral" and not b["relevant"]


@pytest.mark.slow
def _far_time_zone() -> str:
    """A time zone whose date differs from Asia/Shanghai's right now (UTC-12 until 20:00 in
    Shanghai, UTC+14 after), so a demo dated by the machine's day cannot pass."""
    return "Etc/GMT+12" if datetime.now(SHANGHAI).hour < 20 else "Pacific/Kiritimati"


def test_init_and_demo_load_data_through_the_pipeline(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "YUQING_STORAGE__DATA_DIR": str(tmp_path / "data"),
           "TZ": _far_time_zone()}
    env.pop("YUQING_CONFIG", None)

    def yuqing(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "yuqing", *args], capture_output=True, text=True,
                              cwd=tmp_path, env=env, timeout=180)

    assert yuqing("init").returncode == 0
    first = yuqing("demo")
    now = datetime.now(SHANGHAI)
    assert first.returncode == 0, first.stderr[-2000:]
    report = json.loads(first.stdout.strip().splitlines()[-1])
    db = tmp_path / "data" / "mentions.sqlite"
    with sqlite3.connect(db) as conn:
        count = conn.execute("SELECT COUNT(*) FROM mentions").fetchone()[0]
        posts = conn.execute("SELECT COUNT(*) FROM mentions WHERE kind = 'post'").fetchone()[0]
        relevant = conn.execute("SELECT COUNT(*) FROM mentions WHERE relevant = 1").fetchone()[0]
        newest_day = conn.execute("SELECT MAX(day) FROM mentions WHERE kind = 'post'").fetchone()[0]
        days = conn.execute("SELECT COUNT(DISTINCT day) FROM mentions WHERE kind = 'post'").fetchone()[0]
        newest = conn.execute("SELECT MAX(published_at) FROM mentions").fetchone()[0]
        orphans = conn.execute("SELECT COUNT(*) FROM mentions c WHERE kind = 'comment' AND NOT EXISTS "
                               "(SELECT 1 FROM mentions p WHERE p.id = c.parent_id AND p.kind = 'post')").fetchone()[0]
        published = dict(conn.execute("SELECT id, published_at FROM mentions"))
    demo_posts = (REPO / "tools/demo/weibo_posts.jsonl").read_text(encoding="utf-8").strip().splitlines()
    assert posts == len(demo_posts)
    # every post the spider asks comments for has them in the demo, each linked to its post
    assert count == report["stored_new"] and count > posts and report["comments_requested"] > 0
    assert orphans == 0 and not any(key.startswith("http_") for key in report)
    assert 0 < relevant < count  # the demo has irrelevant mentions too
    # re-dated by Asia/Shanghai's day, whatever the machine's time zone: the newest posts are
    # from yesterday there (so `yuqing report daily` has them), none in the future
    assert newest_day == (now.date() - timedelta(days=1)).isoformat()
    assert newest <= now.timestamp() and days >= 20  # still spread over past weeks for the trends
    _assert_recent_alerts(tmp_path / "data" / "yuqing.sqlite", published, now)
    again = yuqing("demo")
    assert again.returncode == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM mentions").fetchone()[0] == count


def _assert_recent_alerts(alerts_db: Path, published: dict[str, int], now: datetime) -> None:
    """The demo's life-safety and high-engagement alerts come from recent posts, so an alert
    stage that ignores posts older than 72 hours (back-fills) still fills the inbox."""
    with sqlite3.connect(alerts_db) as conn:
        alerts = conn.execute("SELECT level, rule_ids, first_mention_id FROM alerts").fetchall()
    recent = now.timestamp() - 48 * 3600
    fresh = {rule for level, rules, first in alerts if published.get(first, 0) >= recent
             for rule in json.loads(rules)}
    assert {"life-safety", "viral-negative"} <= fresh, (fresh, alerts)
    assert any(level == "red" and published.get(first, 0) >= recent for level, _, first in alerts)


def test_fixtures_exist_for_the_demo_and_tests() -> None:
    assert (FIXTURES / "weibo" / "responses.json").is_file()
    assert (REPO / "yuqing" / "demo_data" / "weibo" / "responses.json").is_file()
