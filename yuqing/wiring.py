"""Builds the stages from settings, so every entry point (CLI, API, crawler, scheduler)
gets the same index the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nlp.analyze import Analyzer
from nlp.clean import normalize
from nlp.segment import entity_words, segmenter
from store.base import MentionStore, Tokenizer
from store.evidence import EvidenceStore
from store.sqlite import SQLiteStore
from yuqing.ingest import Ingestor
from yuqing.settings import Settings

if TYPE_CHECKING:
    from crawlers.sitecheck.incidents import IncidentHooks
    from yuqing.reports.extensions import BriefingExtension


def query_tokenizer(settings: Settings) -> Tokenizer:
    """Search text to index words, segmented exactly as mentions are (no models loaded)."""
    words = segmenter(entity_words(settings.entity)).words
    return lambda text: words(normalize(text))


def open_mention_store(settings: Settings) -> MentionStore:
    """The configured mention index (SQLite in the data directory)."""
    return SQLiteStore(settings.storage.mentions_db, query_tokenizer(settings))


def build_ingestor(settings: Settings, store: MentionStore | None = None) -> Ingestor:
    """Analyse → store → notify, with every configured listener attached."""
    return Ingestor(Analyzer(settings), store or open_mention_store(settings))


def open_evidence_store(settings: Settings) -> EvidenceStore:
    """Raw responses kept for relevant mentions (in the data directory)."""
    return EvidenceStore(settings.storage.evidence_dir)


def site_incident_hooks(settings: Settings) -> IncidentHooks:
    """What a site-check incident does. Today it is logged; once the alerts stage exists, pass
    hooks that open an operational alert and an IT ticket, and mark it recovered (see README,
    "Own-site health checks")."""
    from crawlers.sitecheck.incidents import IncidentHooks

    return IncidentHooks()


def briefing_extensions(settings: Settings) -> list[BriefingExtension]:
    """What later stages add to the daily and weekly briefings. None today; the alerts stage
    returns one that gives each event its alert and ticket status and adds the new and overdue
    tickets (see yuqing/reports/extensions.py)."""
    return []
