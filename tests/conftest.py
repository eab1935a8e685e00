"""Shared fixtures: settings in a temporary data directory, one analyzer per session
(loading jieba and the sentiment model takes a second or two), and a fresh SQLite store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from nlp.analyze import Analyzer
from store.sqlite import SQLiteStore
from yuqing.settings import Settings, StorageSettings
from yuqing.wiring import query_tokenizer

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
SHARED = Path(os.environ.get("YUQING_SHARED", REPO.parent / "shared"))


def make_settings(data_dir: Path, **overrides) -> Settings:
    return Settings(storage=StorageSettings(data_dir=data_dir), **overrides)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    return Analyzer(Settings())


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(tmp_path / "mentions.sqlite", query_tokenizer(Settings())) as s:
        yield s
