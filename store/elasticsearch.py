"""The mention index in Elasticsearch (official client, 8.x line; works with 8 and 9).

Layout and mapping: `store/es_schema.py`. Writes: `store/es_writer.py`. Queries:
`store/es_query.py`. What the cluster cannot take right now waits in the outbox
(`store/outbox.py`) and is replayed in arrival order once it answers again; what it refuses
for its content is reported in `UpsertResult.failed` and kept there too.

Writers on one machine take turns (a file lock next to the outbox, `store/writer_lock.py`)
and refresh when someone else wrote last, so the lookup of "where does this id live" sees
everything written before it; reads in a process that wrote refresh first, so they see
their own writes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from elasticsearch import ApiError, ConflictError, Elasticsearch, NotFoundError, TransportError

from store.base import (
    Count,
    EventSummary,
    Facet,
    MentionQuery,
    MentionStore,
    Page,
    QueryTooDeep,
    StoreError,
    StoreUnavailable,
    Tokenizer,
    TrendBucket,
    UpsertResult,
    fill_days,
)
from store.es_client import check, describe, make_client
from store.es_events import duplicate_counts_aggs, events_aggs, events_from, near_duplicates_body
from store.es_query import build_query, highlight_clause, highlight_of, search_terms, sort_clause, terms_agg
from store.es_schema import (
    FACET_FIELDS,
    KEYWORDS_FIELD,
    MAPPING_VERSION,
    MAPPINGS,
    MAX_RESULT_WINDOW,
    correction_of,
    effective,
    from_source,
    index_month,
    index_name,
    template_body,
)
from store.es_writer import BulkWriter, Entry, Outcome, WriteReport
from store.outbox import Outbox, OutboxStatus
from store.writer_lock import WriterLock
from yuqing.records import SHANGHAI, Analysis, Correction, Mention, StoredMention
from yuqing.settings import EsSettings

log = logging.getLogger("yuqing.store.elasticsearch")
PLACED_LIMIT = 100_000  # ids remembered since the last refresh before refreshing anyway


class ElasticsearchStore(MentionStore):
    def __init__(self, client: Elasticsearch, *, tokenize: Tokenizer, prefix: str = "yuqing-mentions",
                 outbox: Outbox | None = None, shards: int = 1, replicas: int = 1, bulk_size: int = 500,
                 retry_seconds: float = 30, hosts: list[str] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.tokenize = tokenize
        self.prefix = self.alias = prefix
        self.outbox = outbox
        self.shards, self.replicas, self.bulk_size = shards, replicas, bulk_size
        self.retry_seconds = retry_seconds
        self.hosts = hosts or ["(client)"]
        self.clock = clock
        self.writer = BulkWriter(client, prefix)
        self._lock = WriterLock(Path(f"{outbox.path}.lock") if outbox and outbox.path != ":memory:" else None)
        self._retry_at = 0.0  # after an outage, upserts queue without trying until then

    @classmethod
    def open(cls, es: EsSettings, *, tokenize: Tokenizer, outbox: Outbox | None,
             now: datetime | None = None) -> ElasticsearchStore:
        """Connect, check who answers, and create the template and alias if missing."""
        client = make_client(es)
        check(client, es)
        store = cls(client, tokenize=tokenize, prefix=es.index_prefix, outbox=outbox, shards=es.shards,
                    replicas=es.replicas, bulk_size=es.bulk_size, retry_seconds=es.retry_seconds, hosts=es.hosts)
        store.setup(now=now)
        return store

    def close(self) -> None:
        """Make this process's writes searchable for everyone, then let go of the connections."""
        if self.writer.touched:
            with self._lock.local():
                self._refresh()
        self.client.close()
        if self.outbox:
            self.outbox.close()

    def _unavailable(self, exc: Exception) -> StoreUnavailable:
        return StoreUnavailable(describe(exc, self.hosts))

    # -- layout ------------------------------------------------------------------------
    def setup(self, *, force: bool = False, now: datetime | None = None) -> list[str]:
        """Template (created or brought up to date) and the alias with this month's index;
        returns what was done, for `yuqing es init`."""
        done: list[str] = []
        try:
            has_alias = bool(self.client.indices.exists_alias(name=self.alias))
            if not has_alias and self.client.indices.exists(index=self.alias):
                raise StoreError(f"an index named {self.alias} exists where yuqing needs its alias; "
                                 f"choose another es.index_prefix or remove that index")
            found = self.client.options(ignore_status=404).indices.get_index_template(name=self.prefix)
            templates = found.body.get("index_templates", []) if found.meta.status == 200 else []
            version = templates[0]["index_template"].get("_meta", {}).get("yuqing_mapping") if templates else None
            if force or version != MAPPING_VERSION:
                self.client.indices.put_index_template(
                    name=self.prefix, **template_body(self.prefix, shards=self.shards, replicas=self.replicas))
                done.append(f"template {self.prefix} (mapping v{MAPPING_VERSION})")
                if self.indices():  # existing indices get the added fields too
                    self.client.indices.put_mapping(index=self.alias, properties=MAPPINGS["properties"],
                                                    meta=MAPPINGS["_meta"])
            if not has_alias:
                first = index_name(self.prefix, now or datetime.now(SHANGHAI))
                self.client.options(ignore_status=400).indices.create(index=first)
                done.append(f"index {first} behind alias {self.alias}")
        except (ApiError, TransportError) as exc:
            raise self._unavailable(exc) from None
        return done

    def indices(self) -> list[str]:
        """Our monthly indices, oldest first."""
        found = self.client.options(ignore_status=404).indices.get_alias(index=f"{self.prefix}-*")
        names = found.body.keys() if found.meta.status == 200 else []
        return sorted(n for n in names if index_month(self.prefix, n))

    def drop_expired(self, *, months: int, now: datetime, dry_run: bool = False) -> list[str]:
        """Delete whole monthly indices whose every day is more than `months` months old."""
        if months <= 0:
            return []
        now = now.astimezone(SHANGHAI)
        total = now.year * 12 + now.month - 1 - months
        cutoff = now.replace(year=total // 12, month=total % 12 + 1, day=min(now.day, 28))
        expired = []
        for name in self.indices():
            year, month = index_month(self.prefix, name)
            after = year * 12 + month  # months since year 0 of the month after this index's
            end = datetime(after // 12, after % 12 + 1, 1, tzinfo=SHANGHAI)
            if end <= cutoff:
                expired.append(name)
        if expired and not dry_run:
            self.client.indices.delete(index=",".join(expired))
            log.info("retention: dropped %s", ", ".join(expired))
        return expired

    # -- writes ------------------------------------------------------------------------
    @contextmanager
    def _writing(self) -> Iterator[None]:
        with self._lock.held() as others_wrote:
            if others_wrote:  # their latest writes may not be searchable yet: make them so
                self._refresh(everything=True)
            try:
                yield
            finally:
                self._lock.mark_written()
                if len(self.writer.placed) > PLACED_LIMIT:
                    self._refresh()

    def _refresh(self, everything: bool = False) -> None:
        """Make this writer's writes (or everyone's) searchable; then lookups need no memory."""
        indices = self.alias if everything else ",".join(sorted(self.writer.touched))
        if indices:
            try:
                self.client.indices.refresh(index=indices, ignore_unavailable=True, allow_no_indices=True)
            except (ApiError, TransportError) as exc:
                log.warning("refresh failed: %s", describe(exc, self.hosts))
                return
        self.writer.touched = set()
        self.writer.forget()

    def upsert(self, items: Iterable[tuple[Mention, Analysis]]) -> UpsertResult:
        items = list(items)
        if not items:
            return UpsertResult()
        with self._writing():
            if self.outbox and self.outbox.has_pending():  # keep arrival order: queue behind them
                seqs = self.outbox.append(items)
                outcomes = self._drain() if self.clock() >= self._retry_at else {}
                return _result([(seq, m.id) for seq, (m, _) in zip(seqs, items, strict=True)], outcomes)
            entries = [Entry(n, m, a) for n, (m, a) in enumerate(items)]
            outcomes = self._write_all(entries)
            self._keep([e for e in entries if outcomes[e.key][0] in (Outcome.rejected, Outcome.retry)], outcomes)
            return _result([(e.key, e.mention.id) for e in entries], outcomes, kept=self.outbox is not None)

    def copy_in(self, stored: Iterable[StoredMention]) -> UpsertResult:
        """Copy mentions with their corrections and first-seen times (e.g. from SQLite).
        Nothing is queued: what the cluster cannot take is reported in `failed`."""
        entries = [Entry(n, s.mention, s.analysis, s.correction, s.first_seen_at) for n, s in enumerate(stored)]
        with self._writing():
            outcomes = self._write_all(entries)
        return _result([(e.key, e.mention.id) for e in entries], outcomes, kept=False)

    def _write_all(self, entries: list[Entry]) -> dict[int, tuple[Outcome, str]]:
        """Write in bulk-size batches; after the first batch the cluster could not take,
        the rest are not tried (they go to the outbox in order)."""
        outcomes: dict[int, tuple[Outcome, str]] = {}
        for start in range(0, len(entries), self.bulk_size):
            batch = entries[start:start + self.bulk_size]
            report = self._write(batch)
            outcomes.update(report.outcomes)
            if report.retry_reason:
                for entry in entries[start + self.bulk_size:]:
                    outcomes[entry.key] = (Outcome.retry, report.retry_reason)
                break
        return outcomes

    def _write(self, batch: list[Entry]) -> WriteReport:
        report = self.writer.write(batch)
        self.writer.touched |= report.indices
        if report.retry_reason:
            self._retry_at = self.clock() + self.retry_seconds
            log.warning("Elasticsearch cannot take mentions now (%s); they wait in the outbox",
                        report.retry_reason[:200])
        stored = [e.mention.id for e in batch if report.outcomes[e.key][0] in (Outcome.inserted, Outcome.updated)]
        if self.outbox and stored:
            superseded = self.outbox.supersede(stored)
            if superseded:
                log.info("outbox: %d rejected entries superseded by newer stored versions", superseded)
        return report

    def _keep(self, entries: list[Entry], outcomes: dict[int, tuple[Outcome, str]]) -> None:
        """Put what was not stored into the outbox: rejected ones with their reason."""
        if not self.outbox or not entries:
            return
        for entry in entries:
            outcome, reason = outcomes[entry.key]
            if outcome == Outcome.rejected:
                log.error("Elasticsearch rejected mention %s: %s (kept in the outbox)", entry.mention.id, reason)
                self.outbox.append([(entry.mention, entry.analysis)], status=OutboxStatus.rejected, reason=reason)
        pending = [e for e in entries if outcomes[e.key][0] == Outcome.retry]
        if pending:
            self.outbox.append([(e.mention, e.analysis) for e in pending], reason=outcomes[pending[0].key][1])

    def replay_outbox(self) -> dict[str, int]:
        """Send what waits in the outbox, in order, now; counts of stored, rejected, waiting."""
        if not self.outbox:
            return {"stored": 0, "rejected": 0, "waiting": 0}
        with self._writing():
            outcomes = self._drain()
        counts = self.outbox.counts()
        return {"stored": sum(1 for o, _ in outcomes.values() if o in (Outcome.inserted, Outcome.updated)),
                "rejected": sum(1 for o, _ in outcomes.values() if o == Outcome.rejected),
                "waiting": counts[OutboxStatus.pending]}

    def _drain(self) -> dict[int, tuple[Outcome, str]]:
        """Replay pending outbox entries oldest first; stop at the first batch the cluster
        cannot take. Returns the outcome per outbox sequence number."""
        assert self.outbox is not None
        self.writer.refresh_all()  # a write cut off mid-way may have landed: let lookups see it
        outcomes: dict[int, tuple[Outcome, str]] = {}
        while batch := self.outbox.entries(OutboxStatus.pending, limit=self.bulk_size):
            report = self._write([Entry(e.seq, e.mention, e.analysis) for e in batch])
            outcomes.update(report.outcomes)
            self.outbox.settle(
                stored=[k for k, (o, _) in report.outcomes.items() if o in (Outcome.inserted, Outcome.updated)],
                rejected=[(k, r) for k, (o, r) in report.outcomes.items() if o == Outcome.rejected],
                retry=[(k, r) for k, (o, r) in report.outcomes.items() if o == Outcome.retry],
            )
            if report.retry_reason:
                break
        if outcomes:
            log.info("outbox replay: %d entries settled", len(outcomes))
        return outcomes

    def correct(self, mention_id: str, correction: Correction) -> StoredMention:
        requested = correction
        for _ in range(5):
            hit = self._find(mention_id) or self._find(mention_id, fresh=True)  # written a moment ago?
            if hit is None:
                raise KeyError(mention_id)
            try:
                doc = self.client.get(index=hit["_index"], id=mention_id)  # real-time, with seq_no
                source = doc["_source"]
                previous = correction_of(source)
                correction = requested
                if previous:  # a second review refines the first, field by field
                    correction = requested.model_copy(update={
                        "sentiment": requested.sentiment or previous.sentiment,
                        "categories": requested.categories
                        if requested.categories is not None else previous.categories,
                    })
                sentiment, categories = effective(Analysis.model_validate(source["analysis"]), correction)
                partial = {"correction": correction.model_dump(mode="json"), "sentiment": sentiment,
                           "categories": categories}
                self.client.update(index=hit["_index"], id=mention_id, doc=partial, refresh=True,
                                   if_seq_no=doc["_seq_no"], if_primary_term=doc["_primary_term"])
                return from_source({**source, **partial})
            except ConflictError:
                continue  # re-crawled in between: read again
            except NotFoundError:
                raise KeyError(mention_id) from None
            except (ApiError, TransportError) as exc:
                raise self._unavailable(exc) from None
        raise StoreError(f"mention {mention_id} kept changing; correction not saved, try again")

    # -- reads -------------------------------------------------------------------------
    def _call(self, method: str, **kwargs: Any) -> Any:
        if self.writer.touched:  # read what this process wrote, like the SQLite backend does
            with self._lock.local():
                self._refresh()
        try:
            return getattr(self.client, method)(index=self.alias, ignore_unavailable=True,
                                                allow_no_indices=True, **kwargs)
        except (ApiError, TransportError) as exc:
            raise self._unavailable(exc) from None

    def _find(self, mention_id: str, fresh: bool = False) -> dict[str, Any] | None:
        if fresh:  # another process may have written it less than a refresh interval ago
            self.writer.refresh_all()
        hits = self._call("search", query={"ids": {"values": [mention_id]}}, size=2)["hits"]["hits"]
        return min(hits, key=lambda h: h["_index"]) if hits else None

    def get(self, mention_id: str) -> StoredMention | None:
        hit = self._find(mention_id)
        return from_source(hit["_source"]) if hit else None

    def count(self, query: MentionQuery) -> int:
        terms = search_terms(query, self.tokenize)
        return self._call("count", query=build_query(query, terms))["count"]

    def search(self, query: MentionQuery) -> Page:
        if query.offset + query.limit > MAX_RESULT_WINDOW:
            raise QueryTooDeep(f"results beyond the first {MAX_RESULT_WINDOW} cannot be paged to; narrow the filters")
        terms = search_terms(query, self.tokenize)
        body: dict[str, Any] = {"query": build_query(query, terms), "sort": sort_clause(query, terms),
                                "from_": query.offset, "size": query.limit, "track_total_hits": True}
        if terms:
            body["highlight"] = highlight_clause(terms)
        hits = self._call("search", **body)["hits"]
        copies: dict[str, int] = {}
        if query.collapse_duplicates and hits["hits"]:
            found = self._aggregate(MentionQuery(), duplicate_counts_aggs([h["_id"] for h in hits["hits"]]))
            copies = {str(b["key"]): b["doc_count"] for b in found.get("copies", {}).get("buckets", [])}
        return Page(total=hits["total"]["value"],
                    items=[from_source(h["_source"], highlight_of(h) if terms else "", copies.get(h["_id"], 0))
                           for h in hits["hits"]])

    def near_duplicates(self, fingerprint: str, since: datetime, until: datetime,
                        limit: int = 50) -> list[StoredMention]:
        body = near_duplicates_body(fingerprint, since, until, limit)
        if body is None:
            return []
        return [from_source(h["_source"]) for h in self._call("search", **body)["hits"]["hits"]]

    def events(self, query: MentionQuery, limit: int = 20) -> list[EventSummary]:
        return events_from(self._aggregate(query, events_aggs(limit)))

    def _aggregate(self, query: MentionQuery, aggs: dict[str, Any]) -> dict[str, Any]:
        terms = search_terms(query, self.tokenize)
        resp = self._call("search", query=build_query(query, terms), size=0, aggs=aggs, track_total_hits=False)
        return resp.get("aggregations", {})

    def trend(self, query: MentionQuery) -> list[TrendBucket]:
        aggs = {"days": {
            "date_histogram": {"field": "published_at", "calendar_interval": "day",
                               "time_zone": "Asia/Shanghai", "min_doc_count": 1},
            "aggs": {"sentiment": {"terms": {"field": "sentiment", "size": 3}}},
        }}
        found = self._aggregate(query, aggs)
        buckets = {}
        for day in found.get("days", {}).get("buckets", []):
            key = datetime.fromtimestamp(day["key"] / 1000, SHANGHAI).date()
            bucket = buckets[key] = TrendBucket(day=key)
            for sentiment in day["sentiment"]["buckets"]:
                setattr(bucket, sentiment["key"], sentiment["doc_count"])
        return fill_days(buckets, query.since, query.until)

    def facet(self, query: MentionQuery, facet: Facet, limit: int = 10) -> list[Count]:
        return self._top(query, FACET_FIELDS[facet], limit)

    def keywords(self, query: MentionQuery, limit: int = 50) -> list[Count]:
        return self._top(query, KEYWORDS_FIELD, limit)

    def _top(self, query: MentionQuery, field: str, limit: int) -> list[Count]:
        if limit <= 0:
            return []
        found = self._aggregate(query, {"top": terms_agg(field, limit)})
        return [Count(value=str(b["key"]), count=b["doc_count"]) for b in found.get("top", {}).get("buckets", [])]


def _result(keys: list[tuple[int, str]], outcomes: dict[int, tuple[Outcome, str]],
            kept: bool = True) -> UpsertResult:
    """The caller's view of one upsert: what was stored, refused (and kept), or queued."""
    result = UpsertResult()
    for key, mention_id in keys:
        outcome, reason = outcomes.get(key, (Outcome.retry, ""))
        if outcome == Outcome.inserted:
            result.inserted += 1
            result.new_ids.append(mention_id)
        elif outcome == Outcome.updated:
            result.updated += 1
        elif outcome == Outcome.rejected:
            result.failed.append((mention_id, reason))
        elif kept:
            result.queued.append(mention_id)
        else:
            result.failed.append((mention_id, f"not stored, try again: {reason}"))
    return result

