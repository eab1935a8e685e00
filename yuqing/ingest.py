"""Ingest: analyse mentions, store them, and tell the later stages what was stored.

Every way a mention enters the system — a spider's item pipeline, a clipping typed in by
staff — goes through `Ingestor.ingest`, so all of them get the same NLP, the same
near-duplicate and event links, the same idempotent upsert and the same alert evaluation.
Later stages subscribe with `listen()` instead of being imported here, which keeps the
import graph one-way.

When the Elasticsearch index is down, the store keeps analysed mentions in its outbox
(`UpsertResult.queued`) and replays them itself later; listeners hear only of what was
stored, so stages that must see every mention also sweep the index by time window.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from nlp.analyze import Analyzer
from nlp.events import EVENT_WINDOW, Candidate, link
from store.base import MentionQuery, MentionStore, Sort, StoreUnavailable, UpsertResult
from yuqing.metrics import NLP
from yuqing.records import Analysis, Category, Mention, StoredMention


@dataclass(frozen=True, slots=True)
class Ingested:
    """What one ingest call stored: each mention with its analysis and whether it is new."""

    items: list[tuple[Mention, Analysis, bool]] = field(default_factory=list)
    result: UpsertResult = field(default_factory=UpsertResult)


Listener = Callable[[Ingested], None]


class Ingestor:
    def __init__(self, analyzer: Analyzer, store: MentionStore, *,
                 space_guard: Callable[[], None] | None = None) -> None:
        self.analyzer = analyzer
        self.store = store
        # Called before each batch; raises StoreFull when the disk is too full to write safely.
        self.space_guard = space_guard
        self._listeners: list[Listener] = []
        self._closers: list[Callable[[], None]] = []

    def listen(self, listener: Listener) -> None:
        """Call `listener` after every ingest that stored something."""
        self._listeners.append(listener)

    def on_close(self, closer: Callable[[], None]) -> None:
        """Call `closer` when the ingestor is closed (listeners release what they hold)."""
        self._closers.append(closer)

    def close(self) -> None:
        """Close the listeners' resources, then the store."""
        for closer in self._closers:
            closer()
        self.store.close()

    def ingest(self, mentions: Iterable[Mention]) -> Ingested:
        """Analyse, link to copies and events, and upsert each mention (one at a time, so a
        mention can link to one ingested just before it). StoreFull, before anything of the
        mention is written, when the disk guard says the data directory is too full."""
        result, items = UpsertResult(), []
        try:
            for mention in mentions:
                self._one(mention, result, items)
        finally:  # a batch stopped half way (disk full): what was stored is still evaluated
            stored = Ingested(items=items, result=result)
            if items or result.failed or result.queued:
                for listener in self._listeners:
                    listener(stored)
        if not items and not result.failed and not result.queued:
            return Ingested()
        return stored

    def _one(self, mention: Mention, result: UpsertResult, items: list) -> None:
        if self.space_guard is not None:
            self.space_guard()
        started = time.perf_counter()
        analysis = self.analyzer.analyze(mention)
        NLP.observe(mention.platform.value, time.perf_counter() - started)
        analysis = self._linked(mention, analysis)
        one = self.store.upsert([(mention, analysis)])
        result.inserted += one.inserted
        result.updated += one.updated
        result.new_ids.extend(one.new_ids)
        result.failed.extend(one.failed)
        result.queued.extend(one.queued)
        # Refused mentions wait with their reason, queued ones (index down) until replayed:
        # neither is stored yet, so listeners hear only of the rest.
        if not one.failed and not one.queued:
            items.append((mention, analysis, bool(one.new_ids)))

    def _linked(self, mention: Mention, analysis: Analysis) -> Analysis:
        """The analysis with its near-duplicate and event links (kept once set). With the
        index down there is nothing to link to: the mention goes to the outbox unlinked."""
        try:
            return self._link(mention, analysis)
        except StoreUnavailable:
            return analysis

    def _link(self, mention: Mention, analysis: Analysis) -> Analysis:
        known = self.store.get(mention.id)
        if known and (known.analysis.event_id or known.analysis.duplicate_of):
            return analysis.model_copy(update={"event_id": known.analysis.event_id,
                                               "duplicate_of": known.analysis.duplicate_of})
        parent = self.store.get(mention.parent_id) if mention.parent_id else None
        if parent is not None and parent.analysis.event_id:
            # A comment answers its post: it joins the post's event, and the same short reply under
            # other posts ("出来给个说法") is neither its copy nor an event of its own.
            return analysis.model_copy(update={"event_id": parent.analysis.event_id if analysis.relevant else "",
                                               "duplicate_of": ""})
        since, until = mention.published_at - EVENT_WINDOW, mention.published_at + EVENT_WINDOW
        candidates = self.store.near_duplicates(analysis.fingerprint, since, until)
        categories = [c for c in analysis.category_codes if c != Category.other]
        if analysis.relevant and categories:
            query = MentionQuery(categories=categories, relevant=True, since=since, until=until,
                                 sort=Sort.oldest, limit=100)
            candidates += self.store.search(query).items
        links = link(
            mention_id=mention.id, fingerprint=analysis.fingerprint, words=len(analysis.tokens),
            relevant=analysis.relevant, categories=analysis.category_codes, place=analysis.place,
            keywords=analysis.keywords, candidates=[_candidate(s) for s in candidates],
        )
        return analysis.model_copy(update={"event_id": links.event_id, "duplicate_of": links.duplicate_of})


def _candidate(stored: StoredMention) -> Candidate:
    return Candidate(
        id=stored.mention.id, fingerprint=stored.analysis.fingerprint, relevant=stored.analysis.relevant,
        categories=frozenset(stored.categories), place=stored.analysis.place,
        keywords=frozenset(stored.analysis.keywords), duplicate_of=stored.analysis.duplicate_of,
        event_id=stored.analysis.event_id,
    )
