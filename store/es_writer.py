"""Idempotent bulk writes of mentions into the monthly indices.

For each batch the writer first looks up where each mention id already lives (an `ids`
query on the alias, with sequence numbers), then:
- a known id is rewritten in the index that already holds it, whatever its published_at
  says now (a platform may edit times, the demo re-dates posts), so no id ever sits in two
  indices; the reviewer's correction and first_seen_at are carried over, and the effective
  sentiment and categories recomputed, client-side (the cluster may have no scripting);
- a new id is created (`op_type=create`) in the month of its published_at.
Every rewrite is conditional on the sequence number read (`if_seq_no`), so a correction
saved in between is never overwritten: the conflict is looked up again and retried.

Per-document outcomes: stored (inserted/updated), rejected for its content (kept by the
caller with the reason), or to retry (the cluster is down or shedding load, or the index is
closed for a while, as `yuqing es restore` does).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError, helpers

from store.es_client import TRANSIENT_STATUSES, api_reason, is_transient
from store.es_schema import correction_of, index_name, to_document
from yuqing.records import Analysis, Correction, Mention

log = logging.getLogger("yuqing.store.elasticsearch")

MAX_DOC_BYTES = 10 * 1024 * 1024  # a bigger document is refused here, before it reaches the cluster
MAX_CHUNK_BYTES = 20 * 1024 * 1024  # per bulk request, well under http.max_content_length (100 MB)
CONFLICT_ROUNDS = 3


class Outcome(StrEnum):
    inserted = "inserted"
    updated = "updated"
    rejected = "rejected"  # the document itself was refused: keep it with the reason
    retry = "retry"  # the cluster could not take it now: keep it and replay later


@dataclass(slots=True)
class Entry:
    """One mention to write; `key` identifies it to the caller (list position, outbox seq)."""

    key: int
    mention: Mention
    analysis: Analysis
    correction: Correction | None = None  # a copied correction (reindex); else the stored one
    first_seen_at: datetime | None = None  # a copied first-seen time (reindex)


@dataclass(slots=True)
class _Where:
    index: str
    seq_no: int
    primary_term: int
    first_seen_at: datetime
    correction: Correction | None


@dataclass(slots=True)
class _Plan:
    action: dict[str, Any]
    is_new: bool
    first_seen_at: datetime
    correction: Correction | None


@dataclass
class WriteReport:
    outcomes: dict[int, tuple[Outcome, str]] = field(default_factory=dict)  # key → (outcome, reason)
    indices: set[str] = field(default_factory=set)  # indices written to

    @property
    def retry_reason(self) -> str | None:
        return next((reason for outcome, reason in self.outcomes.values() if outcome == Outcome.retry), None)


def _clip(text: str, limit: int) -> str:
    text = text.split(" Preview of field's value")[0].splitlines()[0] if text else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _item_reason(info: dict[str, Any]) -> str:
    """The cluster's reason for refusing one document, short enough to read in a listing."""
    error = info.get("error")
    if isinstance(error, dict):
        reason = f"{error.get('type', 'error')}: {_clip(str(error.get('reason', '')), 200)}"
        cause = error.get("caused_by")
        if isinstance(cause, dict) and cause.get("reason"):
            reason += f" ({cause.get('type')}: {_clip(str(cause['reason']), 300)})"
        return reason
    return _clip(str(error or f"HTTP {info.get('status')}"), 500)


def _document_bytes(entry: Entry) -> int:
    """Size of the document as sent (exact only when it could be near the limit)."""
    m, a = entry.mention, entry.analysis
    rough = 4 * (len(m.text) + len(m.title) + sum(len(t) + 1 for t in a.tokens)) + 4096
    if rough <= MAX_DOC_BYTES:
        return rough // 4
    return len(m.model_dump_json().encode()) + len(a.model_dump_json().encode()) + \
        len(json.dumps(a.tokens, ensure_ascii=False).encode())


