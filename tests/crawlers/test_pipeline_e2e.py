"""The whole pipeline in a real Scrapy process: saved responses in, analysed mentions in
SQLite out, through `yuqing crawl` exactly as the scheduler runs it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO

pytestmark = pytest.mark.slow
KEYWORDS = ["泰安 燃气", "截断", "被限流", "登录墙"]


def crawl(config: Path, state: Path | None = None, env: dict[str, str] | None = None) -> dict:
    command = [sys.executable, "-m", "yuqing", "crawl", "weibo", "--config", str(config),
               "--replay", str(FIXTURES / "weibo")]
    for keyword in KEYWORDS:
        command += ["--keyword", keyword]
    if state:
        command += ["--state", str(state)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})})
    assert done.returncode == 0, done.stderr[-2000:]
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "log": done.stderr}


def rows(db: Path) -> dict[str, tuple]:
    with sqlite3.connect(db) as conn:
        return {r[0]: r[1:] for r in conn.execute(
            "SELECT id, text, sentiment, relevant, analysis, first_seen_at FROM mentions")}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "yuqing.toml"
    path.write_text(f'[storage]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    return path


def test_crawl_stores_analysed_mentions_and_is_idempotent(config: Path, tmp_path: Path) -> None:
    report = crawl(config, state=tmp_path / "state-a.sqlite")
    assert report["finish_reason"] == "finished"
    # Broken pages were counted while the good keyword was crawled to its end.
    assert report["malformed"] == 1 and report["http_418"] == 1 and report["login_wall"] == 1
    assert report["stored_new"] == 9 and report["deleted"] == 1
    db = tmp_path / "data" / "mentions.sqlite"
    first = rows(db)
    assert len(first) == 9  # ten posts on two pages, one deleted by its author
    long_post = next(v for v in first.values() if v[0].startswith("泰山港华燃气报装三个月"))
    assert long_post[0].endswith("希望有关部门督促解决。")  # the long text was expanded
    _, sentiment, relevant, analysis_json, _ = long_post
    analysis = json.loads(analysis_json)
    assert sentiment == analysis["sentiment"]["label"] in {"negative", "neutral", "positive"}
    assert relevant == 1 and analysis["relevance_reasons"]  # it names the utility
    assert {"connection"} <= {c["code"] for c in analysis["categories"]}

    # Same responses again, from scratch (no high-water mark): same mentions, no duplicates,
    # and the records from the first run are intact.
    again = crawl(config, state=tmp_path / "state-b.sqlite")
    assert again["stored_new"] == 0 and again["stored_updated"] == 9
    second = rows(db)
    assert second.keys() == first.keys()
    assert {k: v[:4] for k, v in second.items()} == {k: v[:4] for k, v in first.items()}
    assert all(second[k][4] == first[k][4] for k in first)  # first_seen_at kept


def test_high_water_mark_skips_known_posts_on_the_next_run(config: Path, tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    crawl(config, state=state)
    again = crawl(config, state=state)
    assert again.get("stored_new", 0) == 0 and again.get("stored_updated", 0) == 0
    assert again["pages"] == 1 + 3  # page 1 of the good keyword, then the three refusals


def crawl_source(source: str, config: Path, keywords: list[str], state: Path) -> dict:
    command = [sys.executable, "-m", "yuqing", "crawl", source, "--config", str(config),
               "--replay", str(FIXTURES / source), "--state", str(state)]
    for keyword in keywords:
        command += ["--keyword", keyword]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=180,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_toutiao_crawl_follows_comments_keeps_evidence_and_records_health(config: Path, tmp_path: Path) -> None:
    state = tmp_path / "data" / "crawl_state.sqlite"
    report = crawl_source("toutiao", config, ["泰安 燃气"], state)
    assert report["finish_reason"] == "finished" and report["comments_requested"] >= 1
    db = tmp_path / "data" / "mentions.sqlite"
    with sqlite3.connect(db) as conn:
        kinds = dict(conn.execute("SELECT kind, COUNT(*) FROM mentions GROUP BY kind").fetchall())
        parents = {r[0] for r in conn.execute("SELECT parent_id FROM mentions WHERE kind = 'comment'")}
    assert kinds["article"] == 4 and kinds["comment"] == 2  # the negative article's comments, via the engine
    assert parents == {"toutiao:7350000000000000101"}
    with sqlite3.connect(tmp_path / "data" / "evidence" / "evidence.sqlite") as conn:
        kept = {r[0] for r in conn.execute("SELECT mention_id FROM evidence")}
    assert "toutiao:7350000000000000101" in kept and report["evidence"] == len(kept)
    sources = subprocess.run([sys.executable, "-m", "yuqing", "sources", "--config", str(config), "--json"],
                             capture_output=True, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    rows = {r["source"]: r for r in json.loads(sources.stdout)}
    # Items were read, but one saved comment is malformed: degraded, with the reason, not blocked.
    assert rows["toutiao"]["state"] == "degraded" and rows["toutiao"]["reason"] == "malformed_comment"
    assert rows["toutiao"]["minutes_since_success"] == 0


def test_douyin_without_signer_reports_blocked_and_retries_honour_the_settings(config: Path, tmp_path: Path) -> None:
    state = tmp_path / "data" / "crawl_state.sqlite"
    report = crawl_source("douyin", config, ["泰安燃气"], state)
    assert report["needs_signer"] == 1 and report.get("pages", 0) == 0
    config.write_text(config.read_text(encoding="utf-8") + '[sources.toutiao]\nretry_times = 2\nbackoff_seconds = 0\n'
                      'backoff_max_seconds = 0\n', encoding="utf-8")
    limited = crawl_source("toutiao", config, ["被限流"], state)
    assert limited["retried"] == 2 and limited["retries_exhausted"] == 1 and limited["http_429"] == 1
    sources = subprocess.run([sys.executable, "-m", "yuqing", "sources", "--config", str(config)],
                             capture_output=True, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    line = next(x for x in sources.stdout.splitlines() if x.startswith("douyin"))
    assert "blocked" in line and "needs signer/cookie" in line


def test_crawl_opens_no_remote_access_and_logs_no_dumps(config: Path, tmp_path: Path) -> None:
    # Scrapy 2.19 starts a code-running HTTP server per crawl by default and registers it in a
    # job file under $XDG_STATE_HOME; the telnet console would print its password.
    state_home = tmp_path / "xdg-state"
    report = crawl(config, env={"XDG_STATE_HOME": str(state_home)})
    assert report["stored_new"] == 9
    assert not list(state_home.rglob("*.json"))
    log = report["log"]
    assert "Remote control" not in log and "Telnet" not in log
    # The crawl's outcome is in the report; Scrapy's multi-line settings/stats dumps are not logged.
    assert "Overridden settings" not in log and "Dumping Scrapy stats" not in log
    assert "login_wall" in log  # the crawl's own warnings still are
