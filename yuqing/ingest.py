"""Ingest: analyse mentions, store them, and tell the later stages what was stored.

Every way a mention enters the system — a spider's item pipeline, a clipping typed in by
staff, a replayed outbox — goes through `Ingestor.ingest`, so all of them get the same
NLP, the same idempotent upsert and the same alert evaluation. Later stages subscribe
with `listen()` instead of being imported here, which keeps the import graph one-way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from nlp.analyze import Analyzer
from store.base import MentionStore, UpsertResult
from yuqing.records import Analysis, Mention


@dataclass(frozen=True, slots=True)
class Ingested:
    """What one ingest call stored: each mention with its analysis and whether it is new."""

    items: list[tuple[Mention, Analysis, bool]] = field(default_factory=list)
    result: UpsertResult = field(default_factory=UpsertResult)


Listener = Callable[[Ingested], None]


class Ingestor:
    def __init__(self, analyzer: Analyzer, store: MentionStore) -> None:
        self.analyzer = analyzer
        self.store = store
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
        analysed = [(m, self.analyzer.analyze(m)) for m in mentions]
        if not analysed:
            return Ingested()
        result = self.store.upsert(analysed)
        failed = {mention_id for mention_id, _ in result.failed}
        new = set(result.new_ids)
        stored = Ingested(
            items=[(m, a, m.id in new) for m, a in analysed if m.id not in failed],
            result=result,
        )
        for listener in self._listeners:
            listener(stored)
        return stored
