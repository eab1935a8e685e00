"""`GET /metrics`: Prometheus text format.

Who may read it: an administrator (login token or API key of role admin) or a scraper bearing
`metrics.token` (`Authorization: Bearer ...`); everyone else gets 401/403. It holds counts,
states and latencies only — no ids, names, addresses or secrets — but it does describe the
service's workload, so it is not public. `[metrics] enabled = false` answers 404.

Besides the process's own metrics (`yuqing.metrics`, the HTTP histogram, the Python process
collector: `process_resident_memory_bytes`, ...), figures kept in the databases are read at
scrape time and cached `metrics.cache_seconds`:

- `yuqing_source_state{source,state}` (1 for the current state), `yuqing_source_last_success_timestamp_seconds`,
  `yuqing_source_last_run_items`;
- `yuqing_outbox_entries{status}`: analysed mentions waiting for Elasticsearch or refused by it;
- `yuqing_notifications{status}`: deliveries pending, and failed in the last 24 hours;
- `yuqing_alerts_pending{level}` (the review queue), `yuqing_alerts_opened_24h{level}`;
- `yuqing_tickets_open{department,status}`, `yuqing_tickets_overdue{department}`;
- `yuqing_data_dir_free_bytes`, `yuqing_data_dir_size_bytes` (file system of the data directory);
- `yuqing_component_up{component}`: 0 when a database could not be read for this scrape.

and, read at each scrape, `yuqing_memory_bytes{kind}` (`yuqing.ops.memory.native_memory`): where
the resident memory is when it grows (bytes in use, kept free by the allocator, SQLite's).
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import func, select

from alerts.db import Database, now_shanghai
from alerts.levels import Level
from alerts.models import Alert, AlertStatus
from alerts.notify.models import Delivery, DeliveryStatus
from alerts.tickets.models import Ticket, TicketStatus
from alerts.tickets.queries import overdue_condition
from api.responses import problem
from api.security import credentials, current_actor
from crawlers.health import HealthBook, SourceState
from crawlers.state import CrawlState
from yuqing.ops.disk import space
from yuqing.ops.memory import NativeMemoryCollector
from yuqing.records import Role
from yuqing.settings import Settings

log = logging.getLogger("yuqing.api.metrics")
router = APIRouter(tags=["health"])
Families = list[GaugeMetricFamily]
NATIVE_MEMORY = NativeMemoryCollector()


def _gauge(name: str, documentation: str, labels: list[str], rows: dict[tuple[str, ...], float]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for key, value in sorted(rows.items()):
        family.add_metric(list(key), value)
    return family


def _sources(settings: Settings) -> Families:
    state = CrawlState(settings.storage.crawl_state_db)
    try:
        book = HealthBook(state.conn)
        states, success, items = {}, {}, {}
        for source, _config in settings.sources:
            health = book.get(source)
            current = health.state if health else SourceState.unknown
            for each in SourceState:
                states[(source, each.value)] = float(each == current)
            if health is not None:
                items[(source,)] = float(health.items)
                if health.last_success_at is not None:
                    success[(source,)] = health.last_success_at.timestamp()
    finally:
        state.close()
    return [_gauge("yuqing_source_state", "Source state after its last crawl (1 = current)", ["source", "state"],
                   states),
            _gauge("yuqing_source_last_success_timestamp_seconds", "Last crawl that stored an item", ["source"],
                   success),
            _gauge("yuqing_source_last_run_items", "Items read by the source's last crawl", ["source"], items)]


def _outbox(settings: Settings) -> Families:
    counts: dict[tuple[str, ...], float] = {("pending",): 0.0, ("rejected",): 0.0}
    if settings.es.url and settings.storage.es_outbox_db.exists():
        from store.outbox import Outbox

        outbox = Outbox(settings.storage.es_outbox_db)
        try:
            counts.update({(k.value,): float(v) for k, v in outbox.counts().items()})
        finally:
            outbox.close()
    return [_gauge("yuqing_outbox_entries", "Analysed mentions waiting for Elasticsearch (pending) or refused "
                   "by it (rejected)", ["status"], counts)]


def _database(db: Database) -> Families:
    now = now_shanghai()
    with db.read() as session:
        pending = dict(session.execute(select(Alert.level, func.count()).where(
            Alert.status == AlertStatus.pending.value).group_by(Alert.level)).all())
        opened = dict(session.execute(select(Alert.level, func.count()).where(
            Alert.opened_at >= now - timedelta(hours=24)).group_by(Alert.level)).all())
        open_tickets = session.execute(select(Ticket.department, Ticket.status, func.count()).where(
            Ticket.status != TicketStatus.closed.value).group_by(Ticket.department, Ticket.status)).all()
        overdue = dict(session.execute(select(Ticket.department, func.count()).where(
            overdue_condition(now)).group_by(Ticket.department)).all())
        deliveries = {
            "pending": session.scalar(select(func.count()).where(Delivery.status == DeliveryStatus.pending.value)),
            "failed": session.scalar(select(func.count()).where(Delivery.status == DeliveryStatus.failed.value,
                                                                Delivery.created_at >= now - timedelta(hours=24))),
        }
    levels = [level.value for level in Level]
    return [
        _gauge("yuqing_alerts_pending", "Alerts waiting for review (待研判)", ["level"],
               {(lv,): float(pending.get(lv, 0)) for lv in levels}),
        _gauge("yuqing_alerts_opened_24h", "Alerts opened in the last 24 hours", ["level"],
               {(lv,): float(opened.get(lv, 0)) for lv in levels}),
        _gauge("yuqing_tickets_open", "Tickets not closed", ["department", "status"],
               {(d or "-", s): float(n) for d, s, n in open_tickets}),
        _gauge("yuqing_tickets_overdue", "Tickets past a running deadline", ["department"],
               {(d or "-",): float(n) for d, n in overdue.items()}),
        _gauge("yuqing_notifications", "Notification deliveries pending, and failed in the last 24 hours",
               ["status"], {(k,): float(v or 0) for k, v in deliveries.items()}),
    ]


def _disk(settings: Settings) -> Families:
    found = space(settings.storage.data_dir)
    return [_gauge("yuqing_data_dir_free_bytes", "Free bytes where the data directory lives", [], {(): found.free}),
            _gauge("yuqing_data_dir_size_bytes", "Size of the data directory's file system", [], {(): found.total})]


class StoredFigures:
    """The database-backed families, read at most every `cache_seconds`."""

    def __init__(self, settings: Settings, db: Callable[[], Database]) -> None:
        self.settings, self.db = settings, db
        self._lock = threading.Lock()
        self._at = float("-inf")
        self._families: Families = []

    def collect(self) -> Iterator[Any]:
        with self._lock:
            if time.monotonic() - self._at >= self.settings.metrics.cache_seconds:
                self._families, self._at = self._read(), time.monotonic()
            return iter(list(self._families))

    def _read(self) -> Families:
        families, up = [], {}
        parts = {"crawl_state": lambda: _sources(self.settings), "outbox": lambda: _outbox(self.settings),
                 "database": lambda: _database(self.db()), "data_dir": lambda: _disk(self.settings)}
        for component, read in parts.items():
            try:
                families += read()
                up[(component,)] = 1.0
            except Exception as exc:  # a scrape must answer even when a database does not
                log.warning("metrics: cannot read %s: %s", component, type(exc).__name__)
                up[(component,)] = 0.0
        return [*families, _gauge("yuqing_component_up", "1 when the component could be read for this scrape",
                                  ["component"], up)]

    def text(self) -> bytes:
        return generate_latest(self)  # a registry is anything with collect()


def metrics_reader(request: Request, token: Annotated[str | None, Depends(credentials)]) -> None:
    """The metrics token, or an administrator."""
    settings: Settings = request.app.state.settings
    if not settings.metrics.enabled:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "未启用指标接口（metrics.enabled）")
    expected = settings.metrics.token
    if token and expected is not None and hmac.compare_digest(token.encode(), expected.get_secret_value().encode()):
        return
    actor = current_actor(request, token)
    if actor.role != Role.admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "无权读取指标（需要：管理员，或监控系统的 metrics.token）")


@router.get("/metrics", summary="Prometheus metrics (administrators, or the scraper's metrics.token)",
            response_class=Response, dependencies=[Depends(metrics_reader)],
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"},
                       401: problem("no valid credentials"), 403: problem("not an administrator"),
                       404: problem("metrics are switched off")})
def metrics(request: Request) -> Response:
    figures: StoredFigures = request.app.state.figures
    return Response(generate_latest(REGISTRY) + generate_latest(NATIVE_MEMORY) + figures.text(),
                    media_type=CONTENT_TYPE_LATEST)
