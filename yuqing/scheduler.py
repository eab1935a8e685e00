"""The scheduler inside `yuqing run`: each enabled source is crawled on its interval, the
own-site targets are checked on theirs, the own site is crawled for broken links, and the
closed loop's sweeps run beside them:

- `alerts:bursts` every `alerts.burst_sweep_minutes`: volume bursts against their baseline;
- `tickets:sla` every `tickets.sla_sweep_minutes`: reminders before deadlines, 督办 after them;
- `notify:resend` every 10 minutes: deliveries a stopped process left pending;
- `source-health` every 10 minutes: a source blocked too long opens an operations alert.
- daily and weekly briefings are made and sent at their configured times.

Every crawl runs as a child process (`yuqing crawl SOURCE`, `yuqing sites crawl`) with a
timeout: a crawl that fails or hangs is logged and simply runs again at its next tick; the
scheduler never dies with it, nor with a failing sweep. Site checks run in this process
(async HTTP, no reactor), one job per distinct interval. With Elasticsearch configured, two
upkeep jobs join: the outbox is replayed every few minutes, and (with es.retention_months)
expired monthly indices are dropped nightly.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from alerts.db import Database, now_shanghai, open_database
from alerts.notify.service import Notifier
from alerts.rules.loader import RuleBook
from alerts.scheduled import burst_sweep
from alerts.tickets.scheduled import sla_sweep
from crawlers.health import BlockedSource, HealthBook, SourceHealthMonitor
from crawlers.state import CrawlState
from store.base import MentionStore
from yuqing.children import crawl_in_child, site_crawl_in_child
from yuqing.logs import job_scope
from yuqing.metrics import JOB_RUNS
from yuqing.records import SHANGHAI
from yuqing.settings import Settings
from yuqing.wiring import disk_space_check, open_mention_store, rules_path, source_blocked_alert

log = logging.getLogger("yuqing.scheduler")

T = TypeVar("T")
CrawlRunner = Callable[[str], int]
HEALTH_CHECK_MINUTES = 10
DISK_CHECK_MINUTES = 5
STAGGER_SECONDS = 30
OUTBOX_REPLAY_MINUTES = 5
SiteCheckRunner = Callable[[Sequence[str]], object]
SiteCrawlRunner = Callable[[], int]
ReportRunner = Callable[[str, datetime], object]  # (kind, now)


def site_checks_in_process(settings: Settings) -> SiteCheckRunner:
    """Check the named targets now, store the results and pass incidents to the wiring's hooks."""

    def run(names: Sequence[str]) -> object:
        from crawlers.sitecheck.service import run_site_checks
        from yuqing.wiring import site_incident_hooks

        report = run_site_checks(settings, names=names, hooks=site_incident_hooks(settings))
        log.info("site checks: %d checked, %d failed", len(report.results), len(report.failed))
        return report

    return run


def run_job(name: str, failure: str, work: Callable[..., T], *args: object) -> T | None:
    """Run one scheduled job under its own job id (every log line of it, and of the child
    processes it starts, carries the id) and count it; any failure is logged and the next tick
    tries again: the scheduler must outlive any single job."""
    with job_scope(name):
        try:
            result = work(*args)
        except Exception:
            JOB_RUNS.labels(name, "failed").inc()
            log.exception("%s", failure)
            return None
        JOB_RUNS.labels(name, "ok").inc()
        return result


def crawl_job(source: str, runner: CrawlRunner) -> None:
    """One scheduled crawl; any failure is logged and the next tick tries again."""
    run_job(f"crawl:{source}", f"crawl {source}: failed; will retry at the next interval", runner, source)


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


def open_loop(settings: Settings, store: MentionStore | None = None) -> Loop:
    db = open_database(settings)
    notifier = Notifier(db, settings)
    db.on_notices = notifier.publish
    return Loop(db=db, rules=RuleBook(rules_path(settings), db=db), notifier=notifier,
                store=store or open_mention_store(settings))


def sweep_job(name: str, sweep: Callable[[datetime], object]) -> None:
    """One scheduled sweep; any failure is logged and the next tick tries again."""
    result = run_job(name, f"{name}: failed; will run again at the next interval", lambda: sweep(now_shanghai()))
    log.debug("%s: %s", name, result)


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


def disk_space_job(settings: Settings) -> None:
    """Open (or, once space is back, resolve) the low-disk operations alert."""
    found = run_job("disk-space", "disk space check failed; will retry at the next interval", disk_space_check,
                    settings)
    if found is not None and settings.storage.min_free_mb and found.free_mb < settings.storage.min_free_mb:
        log.error("data directory %s: %.0f MB free, below storage.min_free_mb = %d; ingest is paused",
                  settings.storage.data_dir, found.free_mb, settings.storage.min_free_mb)


def log_blocked_source(alert: BlockedSource) -> None:
    """The default listener until the alerts stage subscribes: an error line in the log."""
    log.error("%s", alert.message_zh)


def source_health_job(settings: Settings, listeners: list[Callable[[BlockedSource], None]]) -> list[BlockedSource]:
    """Raise an operations alert for each source blocked longer than its limit (once per episode)."""

    def check() -> list[BlockedSource]:
        state = CrawlState(settings.storage.crawl_state_db)
        try:
            monitor = SourceHealthMonitor(settings, HealthBook(state.conn))
            for listener in listeners:
                monitor.listen(listener)
            return monitor.check(now=datetime.now(SHANGHAI))
        finally:
            state.close()

    return run_job("source-health", "source health check failed; will retry at the next interval", check) or []


def es_upkeep_job(settings: Settings, task: str, now: datetime | None = None) -> dict | list | None:
    """One Elasticsearch upkeep task ("outbox" replay or "retention"); failures are logged."""
    with job_scope(f"es:{task}"):
        return _es_upkeep(settings, task, now)


