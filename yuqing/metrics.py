"""Process-wide Prometheus metrics of the pipeline (the API's `/metrics` serves them).

Crawls run in child processes (`yuqing crawl SOURCE`): each prints its report as one JSON line,
including its NLP timings (`NlpTimings.snapshot()`), and the scheduler of `yuqing run` adds
the report to these counters when the child ends (`record_crawl`). Figures that live in the
databases (source state, outbox depth, open alerts, overdue tickets) are read when Prometheus
scrapes (`api/metrics.py`), so they are right whichever process changed them.

Labels are bounded sets only (source names, problem codes, job names, levels, departments,
route templates): never ids, user names, addresses or anything secret.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client import REGISTRY, Counter
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

# Seconds per analysed mention: jieba + sentiment + categories take a few to a few tens of ms.
NLP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

CRAWL_ITEMS = Counter("yuqing_crawl_items", "Mentions stored by crawls, per source and outcome "
                      "(new, updated, queued for Elasticsearch, failed)", ["source", "outcome"])
CRAWL_RUNS = Counter("yuqing_crawl_runs", "Crawl child processes by how they ended (ok, failed, timeout)",
                     ["source", "result"])
CRAWL_PROBLEMS = Counter("yuqing_crawl_problems", "Problems counted by crawls (login_wall, captcha, http_429, ...)",
                         ["source", "problem"])
JOB_RUNS = Counter("yuqing_job_runs", "Scheduler job runs by result (ok, failed)", ["job", "result"])

_OUTCOMES = {"stored_new": "new", "stored_updated": "updated", "queued": "queued", "store_failed": "failed"}
# Report keys that count work rather than problems (as crawlers/health.py judges a run).
_NOT_PROBLEMS = {"items", "pages", "pages_ok", "empty", "deleted", "known", "stored_new", "stored_updated", "queued",
                 "store_failed", "relevant", "evidence", "backfill_pages", "comments_requested", "finish_reason",
                 "source", "nlp"}


class NlpTimings(Collector):
    """A histogram of seconds per analysed mention, per source, that can also add up the
    snapshots of other processes (crawl children report theirs when they end)."""

    def __init__(self, buckets: tuple[float, ...] = NLP_BUCKETS) -> None:
        self.buckets = buckets
        self._lock = threading.Lock()
        self._counts: dict[str, list[int]] = {}
        self._sums: dict[str, float] = {}

    def observe(self, source: str, seconds: float) -> None:
        with self._lock:
            counts = self._counts.setdefault(source, [0] * (len(self.buckets) + 1))
            counts[bisect_left(self.buckets, seconds)] += 1
            self._sums[source] = self._sums.get(source, 0.0) + seconds

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready: {"buckets": [...], "sources": {source: {"counts": [...], "sum": s}}}."""
        with self._lock:
            return {"buckets": list(self.buckets),
                    "sources": {s: {"counts": list(c), "sum": self._sums[s]} for s, c in self._counts.items()}}

    def merge(self, snapshot: Mapping[str, Any]) -> None:
        """Add another process's snapshot (ignored unless its buckets are ours)."""
        if tuple(snapshot.get("buckets") or ()) != self.buckets:
            return
        with self._lock:
            for source, part in (snapshot.get("sources") or {}).items():
                counts = self._counts.setdefault(source, [0] * (len(self.buckets) + 1))
                for i, n in enumerate(part.get("counts", [])[: len(counts)]):
                    counts[i] += int(n)
                self._sums[source] = self._sums.get(source, 0.0) + float(part.get("sum", 0.0))

    def collect(self) -> Iterator[Any]:
        latency = HistogramMetricFamily("yuqing_nlp_analyze_seconds", "Seconds to analyse one mention "
                                        "(clean, segment, relevance, sentiment, categories)", labels=["source"])
        mentions = CounterMetricFamily("yuqing_nlp_mentions", "Mentions analysed", labels=["source"])
        with self._lock:
            for source, counts in sorted(self._counts.items()):
                cumulative, running = [], 0
                for bound, n in zip((*map(str, self.buckets), "+Inf"), counts, strict=True):
                    running += n
                    cumulative.append((bound, running))
                latency.add_metric([source], cumulative, sum_value=self._sums[source])
                mentions.add_metric([source], running)
        yield latency
        yield mentions


NLP = NlpTimings()
REGISTRY.register(NLP)


def record_crawl(source: str, report: Mapping[str, Any] | None, *, result: str) -> None:
    """Add one crawl child's report (its JSON line) to the counters."""
    CRAWL_RUNS.labels(source, result).inc()
    if not report:
        return
    for key, outcome in _OUTCOMES.items():
        value = report.get(key)
        if isinstance(value, int | float) and value > 0:
            CRAWL_ITEMS.labels(source, outcome).inc(value)
    for key, value in report.items():
        if key in _NOT_PROBLEMS or not isinstance(value, int | float) or value <= 0 or "/" in key:
            continue
        CRAWL_PROBLEMS.labels(source, key).inc(value)
    if isinstance(report.get("nlp"), Mapping):
        NLP.merge(report["nlp"])
