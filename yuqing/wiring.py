"""Builds the stages from settings, so every entry point (CLI, API, crawler, scheduler)
gets the same index, the same database and the same alert evaluation the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from alerts.db import open_database
from alerts.flows import AlertEvaluator
from alerts.notify.service import Notifier
from alerts.rules.loader import RuleBook
from alerts.service import open_operational_alert, operational_alert_open, resolve_operational_alert
from nlp.analyze import Analyzer
from nlp.clean import normalize
from nlp.segment import entity_words, segmenter
from store.base import MentionStore, Tokenizer
from store.evidence import EvidenceStore
from store.sqlite import SQLiteStore
from yuqing.ingest import Ingestor
from yuqing.ops.disk import ALERT_KEY as DISK_ALERT_KEY
from yuqing.ops.disk import MB, DiskGuard, Space, low_space_message, space
from yuqing.records import SHANGHAI
from yuqing.settings import Settings

if TYPE_CHECKING:
    from crawlers.health import BlockedSource
    from crawlers.sitecheck.incidents import IncidentHooks
    from yuqing.reports.extensions import BriefingExtension


def query_tokenizer(settings: Settings) -> Tokenizer:
    """Search text to index words, segmented exactly as mentions are (no models loaded)."""
    words = segmenter(entity_words(settings.entity)).words
    return lambda text: words(normalize(text))


def open_mention_store(settings: Settings) -> MentionStore:
    """The configured mention index: Elasticsearch (with its outbox in the data directory)
    when `es.url` is set, else SQLite in the data directory. StoreUnavailable (one line)
    when Elasticsearch cannot be reached or refuses the credentials."""
    if settings.es.url:
        from store.elasticsearch import ElasticsearchStore
        from store.outbox import Outbox

        outbox = Outbox(settings.storage.es_outbox_db)
        try:
            return ElasticsearchStore.open(settings.es, tokenize=query_tokenizer(settings), outbox=outbox)
        except BaseException:
            outbox.close()
            raise
    return SQLiteStore(settings.storage.mentions_db, query_tokenizer(settings))


def rules_path(settings: Settings) -> Path:
    """The alert rule file administrators edit (created from the shipped defaults when missing)."""
    return settings.alerts.rules_file or settings.storage.data_dir / "alert_rules.yaml"


def build_ingestor(settings: Settings, store: MentionStore | None = None, *, alerts: bool = True) -> Ingestor:
    """Analyse → store → notify, with every configured listener attached: alert evaluation of
    every newly stored mention (its notices go out after each alert's transaction commits)."""
    ingestor = Ingestor(Analyzer(settings), store or open_mention_store(settings),
                        space_guard=disk_guard(settings, alert=alerts).check)
    if alerts:
        db = open_database(settings)
        notifier = Notifier(db, settings)
        db.on_notices = notifier.publish
        ingestor.listen(AlertEvaluator(db, RuleBook(rules_path(settings), db=db), settings))
        ingestor.on_close(notifier.close)
        ingestor.on_close(db.close)
    return ingestor


def disk_guard(settings: Settings, *, alert: bool = True) -> DiskGuard:
    """Ingest's guard against a full data directory; with `alert`, running low opens an
    operations alert for the IT department (once per episode and process)."""

    def on_low(found: Space) -> None:
        with operations_session(settings) as session:
            open_operational_alert(session, key=DISK_ALERT_KEY, title="数据目录磁盘空间不足，采集入库已暂停",
                                   detail=low_space_message(found, settings.storage.min_free_mb),
                                   settings=settings, now=datetime.now(SHANGHAI))

    return DiskGuard(settings.storage.data_dir, settings.storage.min_free_mb, on_low=on_low if alert else None)


def disk_space_check(settings: Settings) -> Space:
    """The scheduler's periodic look at the data directory: below `storage.min_free_mb` an
    operations alert is opened (once; later checks add nothing while it is open), and once
    space is back the alert is marked recovered."""
    found = space(settings.storage.data_dir)
    limit = settings.storage.min_free_mb
    with operations_session(settings) as session:
        if limit and found.free < limit * MB:
            if not operational_alert_open(session, key=DISK_ALERT_KEY):
                open_operational_alert(session, key=DISK_ALERT_KEY, title="数据目录磁盘空间不足，采集入库已暂停",
                                       detail=low_space_message(found, limit), settings=settings,
                                       now=datetime.now(SHANGHAI))
        else:
            resolve_operational_alert(session, key=DISK_ALERT_KEY, settings=settings, now=datetime.now(SHANGHAI),
                                      note=f"磁盘空间已恢复（剩余 {found.free_mb:.0f} MB），采集入库继续")
    return found


def open_evidence_store(settings: Settings) -> EvidenceStore:
    """Raw responses kept for relevant mentions (in the data directory)."""
    return EvidenceStore(settings.storage.evidence_dir)


@contextmanager
def operations_session(settings: Settings) -> Iterator[Session]:
    """A write session on the alerts database whose notices are sent before it closes."""
    db = open_database(settings)
    notifier = Notifier(db, settings)
    db.on_notices = notifier.publish
    try:
        with db.write() as session:
            yield session
    finally:
        notifier.close()
        db.close()


def site_incident_hooks(settings: Settings) -> IncidentHooks:
    """A target failing twice in a row opens an operational alert and a ticket for the IT
    department; its recovery marks the alert recovered and notes it on the ticket."""
    from crawlers.sitecheck.incidents import IncidentHooks

    def on_incident(*, target, result, streak) -> str:
        with operations_session(settings) as session:
            alert = open_operational_alert(
                session, key=f"site:{target.name}", settings=settings, now=result.checked_at, category="online",
                title=f"{target.name} 连续{len(streak)}次检查失败：{result.reason_zh}",
                detail=f"{result.detail}（{result.final_url or target.url}，HTTP {result.http_status or '-'}）")
            return str(alert.id)

    def on_recovery(*, target, result, incident) -> None:
        with operations_session(settings) as session:
            resolve_operational_alert(session, key=f"site:{target.name}", settings=settings,
                                      now=result.checked_at, note=f"{result.checked_at:%Y-%m-%d %H:%M} 检查恢复正常")

    return IncidentHooks(on_incident=on_incident, on_recovery=on_recovery)


def source_blocked_alert(settings: Settings) -> Callable[[BlockedSource], None]:
    """A source blocked longer than its limit opens an operational alert for the IT department."""

    def alert(blocked: BlockedSource) -> None:
        with operations_session(settings) as session:
            open_operational_alert(session, key=f"source:{blocked.source}", title=blocked.message_zh,
                                   detail=blocked.message_zh, settings=settings, now=datetime.now(SHANGHAI))

    return alert


def briefing_extensions(settings: Settings, *, store: MentionStore | None = None) -> list[BriefingExtension]:
    """What later stages add to the daily and weekly briefings: the alerts stage gives each event
    its alert and ticket status and adds the new and overdue tickets (alerts/briefing.py). `store`
    is the report's mention index (to find an event's alert through its mentions). Close each
    extension that has a `close()` after use."""
    from alerts.briefing import AlertBriefing

    return [AlertBriefing(settings=settings, store=store)]
