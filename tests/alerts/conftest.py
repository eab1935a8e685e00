"""A closed loop to test alerts with: the real analyzer, a SQLite mention index, the relational
database (SQLite and PostgreSQL), the shipped rules, and every notice captured."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from alerts.db import Database
from alerts.flows import AlertEvaluator, Outcome
from alerts.notify.outbox import Notice
from alerts.rules.loader import RuleBook
from nlp.analyze import Analyzer
from store.sqlite import SQLiteStore
from tests.builders import BASE_TIME, mention
from tests.conftest import make_settings
from yuqing.ingest import Ingestor
from yuqing.records import Mention
from yuqing.settings import Settings


@dataclass
class Loop:
    db: Database
    store: SQLiteStore
    settings: Settings
    rules: RuleBook
    analyzer: Analyzer
    notices: list[Notice] = field(default_factory=list)
    now: datetime = BASE_TIME

    @property
    def evaluator(self) -> AlertEvaluator:
        return AlertEvaluator(self.db, self.rules, self.settings)

    def post(self, n: int, text: str, *, minutes_later: float = 0, **fields) -> Outcome | None:
        """Mention n published `minutes_later` after the loop's clock, stored and evaluated then."""
        moment = self.now + timedelta(minutes=minutes_later)
        item = mention(n, text, hours_ago=(BASE_TIME - moment).total_seconds() / 3600, **fields)
        return self.feed(item, now=moment)

    def feed(self, item: Mention, *, now: datetime) -> Outcome | None:
        """Through the one ingest path (which links the mention to its event), then evaluated."""
        (stored,) = Ingestor(self.analyzer, self.store).ingest([item]).items
        outcomes = self.evaluator.evaluate([stored[:2]], now=now)
        return outcomes[0] if outcomes else None


@pytest.fixture
def loop(db: Database, store: SQLiteStore, analyzer: Analyzer, tmp_path: Path) -> Iterator[Loop]:
    settings = make_settings(tmp_path / "data")
    rules = RuleBook(tmp_path / "data" / "alert_rules.yaml", db=db)
    state = Loop(db=db, store=store, settings=settings, rules=rules, analyzer=analyzer)
    db.on_notices = state.notices.extend
    yield state
