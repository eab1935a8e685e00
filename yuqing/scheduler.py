"""The scheduler inside `yuqing run`: each enabled source is crawled on its interval.

Every crawl runs as a child process (`yuqing crawl SOURCE`) with a timeout: a crawl that
fails or hangs is logged and simply runs again at its next tick; the scheduler never dies
with it.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from crawlers.health import BlockedSource, HealthBook, SourceHealthMonitor
from crawlers.state import CrawlState
from yuqing.records import SHANGHAI
from yuqing.settings import Settings

log = logging.getLogger("yuqing.scheduler")

CrawlRunner = Callable[[str], int]
HEALTH_CHECK_MINUTES = 10
STAGGER_SECONDS = 30


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


def log_blocked_source(alert: BlockedSource) -> None:
    """The default listener until the alerts stage subscribes: an error line in the log."""
    log.error("%s", alert.message_zh)


def source_health_job(settings: Settings, listeners: list[Callable[[BlockedSource], None]]) -> list[BlockedSource]:
    """Raise an operations alert for each source blocked longer than its limit (once per episode)."""
    state = CrawlState(settings.storage.crawl_state_db)
    try:
        monitor = SourceHealthMonitor(settings, HealthBook(state.conn))
        for listener in listeners:
            monitor.listen(listener)
        return monitor.check(now=datetime.now(SHANGHAI))
    except Exception:  # the scheduler must outlive any single job
        log.exception("source health check failed; will retry at the next interval")
        return []
    finally:
        state.close()


def build_scheduler(settings: Settings, runner: CrawlRunner | None = None,
                    now: datetime | None = None,
                    blocked_listeners: list[Callable[[BlockedSource], None]] | None = None) -> BackgroundScheduler:
    """A scheduler with one interval job per enabled source and the source-health check
    (not yet started). `blocked_listeners` receive each blocked-too-long alert."""
    runner = runner or crawl_in_child(settings)
    scheduler = BackgroundScheduler(timezone=SHANGHAI)
    scheduler.add_job(source_health_job, IntervalTrigger(minutes=HEALTH_CHECK_MINUTES, timezone=SHANGHAI),
                      args=[settings, blocked_listeners or [log_blocked_source]], id="source-health",
                      name="source health", max_instances=1, coalesce=True)
    start = now or datetime.now(SHANGHAI)
    enabled = [(source, config) for source, config in settings.sources if config.enabled]
    for n, (source, config) in enumerate(enabled):
        scheduler.add_job(
            crawl_job, IntervalTrigger(minutes=config.interval_minutes, timezone=SHANGHAI),
            args=[source, runner], id=f"crawl:{source}", name=f"crawl {source}",
            # Staggered first runs: the sources do not all start a crawl process at once.
            max_instances=1, coalesce=True, next_run_time=start + timedelta(seconds=STAGGER_SECONDS * n),
        )
    return scheduler
