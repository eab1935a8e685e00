"""The site checks' entry points: run the checks (store, then track incidents) and read
back what the API and the CLI show."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from crawlers.sitecheck.checker import check_targets
from crawlers.sitecheck.incidents import IncidentEvents, IncidentHooks, track
from crawlers.sitecheck.records import CheckResult, Incident, WindowStats
from crawlers.sitecheck.store import SiteStore
from yuqing import __version__
from yuqing.records import SHANGHAI
from yuqing.settings import Settings
from yuqing.settings_sites import SiteTarget


class UnknownTarget(ValueError):
    """A target name that is not configured."""


def open_site_store(settings: Settings) -> SiteStore:
    return SiteStore(settings.storage.sites_db)


def select_targets(settings: Settings, names: Sequence[str] | None = None) -> list[SiteTarget]:
    """The configured targets, or the named ones (UnknownTarget for a name not configured)."""
    targets = settings.sites.targets
    if not names:
        return list(targets)
    known = {t.name: t for t in targets}
    missing = [n for n in names if n not in known]
    if missing:
        raise UnknownTarget(f"未配置的检查目标: {', '.join(missing)}（已配置: {', '.join(known) or '无'}）")
    return [known[n] for n in dict.fromkeys(names)]


@dataclass(slots=True)
class RunReport:
    run_id: int | None
    results: list[CheckResult]
    events: IncidentEvents = field(default_factory=IncidentEvents)

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if not r.ok]


def run_site_checks(settings: Settings, *, names: Sequence[str] | None = None, now: datetime | None = None,
                    hooks: IncidentHooks | None = None, store: SiteStore | None = None,
                    save: bool = True, concurrency: int | None = None) -> RunReport:
    """Check the targets once; store the results and open/recover incidents (unless save=False)."""
    targets = select_targets(settings, names)
    started = now or datetime.now(SHANGHAI)
    results = asyncio.run(check_targets(targets, sites=settings.sites, now=now, concurrency=concurrency,
                                        user_agent=settings.crawl.user_agent.format(version=__version__)))
    if not save:
        return RunReport(run_id=None, results=results)
    owned = store is None
    store = store or open_site_store(settings)
    try:
        run_id = store.save_run(results, started_at=started, finished_at=now or datetime.now(SHANGHAI),
                                keep_days=settings.sites.keep_days)
        events = track(store, results, targets={t.name: t for t in targets},
                       threshold=settings.sites.failures_to_alert, hooks=hooks or IncidentHooks())
    finally:
        if owned:
            store.close()
    return RunReport(run_id=run_id, results=results, events=events)


@dataclass(slots=True)
class TargetOverview:
    target: SiteTarget
    interval_minutes: int
    last: CheckResult | None
    incident: Incident | None
    windows: list[WindowStats]


def overview(settings: Settings, store: SiteStore, *, now: datetime | None = None) -> list[TargetOverview]:
    """Every configured target with its last result, open incident and window statistics."""
    targets = settings.sites.targets
    latest = store.latest()
    incidents = store.open_incidents()
    stats = store.stats(now=now or datetime.now(SHANGHAI), targets=[t.name for t in targets])
    return [TargetOverview(target=t, interval_minutes=settings.sites.interval_of(t), last=latest.get(t.name),
                           incident=incidents.get(t.name), windows=stats[t.name]) for t in targets]