def _es_upkeep(settings: Settings, task: str, now: datetime | None) -> dict | list | None:
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


def site_check_job(names: Sequence[str], runner: SiteCheckRunner) -> None:
    """One scheduled round of site checks; a failure is logged and the next tick tries again."""
    run_job("sites:check", f"site checks {', '.join(names)}: failed; will retry at the next interval", runner, names)


def site_crawl_job(runner: SiteCrawlRunner) -> None:
    run_job("sites:crawl", "site crawl: failed; will retry at the next interval", runner)


def reports_in_process(settings: Settings) -> ReportRunner:
    """Make, keep and send the report of the previous day (or 7 days) in this process."""

    def run(kind: str, now: datetime) -> object:
        from yuqing.reports.model import ReportKind
        from yuqing.reports.service import scheduled_report

        return scheduled_report(settings, ReportKind(kind), now=now)

    return run


def report_job(kind: str, runner: ReportRunner, now: datetime | None = None) -> None:
    """One scheduled briefing; a failure is logged and the next run tries again."""
    run_job(f"report:{kind}", f"{kind} report: failed; will retry at the next run", runner, kind,
            now or datetime.now(SHANGHAI))


def _add_report_jobs(scheduler: BackgroundScheduler, settings: Settings, runner: ReportRunner) -> None:
    from yuqing.settings_reports import hour_minute

    config = settings.reports
    hour, minute = hour_minute(config.daily_time)
    scheduler.add_job(report_job, CronTrigger(hour=hour, minute=minute, timezone=SHANGHAI), args=["daily", runner],
                      id="report:daily", name="daily report", max_instances=1, coalesce=True,
                      misfire_grace_time=3600)
    hour, minute = hour_minute(config.weekly_time)
    scheduler.add_job(report_job, CronTrigger(day_of_week=config.weekly_weekday.cron, hour=hour, minute=minute,
                                              timezone=SHANGHAI), args=["weekly", runner],
                      id="report:weekly", name="weekly report", max_instances=1, coalesce=True,
                      misfire_grace_time=3600)


def _add_site_jobs(scheduler: BackgroundScheduler, settings: Settings, check: SiteCheckRunner,
                   crawl: SiteCrawlRunner, first_run: datetime) -> None:
    sites = settings.sites
    by_interval: dict[int, list[str]] = defaultdict(list)
    for target in sites.targets:
        by_interval[sites.interval_of(target)].append(target.name)
    for minutes, names in sorted(by_interval.items()):
        scheduler.add_job(
            site_check_job, IntervalTrigger(minutes=minutes, timezone=SHANGHAI), args=[names, check],
            id=f"sites:check:{minutes}m", name=f"site checks every {minutes} min", max_instances=1,
            coalesce=True, next_run_time=first_run,
        )
    if sites.crawl.enabled and sites.crawl.start_urls:
        scheduler.add_job(
            site_crawl_job, IntervalTrigger(minutes=sites.crawl.interval_minutes, timezone=SHANGHAI), args=[crawl],
            id="sites:crawl", name="own-site crawl", max_instances=1, coalesce=True, next_run_time=first_run,
        )


def build_scheduler(settings: Settings, runner: CrawlRunner | None = None, now: datetime | None = None,
                    loop: Loop | None = None,
                    blocked_listeners: list[Callable[[BlockedSource], None]] | None = None,
                    site_runner: SiteCheckRunner | None = None,
                    site_crawler: SiteCrawlRunner | None = None,
                    report_runner: ReportRunner | None = None) -> BackgroundScheduler:
    """A scheduler (not yet started) with one interval job per enabled source, the
    source-health check, the own-site checks, and the closed loop's sweeps when `loop` is
    given. `blocked_listeners` receive each blocked-too-long source (by default: the log,
    and with `loop` an operations alert)."""
    runner = runner or crawl_in_child(settings)
    scheduler = BackgroundScheduler(timezone=SHANGHAI)
    if loop is not None:
        add_sweeps(scheduler, settings, loop)
    if blocked_listeners is None:
        blocked_listeners = [log_blocked_source, *([source_blocked_alert(settings)] if loop else [])]
    scheduler.add_job(disk_space_job, IntervalTrigger(minutes=DISK_CHECK_MINUTES, timezone=SHANGHAI), args=[settings],
                      id="disk-space", name="free space in the data directory", max_instances=1, coalesce=True,
                      next_run_time=now or datetime.now(SHANGHAI))
    scheduler.add_job(source_health_job, IntervalTrigger(minutes=HEALTH_CHECK_MINUTES, timezone=SHANGHAI),
                      args=[settings, blocked_listeners], id="source-health",
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
    if settings.es.url:
        scheduler.add_job(es_upkeep_job, IntervalTrigger(minutes=OUTBOX_REPLAY_MINUTES, timezone=SHANGHAI),
                          args=[settings, "outbox"], id="es:outbox", name="replay the Elasticsearch outbox",
                          max_instances=1, coalesce=True)
        if settings.es.retention_months:
            scheduler.add_job(es_upkeep_job, CronTrigger(hour=3, minute=30, timezone=SHANGHAI),
                              args=[settings, "retention"], id="es:retention",
                              name="drop expired monthly indices", max_instances=1, coalesce=True)
    if settings.sites.enabled:
        _add_site_jobs(scheduler, settings, site_runner or site_checks_in_process(settings),
                       site_crawler or site_crawl_in_child(settings), start)
    if settings.reports.enabled:
        _add_report_jobs(scheduler, settings, report_runner or reports_in_process(settings))
    return scheduler
