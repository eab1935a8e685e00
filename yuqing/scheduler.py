"""The scheduler inside `yuqing run`: each enabled source is crawled on its interval, the
own-site targets are checked on theirs, the own site is crawled for broken links, and the
daily and weekly briefings are made and sent at their configured times.

Every crawl runs as a child process (`yuqing crawl SOURCE`, `yuqing sites crawl`) with a
timeout: a crawl that fails or hangs is logged and simply runs again at its next tick; the
scheduler never dies with it. Site checks run in this process (async HTTP, no reactor),
one job per distinct interval, each checking the targets that share it.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawlers.health import BlockedSource, HealthBook, SourceHealthMonitor
from crawlers.state import CrawlState
from yuqing.records import SHANGHAI
from yuqing.settings import Settings

log = logging.getLogger("yuqing.scheduler")

CrawlRunner = Callable[[str], int]
HEALTH_CHECK_MINUTES = 10
STAGGER_SECONDS = 30
SiteCheckRunner = Callable[[Sequence[str]], object]
SiteCrawlRunner = Callable[[], int]
ReportRunner = Callable[[str, datetime], object]  # (kind, now)


def _child(settings: Settings, args: list[str], label: str, ok_codes: tuple[int, ...] = (0,)) -> int:
    """Run `python -m yuqing ARGS` with the crawl timeout; log how it ended; its exit code."""
    timeout = settings.crawl.timeout_minutes * 60
    try:
        done = subprocess.run([sys.executable, "-m", "yuqing", *args],
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        log.error("%s: stopped after %d min without finishing", label, settings.crawl.timeout_minutes)
        return -1
    if done.returncode not in ok_codes:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        log.error("%s: exit code %d: %s", label, done.returncode, tail[0])
    else:
        log.info("%s: %s", label, done.stdout.strip().splitlines()[-1:] or "done")
    return done.returncode


def crawl_in_child(settings: Settings) -> CrawlRunner:
    """A runner that starts `python -m yuqing crawl SOURCE` and returns its exit code."""
    return lambda source: _child(settings, ["crawl", source], f"crawl {source}")


def site_crawl_in_child(settings: Settings) -> SiteCrawlRunner:
    """`python -m yuqing sites crawl` (exit code 1 means problems were found and stored)."""
    return lambda: _child(settings, ["sites", "crawl"], "site crawl", ok_codes=(0, 1))


def site_checks_in_process(settings: Settings) -> SiteCheckRunner:
    """Check the named targets now, store the results and pass incidents to the wiring's hooks."""

    def run(names: Sequence[str]) -> object:
        from crawlers.sitecheck.service import run_site_checks
        from yuqing.wiring import site_incident_hooks

        report = run_site_checks(settings, names=names, hooks=site_incident_hooks(settings))
        log.info("site checks: %d checked, %d failed", len(report.results), len(report.failed))
        return report

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


def site_check_job(names: Sequence[str], runner: SiteCheckRunner) -> None:
    """One scheduled round of site checks; a failure is logged and the next tick tries again."""
    try:
        runner(names)
    except Exception:  # the scheduler must outlive any single job
        log.exception("site checks %s: failed; will retry at the next interval", ", ".join(names))


def site_crawl_job(runner: SiteCrawlRunner) -> None:
    try:
        runner()
    except Exception:
        log.exception("site crawl: failed; will retry at the next interval")


def reports_in_process(settings: Settings) -> ReportRunner:
    """Make, keep and send the report of the previous day (or 7 days) in this process."""

    def run(kind: str, now: datetime) -> object:
        from yuqing.reports.model import ReportKind
        from yuqing.reports.service import scheduled_report

        return scheduled_report(settings, ReportKind(kind), now=now)

    return run


def report_job(kind: str, runner: ReportRunner, now: datetime | None = None) -> None:
    """One scheduled briefing; a failure is logged and the next run tries again."""
    try:
        runner(kind, now or datetime.now(SHANGHAI))
    except Exception:  # the scheduler must outlive any single job
        log.exception("%s report: failed; will retry at the next run", kind)


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
                    blocked_listeners: list[Callable[[BlockedSource], None]] | None = None,
                    site_runner: SiteCheckRunner | None = None,
                    site_crawler: SiteCrawlRunner | None = None,
                    report_runner: ReportRunner | None = None) -> BackgroundScheduler:
    """A scheduler (not yet started) with one interval job per enabled source, the
    source-health check and the own-site checks. `blocked_listeners` receive each
    blocked-too-long alert."""
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
    if settings.sites.enabled:
        _add_site_jobs(scheduler, settings, site_runner or site_checks_in_process(settings),
                       site_crawler or site_crawl_in_child(settings), start)
    if settings.reports.enabled:
        _add_report_jobs(scheduler, settings, report_runner or reports_in_process(settings))
    return scheduler
