"""Own-site health: every target's last result, open incident and uptime/latency figures,
one target's history, and the latest crawl's broken links."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel

from api.deps import SettingsDep
from api.responses import NOT_FOUND
from crawlers.sitecheck.records import CheckResult, CrawlReport, Incident, WindowStats
from crawlers.sitecheck.service import overview
from crawlers.sitecheck.store import SiteStore
from yuqing.settings_sites import TARGET_KIND_NAMES_ZH, TargetKind

router = APIRouter(prefix="/api/sites", tags=["sites"])


def get_site_store(request: Request) -> SiteStore:
    return request.app.state.sites


SiteStoreDep = Annotated[SiteStore, Depends(get_site_store)]


class TargetStatus(BaseModel):
    name: str
    kind: TargetKind
    kind_zh: str
    url: str
    interval_minutes: int
    last: CheckResult | None
    incident: Incident | None  # open incident (failing several times in a row), if any
    windows: list[WindowStats]  # 24h, 7d, 30d


class TargetHistory(TargetStatus):
    results: list[CheckResult]  # newest first
    incidents: list[Incident]  # newest first, open and recovered


class SitesOverview(BaseModel):
    checked_at: datetime | None  # newest result of any target
    failing: int  # targets whose last check failed
    crawl_configured: bool  # the crawl for broken links is on and has start URLs
    targets: list[TargetStatus]


def _statuses(settings, store: SiteStore) -> list[TargetStatus]:
    return [TargetStatus(name=o.target.name, kind=o.target.kind, kind_zh=TARGET_KIND_NAMES_ZH[o.target.kind],
                         url=o.target.url, interval_minutes=o.interval_minutes, last=o.last, incident=o.incident,
                         windows=o.windows) for o in overview(settings, store)]


@router.get("", response_model=SitesOverview, summary="Every own-site target: last result, incident, uptime")
def list_sites(settings: SettingsDep, store: SiteStoreDep) -> SitesOverview:
    targets = _statuses(settings, store)
    times = [t.last.checked_at for t in targets if t.last is not None]
    failing = sum(1 for t in targets if t.last and not t.last.ok)
    crawl = settings.sites.crawl
    return SitesOverview(checked_at=max(times, default=None), failing=failing, targets=targets,
                         crawl_configured=crawl.enabled and bool(crawl.start_urls))


@router.get("/crawl", response_model=CrawlReport | None,
            summary="The latest crawl of the own site: broken links and missing resources")
def latest_crawl(store: SiteStoreDep) -> CrawlReport | None:
    return store.latest_crawl()


@router.get("/{name}", responses=NOT_FOUND,
            response_model=TargetHistory, summary="One target with its recent results and incidents")
def site_history(name: str, settings: SettingsDep, store: SiteStoreDep,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> TargetHistory:
    found = next((t for t in _statuses(settings, store) if t.name == name), None)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"未找到站点检查目标：{name}")
    return TargetHistory(**found.model_dump(), results=store.recent(name, limit), incidents=store.incidents(name))