class BulkWriter:
    def __init__(self, client: Elasticsearch, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.known_indices: set[str] = set()
        # Where this writer put ids since the last refresh (a search cannot see them yet).
        self.placed: dict[str, _Where] = {}
        self.touched: set[str] = set()  # indices written since the owner last refreshed them

    def forget(self) -> None:
        """After a refresh: searches see every write again."""
        self.placed.clear()

    def write(self, entries: list[Entry]) -> WriteReport:
        report = WriteReport()
        todo = entries
        for round_ in range(CONFLICT_ROUNDS):
            conflicts = self._round(todo, report)
            if not conflicts or report.retry_reason:
                break
            for entry in conflicts:  # someone changed these since the lookup: look again
                self.placed.pop(entry.mention.id, None)
            self.refresh_all()
            todo = conflicts
            if round_ == CONFLICT_ROUNDS - 1:
                for entry in conflicts:
                    report.outcomes[entry.key] = (Outcome.retry, "version conflict: the mention kept changing")
        for entry in entries:  # never leave one without an outcome: the caller would wait for it forever
            report.outcomes.setdefault(entry.key, (Outcome.retry, "no answer for this document"))
        return report

    # -- one round: look up, build the actions, send them ------------------------------
    def _round(self, entries: list[Entry], report: WriteReport) -> list[Entry]:
        groups: dict[str, list[Entry]] = {}
        for entry in entries:  # the same id twice in a batch: the last version wins
            groups.setdefault(entry.mention.id, []).append(entry)
        for mention_id, group in list(groups.items()):  # refused here, whether or not the cluster answers
            size = _document_bytes(group[-1])
            if size > MAX_DOC_BYTES:
                for entry in group:
                    report.outcomes[entry.key] = (
                        Outcome.rejected, f"document larger than {MAX_DOC_BYTES} bytes ({size} bytes)")
                del groups[mention_id]
        try:
            where, duplicates = self._lookup([i for i in groups if i not in self.placed])
        except (ApiError, TransportError) as exc:
            return self._all_retry(entries, exc, report)
        where.update({i: w for i, w in self.placed.items() if i in groups})
        actions, plans = [], {}
        for mention_id, group in groups.items():
            plan = self._plan(group, where.get(mention_id))
            actions.append(plan.action)
            plans[mention_id] = plan
        actions += [{"_op_type": "delete", "_index": index, "_id": i} for i, index in duplicates]
        try:
            self._ensure_indices({a["_index"] for a in actions if a["_op_type"] == "create"})
        except (ApiError, TransportError) as exc:
            return self._all_retry(entries, exc, report)
        return self._send(actions, groups, plans, report)

    def _plan(self, group: list[Entry], where: _Where | None) -> _Plan:
        first, last = group[0], group[-1]  # as if written one after the other: the first creates
        correction = last.correction or (where.correction if where else None)
        first_seen = where.first_seen_at if where else (first.first_seen_at or first.mention.fetched_at)
        if where and last.first_seen_at:
            first_seen = min(first_seen, last.first_seen_at)
        doc = to_document(last.mention, last.analysis, correction=correction, first_seen_at=first_seen)
        if where:
            action = {"_op_type": "index", "_index": where.index, "_id": last.mention.id, "_source": doc,
                      "if_seq_no": where.seq_no, "if_primary_term": where.primary_term}
        else:
            action = {"_op_type": "create", "_index": index_name(self.prefix, first.mention.published_at),
                      "_id": last.mention.id, "_source": doc}
        return _Plan(action, is_new=where is None, first_seen_at=first_seen, correction=correction)

    def _send(self, actions: list[dict[str, Any]], groups: dict[str, list[Entry]], plans: dict[str, _Plan],
              report: WriteReport) -> list[Entry]:
        conflicts: list[Entry] = []
        done: set[str] = set()
        try:
            for ok, item in helpers.streaming_bulk(
                self.client, actions, chunk_size=max(len(actions), 1), max_chunk_bytes=MAX_CHUNK_BYTES,
                raise_on_error=False, raise_on_exception=True, max_retries=0,
            ):
                op, info = next(iter(item.items()))
                mention_id = info.get("_id")
                if op == "delete" or mention_id not in groups:
                    continue
                done.add(mention_id)
                conflicts += self._settle(ok, info, groups[mention_id], plans[mention_id], report)
        except (ApiError, TransportError) as exc:
            left = [e for i, group in groups.items() if i not in done for e in group]  # not answered
            self._all_retry(left, exc, report)
        return conflicts

    def _settle(self, ok: bool, info: dict[str, Any], group: list[Entry], plan: _Plan,
                report: WriteReport) -> list[Entry]:
        status = info.get("status", 500)
        if ok:
            self.placed[info["_id"]] = _Where(info["_index"], info["_seq_no"], info["_primary_term"],
                                              plan.first_seen_at, plan.correction)
            report.indices.add(info["_index"])
            for n, entry in enumerate(group):
                report.outcomes[entry.key] = (Outcome.inserted if plan.is_new and n == 0 else Outcome.updated, "")
            return []
        if status == 409:
            return group
        if status == 404:  # the index went away under us (retention, an operator): create it again
            self.known_indices.discard(info.get("_index", ""))
        error = info.get("error")
        closed = isinstance(error, dict) and error.get("type") == "index_closed_exception"  # e.g. during a restore
        outcome = Outcome.retry if status in TRANSIENT_STATUSES or status == 404 or closed else Outcome.rejected
        reason = _item_reason(info)
        for entry in group:
            report.outcomes[entry.key] = (outcome, reason)
        return []

    def _all_retry(self, entries: Iterable[Entry], exc: Exception, report: WriteReport) -> list[Entry]:
        if isinstance(exc, ApiError) and not is_transient(exc):
            reason = f"HTTP {exc.status_code}: {api_reason(exc)}"
        else:
            reason = f"{type(exc).__name__}: {str(exc)[-300:]}"
        for entry in entries:  # those already decided (e.g. refused as too large) stay so
            report.outcomes.setdefault(entry.key, (Outcome.retry, reason))
        return []

    # -- lookups and indices -------------------------------------------------------------
    def _lookup(self, ids: list[str]) -> tuple[dict[str, _Where], list[tuple[str, str]]]:
        """Where each id lives now, and any extra copies (id, index) to delete."""
        if not ids:
            return {}, []
        resp = self.client.search(
            index=self.prefix, query={"ids": {"values": ids}}, size=len(ids) * 2,
            source=["first_seen_at", "correction"], seq_no_primary_term=True,
            ignore_unavailable=True, allow_no_indices=True, track_total_hits=False,
        )
        hits = sorted(resp["hits"]["hits"], key=lambda h: (h["_id"], h["_index"]))
        where: dict[str, _Where] = {}
        duplicates: list[tuple[str, str]] = []
        for hit in hits:
            if hit["_id"] in where:  # keep the oldest month's copy, remove the others
                duplicates.append((hit["_id"], hit["_index"]))
                continue
            source = hit.get("_source") or {}
            where[hit["_id"]] = _Where(hit["_index"], hit["_seq_no"], hit["_primary_term"],
                                       datetime.fromisoformat(source["first_seen_at"]), correction_of(source))
        if duplicates:
            log.warning("removing %d duplicate copies of mentions found in more than one index", len(duplicates))
        return where, duplicates

    def _ensure_indices(self, names: set[str]) -> None:
        """Create missing monthly indices explicitly (clusters may forbid auto-creation)."""
        for name in sorted(names - self.known_indices):
            resp = self.client.options(ignore_status=400).indices.create(index=name)
            error = resp.body.get("error") if isinstance(resp.body, dict) else None
            if error and error.get("type") != "resource_already_exists_exception":
                raise ApiError(f"cannot create index {name}: {error.get('reason')}", resp.meta, resp.body)
            self.known_indices.add(name)

    def refresh_all(self) -> None:
        """Make every write to the alias searchable; a failure is only logged."""
        try:
            self.client.indices.refresh(index=self.prefix, ignore_unavailable=True, allow_no_indices=True)
        except (ApiError, TransportError) as exc:
            log.warning("refresh failed: %s", exc)
