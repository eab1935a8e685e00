"""The scheduler inside `yuqing run`: each enabled source is crawled on its interval.

Every crawl runs as a child process (`yuqing crawl SOURCE`) with a timeout: a crawl that
fails or hangs is logged and simply runs again at its next tick; the scheduler never dies
with it. With Elasticsearch configured, two upkeep jobs join: the outbox is replayed every
few minutes, and (with es.retention_months) expired monthly indices are dropped nightly.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from yuqing.records import SHANGHAI
from yuqing.settings import Settings

log = logging.getLogger("yuqing.scheduler")

CrawlRunner = Callable[[str], int]
OUTBOX_REPLAY_MINUTES = 5


def crawl_in_child(settings: Settings) -> CrawlRunner:
    """A runner that starts `python -m yuqing crawl SOURCE` and returns its exit code."""

    def run(source: str) -> int:
        timeout = settings.crawl.timeout_minutes * 60
        try:
            done = subprocess.run([sys.executable, "-m", "yuqing", "crawl", source],
                                  capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            log.error("crawl %s: stopped after %d min without finishing", source,
                      settings.crawl.timeout_minutes)
            return -1
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            log.error("crawl %s: exit code %d: %s", source, done.returncode, tail[0])
        else:
            log.info("crawl %s: %s", source, done.stdout.strip().splitlines()[-1:] or "done")
        return done.returncode

    return run


def crawl_job(source: str, runner: CrawlRunner) -> None:
    """One scheduled crawl; any failure is logged and the next tick tries again."""
    try:
        runner(source)
    except Exception:  # the scheduler must outlive any single job
        log.exception("crawl %s: failed; will retry at the next interval", source)


def es_upkeep_job(settings: Settings, task: str, now: datetime | None = None) -> dict | list | None:
    """One Elasticsearch upkeep task ("outbox" replay or "retention"); failures are logged."""
    from store.base import StoreError
    from store.elasticsearch import ElasticsearchStore
    from yuqing.wiring import open_mention_store

    try:
        with open_mention_store(settings) as store:
            if not isinstance(store, ElasticsearchStore):
                return None
            if task == "outbox":
                counts = store.replay_outbox()
                if counts["stored"] or counts["rejected"] or counts["waiting"]:
                    log.info("outbox replay: %s", counts)
                return counts
            dropped = store.drop_expired(months=settings.es.retention_months, now=now or datetime.now(SHANGHAI))
            log.info("retention: dropped %d monthly indices %s", len(dropped), dropped)
            return dropped
    except StoreError as exc:
        log.error("elasticsearch %s: %s; will retry at the next interval", task, exc)
    except Exception:  # the scheduler must outlive any single job
        log.exception("elasticsearch %s: failed; will retry at the next interval", task)
    return None


def build_scheduler(settings: Settings, runner: CrawlRunner | None = None,
                    now: datetime | None = None) -> BackgroundScheduler:
    """A scheduler with one interval job per enabled source, plus Elasticsearch upkeep when
    configured (not yet started)."""
    runner = runner or crawl_in_child(settings)
    scheduler = BackgroundScheduler(timezone=SHANGHAI)
    for source, config in settings.sources:
        if not config.enabled:
            continue
        scheduler.add_job(
            crawl_job, IntervalTrigger(minutes=config.interval_minutes, timezone=SHANGHAI),
            args=[source, runner], id=f"crawl:{source}", name=f"crawl {source}",
            max_instances=1, coalesce=True, next_run_time=now or datetime.now(SHANGHAI),
        )
    if settings.es.url:
        scheduler.add_job(es_upkeep_job, IntervalTrigger(minutes=OUTBOX_REPLAY_MINUTES, timezone=SHANGHAI),
                          args=[settings, "outbox"], id="es:outbox", name="replay the Elasticsearch outbox",
                          max_instances=1, coalesce=True)
        if settings.es.retention_months:
            scheduler.add_job(es_upkeep_job, CronTrigger(hour=3, minute=30, timezone=SHANGHAI),
                              args=[settings, "retention"], id="es:retention",
                              name="drop expired monthly indices", max_instances=1, coalesce=True)
    return scheduler
