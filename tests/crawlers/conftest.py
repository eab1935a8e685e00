"""Spider settings for each fixture set (tests/fixtures/<source>/)."""

from __future__ import annotations

import tomllib
from typing import Any

from tests.conftest import FIXTURES
from yuqing.settings import BoardSpec

FEEDS = "https://news.example.cn"


def board_specs(*names: str) -> list[BoardSpec]:
    boards = tomllib.loads((FIXTURES / "board" / "boards.toml").read_text(encoding="utf-8"))["sources"]["board"]
    return [BoardSpec(**b) for b in boards["boards"] if not names or b["name"] in names]


def source_updates(source: str, key: str) -> dict[str, Any]:
    """Settings that make a spider walk exactly one fixture key."""
    if source == "news_feeds":
        return {"feeds": [key]}
    if source == "board":
        return {"boards": board_specs(key)}
    updates: dict[str, Any] = {"keywords": [key]}
    if source == "wechat":
        updates["accounts"] = []
    if source == "douyin":
        updates["signer"] = "tests.crawlers.douyin_signer:sign"
    return updates
