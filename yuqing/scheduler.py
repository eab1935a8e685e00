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
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from yuqing.records import SHANGHAI
from yuqing.settings import Settings

log = logging.getLogger("yuqing.scheduler")

CrawlRunner = Callable[[str], int]


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


def build_scheduler(settings: Settings, runner: CrawlRunner | None = None,
                    now: datetime | None = None) -> BackgroundScheduler:
    """A scheduler with one interval job per enabled source (not yet started)."""
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
    return scheduler
