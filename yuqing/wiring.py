"""Builds the stages from settings, so every entry point (CLI, API, crawler, scheduler)
gets the same index, the same database and the same alert evaluation the same way."""

from __future__ import annotations

from pathlib import Path

from alerts.db import open_database
from alerts.flows import AlertEvaluator
from alerts.notify.service import Notifier
from alerts.rules.loader import RuleBook
from nlp.analyze import Analyzer
from nlp.clean import normalize
from nlp.segment import entity_words, segmenter
from store.base import MentionStore, Tokenizer
from store.sqlite import SQLiteStore
from yuqing.ingest import Ingestor
from yuqing.settings import Settings


def query_tokenizer(settings: Settings) -> Tokenizer:
    """Search text to index words, segmented exactly as mentions are (no models loaded)."""
    words = segmenter(entity_words(settings.entity)).words
    return lambda text: words(normalize(text))


def open_mention_store(settings: Settings) -> MentionStore:
    """The configured mention index (SQLite in the data directory)."""
    return SQLiteStore(settings.storage.mentions_db, query_tokenizer(settings))


def rules_path(settings: Settings) -> Path:
    """The alert rule file administrators edit (created from the shipped defaults when missing)."""
    return settings.alerts.rules_file or settings.storage.data_dir / "alert_rules.yaml"


def build_ingestor(settings: Settings, store: MentionStore | None = None, *, alerts: bool = True) -> Ingestor:
    """Analyse → store → notify, with every configured listener attached: alert evaluation of
    every newly stored mention (its notices go out after each alert's transaction commits)."""
    ingestor = Ingestor(Analyzer(settings), store or open_mention_store(settings))
    if alerts:
        db = open_database(settings)
        notifier = Notifier(db, settings)
        db.on_notices = notifier.publish
        ingestor.listen(AlertEvaluator(db, RuleBook(rules_path(settings), db=db), settings))
        ingestor.on_close(notifier.close)
        ingestor.on_close(db.close)
    return ingestor
