"""The demo: bundled Weibo responses (our own sample posts in the real format) replayed
through the real spider and the full pipeline, so a new user sees data at once.

The bundled posts are dated from DEMO_ANCHOR; before replaying, every `created_at` is
moved forward by whole days so the newest posts are from yesterday (never in the future)
and trend pages always have recent data. Nothing else in the responses changes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

DEMO_RESPONSES = Path(__file__).parent / "demo_data"
DEMO_ANCHOR = datetime(2026, 11, 28, tzinfo=ZoneInfo("Asia/Shanghai"))
DEMO_KEYWORDS = ["泰山港华燃气", "泰安 燃气", "泰安 停气"]
WEIBO_TIME = "%a %b %d %H:%M:%S %z %Y"


def demo_today(timezone: str = "Asia/Shanghai", now: datetime | None = None) -> date:
    """Today in the service's time zone (not the machine's: a server on UTC is still on the
    previous day until 08:00 in Shanghai)."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone)).date()


def _shift_mblogs(node: object, days: int) -> None:
    if isinstance(node, dict):
        created = node.get("created_at")
        if isinstance(created, str):
            try:
                moment = datetime.strptime(created, WEIBO_TIME) + timedelta(days=days)
                node["created_at"] = moment.strftime(WEIBO_TIME)
            except ValueError:
                pass
        for value in node.values():
            _shift_mblogs(value, days)
    elif isinstance(node, list):
        for value in node:
            _shift_mblogs(value, days)


def prepare_replay(target: Path, today: date) -> Path:
    """Copy the bundled Weibo responses into `target`, posts and comments re-dated so the
    anchor is yesterday."""
    source = DEMO_RESPONSES / "weibo"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    days = (today - DEMO_ANCHOR.date()).days - 1
    for path in [*target.glob("search-*.json"), *target.glob("hotflow-*.json")]:
        data = json.loads(path.read_text(encoding="utf-8"))
        _shift_mblogs(data, days)
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return target


def crawl_command(replay_dir: Path, state_path: Path) -> list[str]:
    """The child-process command that replays the demo through the Weibo spider."""
    command = [sys.executable, "-m", "yuqing", "crawl", "weibo", "--replay", str(replay_dir),
               "--state", str(state_path)]
    for keyword in DEMO_KEYWORDS:
        command += ["--keyword", keyword]
    return command


def run_demo(work_dir: Path, today: date) -> subprocess.CompletedProcess[str]:
    """Replay the demo in a child process (Scrapy's reactor runs once per process)."""
    replay = prepare_replay(work_dir / "replay", today)
    # The demo keeps its own high-water marks so it never hides real posts from real crawls.
    return subprocess.run(crawl_command(replay, work_dir / "demo_state.sqlite"),
                          capture_output=True, text=True, check=False)
