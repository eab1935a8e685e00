"""`yuqing sources`, `yuqing sources gaps`, `yuqing import clippings` and the scheduler's
source-health job (the operations-alert hook)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawlers.gaps import GapBook
from crawlers.health import HealthBook, SourceState
from crawlers.state import CrawlState
from tests.conftest import FIXTURES
from yuqing.cli import app
from yuqing.records import SHANGHAI
from yuqing.scheduler import source_health_job
from yuqing.settings import load_settings

runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "yuqing.toml"
    path.write_text(f'[storage]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    return path


def blocked_douyin(config: Path, hours: float) -> None:
    settings = load_settings(config)
    state = CrawlState(settings.storage.crawl_state_db)
    now = datetime.now(SHANGHAI)
    HealthBook(state.conn).record("douyin", SourceState.blocked, "needs_signer", items=0, problems={},
                                  now=now - timedelta(hours=hours))
    HealthBook(state.conn).record("weibo", SourceState.ok, "", items=4, problems={}, now=now - timedelta(minutes=5))
    GapBook(state.conn).crawled("weibo", "泰安 燃气", complete=True, oldest=None, started_at=now - timedelta(hours=9),
                                now=now)
    GapBook(state.conn).failed("weibo", "泰安 燃气", reason="captcha", now=now)
    state.close()


def test_sources_lists_health(config: Path) -> None:
    blocked_douyin(config, hours=1)
    result = runner.invoke(app, ["sources", "--config", str(config)])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.strip().splitlines()}
    assert "blocked" in lines["douyin"] and "needs signer/cookie" in lines["douyin"] and "never" in lines["douyin"]
    assert "ok" in lines["weibo"] and "5 min ago" in lines["weibo"] and "gaps: 1" in lines["weibo"]
    assert "unknown" in lines["wechat"] and "(disabled)" in lines["board"]
    as_json = json.loads(runner.invoke(app, ["sources", "--config", str(config), "--json"]).output)
    assert {r["source"] for r in as_json} >= {"douyin", "weibo"}


def test_sources_gaps(config: Path) -> None:
    assert "no gaps" in runner.invoke(app, ["sources", "gaps", "--config", str(config)]).output
    blocked_douyin(config, hours=1)
    result = runner.invoke(app, ["sources", "gaps", "--config", str(config)])
    assert result.exit_code == 0 and "weibo" in result.output and "'泰安 燃气'" in result.output
    assert "(9.0 h, captcha)" in result.output


def test_import_clippings_exit_codes(config: Path) -> None:
    good = runner.invoke(app, ["import", "clippings", str(FIXTURES / "clippings" / "excel-gbk.csv"),
                               "--config", str(config)])
    assert good.exit_code == 0, good.output
    assert json.loads(good.output)["stored_new"] == 3
    bad = runner.invoke(app, ["import", "clippings", str(FIXTURES / "clippings" / "bad-rows.csv"),
                              "--config", str(config)])
    assert bad.exit_code == 1 and json.loads(bad.output)["accepted"] == 2
    broken = runner.invoke(app, ["import", "clippings", str(FIXTURES / "clippings" / "not-really.xlsx"),
                                 "--config", str(config)])
    assert broken.exit_code == 2 and "不是有效的 XLSX" in broken.output and len(broken.output.splitlines()) == 1
    missing = runner.invoke(app, ["import", "clippings", "/nonexistent.csv", "--config", str(config)])
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_health_job_alerts_once_for_a_source_blocked_too_long(config: Path) -> None:
    blocked_douyin(config, hours=4)  # the default limit is 180 minutes
    settings = load_settings(config)
    heard = []
    (alert,) = source_health_job(settings, [heard.append])
    assert alert.source == "douyin" and alert.reason == "needs_signer" and alert.minutes >= 239
    assert heard == [alert] and source_health_job(settings, [heard.append]) == []
