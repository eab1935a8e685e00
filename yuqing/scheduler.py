"""The scheduler inside `yuqing run`: each enabled source is crawled on its interval, and the
closed loop's sweeps run beside the crawls:

- `alerts:bursts` every `alerts.burst_sweep_minutes`: volume bursts against their baseline;
- `tickets:sla` every `tickets.sla_sweep_minutes`: reminders before deadlines, 督办 after them;
- `notify:resend` every 10 minutes: deliveries a stopped process left pending.

Every crawl runs as a child process (`yuqing crawl SOURCE`) with a timeout: a crawl that
fails or hangs is logged and simply runs again at its next tick; the scheduler never dies
with it, nor with a failing sweep.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from alerts.db import Database, now_shanghai, open_database
from alerts.notify.service import Notifier
from alerts.rules.loader import RuleBook
from alerts.scheduled import burst_sweep
from alerts.tickets.scheduled import sla_sweep
from store.base import MentionStore
from yuqing.records import SHANGHAI
from yuqing.settings import Settings
from yuqing.wiring import open_mention_store, rules_path

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


@dataclass
class Loop:
    """What the sweeps (and the API in the same process) share: database, rules, notifier, index."""

    db: Database
    rules: RuleBook
    notifier: Notifier
    store: MentionStore

    def close(self) -> None:
        self.notifier.close()
        self.store.close()
        self.db.close()


def open_loop(settings: Settings) -> Loop:
    db = open_database(settings)
    notifier = Notifier(db, settings)
    db.on_notices = notifier.publish
    return Loop(db=db, rules=RuleBook(rules_path(settings), db=db), notifier=notifier,
                store=open_mention_store(settings))


def sweep_job(name: str, sweep: Callable[[datetime], object]) -> None:
    """One scheduled sweep; any failure is logged and the next tick tries again."""
    try:
        result = sweep(now_shanghai())
        log.debug("%s: %s", name, result)
    except Exception:  # the scheduler must outlive any single job
        log.exception("%s: failed; will run again at the next interval", name)


def add_sweeps(scheduler: BackgroundScheduler, settings: Settings, loop: Loop) -> None:
    """The closed loop's periodic jobs."""
    jobs: list[tuple[str, int, Callable[[datetime], object]]] = [
        ("alerts:bursts", settings.alerts.burst_sweep_minutes,
         lambda now: burst_sweep(loop.db, store=loop.store, rules=loop.rules, settings=settings, now=now)),
        ("tickets:sla", settings.tickets.sla_sweep_minutes,
         lambda now: sla_sweep(loop.db, settings=settings, now=now)),
        ("notify:resend", 10, lambda now: loop.notifier.resend_stale(now=now)),
    ]
    for name, minutes, sweep in jobs:
        scheduler.add_job(sweep_job, IntervalTrigger(minutes=minutes, timezone=SHANGHAI), args=[name, sweep],
                          id=name, name=name, max_instances=1, coalesce=True)


def build_scheduler(settings: Settings, runner: CrawlRunner | None = None,
                    now: datetime | None = None, loop: Loop | None = None) -> BackgroundScheduler:
    """A scheduler with one interval job per enabled source, and the sweeps when `loop` is
    given (not yet started)."""
    runner = runner or crawl_in_child(settings)
    scheduler = BackgroundScheduler(timezone=SHANGHAI)
    if loop is not None:
        add_sweeps(scheduler, settings, loop)
    for source, config in settings.sources:
        if not config.enabled:
            continue
        scheduler.add_job(
            crawl_job, IntervalTrigger(minutes=config.interval_minutes, timezone=SHANGHAI),
            args=[source, runner], id=f"crawl:{source}", name=f"crawl {source}",
            max_instances=1, coalesce=True, next_run_time=now or datetime.now(SHANGHAI),
        )
    return scheduler
