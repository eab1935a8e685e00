"""Gather what a briefing says from the mention index, the site-check store and any extensions."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from crawlers.sitecheck.store import SiteStore
from nlp.places import CITY_WIDE, district_of
from store.base import DISTRICT_SCAN, Count, EventSummary, Facet, MentionQuery, MentionStore, Sort
from yuqing.records import (
    CATEGORY_NAMES_ZH,
    PLATFORM_NAMES_ZH,
    Category,
    SentimentLabel,
)
from yuqing.reports.extensions import BriefingExtension
from yuqing.reports.model import (
    Briefing,
    EventLine,
    ExtraSection,
    Figures,
    IncidentLine,
    MentionLine,
    Period,
    SiteSection,
    TargetUptime,
)
from yuqing.settings import Settings
from yuqing.settings_sites import TARGET_KIND_NAMES_ZH

log = logging.getLogger("yuqing.reports")
TREND_DAYS = 7  # the trend chart shows at least this many days up to the period's end
ACTIVE = timedelta(hours=24)  # an event with mentions this close to the period's end is still active


_PLATFORMS = {k.value: v for k, v in PLATFORM_NAMES_ZH.items()}
_CATEGORIES = {k.value: v for k, v in CATEGORY_NAMES_ZH.items()}


def _zh_platform(value: str) -> str:
    return _PLATFORMS.get(value, value)


def _zh_category(value: str) -> str:
    return _CATEGORIES.get(value, value)


def district_counts(places: list[Count]) -> list[Count]:
    """Place facet values summed by district (区县), largest first; mentions naming only the city
    are no district: counted as CITY_WIDE, listed last."""
    sums: dict[str, int] = {}
    for place in places:
        if district := district_of(place.value):
            sums[district] = sums.get(district, 0) + place.count
    ranked = sorted(sums.items(), key=lambda kv: (kv[0] == CITY_WIDE, -kv[1], kv[0]))
    return [Count(value=value, count=count) for value, count in ranked]


def _top_districts(counts: list[Count], limit: int = 10) -> list[Count]:
    """The largest districts, and the city-wide row whenever there is one."""
    districts = [c for c in counts if c.value != CITY_WIDE][:limit]
    return districts + [c for c in counts if c.value == CITY_WIDE]


def figures(store: MentionStore, query: MentionQuery) -> Figures:
    shares = {c.value: c.count for c in store.facet(query, Facet.sentiment, limit=3)}
    return Figures(total=store.count(query), **{s.value: shares.get(s.value, 0) for s in SentimentLabel})


def _event_line(event: EventSummary, period: Period) -> EventLine:
    active = event.last_seen_at >= period.until - ACTIVE
    return EventLine(event_id=event.event_id, summary=event.summary, mentions=event.mentions,
                     negative=event.negative, platforms=[_zh_platform(p) for p in event.platforms],
                     categories=[_zh_category(c) for c in event.categories], place=event.place,
                     first_seen_at=event.first_seen_at, last_seen_at=event.last_seen_at,
                     status="持续发酵" if active else "趋于平息")


def _mention_lines(store: MentionStore, query: MentionQuery, limit: int) -> list[MentionLine]:
    if not limit:
        return []
    page = store.search(query.model_copy(update={"sentiments": [SentimentLabel.negative],
                                                 "sort": Sort.engagement, "limit": limit}))
    return [MentionLine(mention_id=s.mention.id, published_at=s.mention.published_at,
                        platform=_zh_platform(s.mention.platform), author=s.mention.author.name,
                        text=(s.mention.title or s.mention.text)[:120], engagement=s.mention.engagement,
                        url=s.mention.url) for s in page.items]


def site_section(settings: Settings, sites: SiteStore, period: Period) -> SiteSection:
    """Each target's uptime over the period and the incidents open at any time in it."""
    targets = settings.sites.targets
    window = "24h" if period.kind.days == 1 else "7d"
    stats = sites.stats(now=period.until - timedelta(microseconds=1), targets=[t.name for t in targets])
    kinds = {t.name: TARGET_KIND_NAMES_ZH[t.kind] for t in targets}
    uptime = []
    for target in targets:
        row = next(w for w in stats[target.name] if w.window == window)
        uptime.append(TargetUptime(target=target.name, kind=kinds[target.name], checks=row.checks, uptime=row.uptime))
    incidents = []
    for incident in sites.incidents_between(period.since, period.until):
        end = incident.recovered_at
        incidents.append(IncidentLine(
            target=incident.target, kind=kinds.get(incident.target, ""), opened_at=incident.opened_at,
            recovered_at=end, reason=incident.reason_zh, detail=incident.detail,
            minutes=round((end - incident.opened_at).total_seconds() / 60) if end else None))
    return SiteSection(targets=uptime, incidents=incidents)


def _extend(extensions: list[BriefingExtension], events: list[EventLine], period: Period,
            now: datetime) -> list[ExtraSection]:
    extra: list[ExtraSection] = []
    for extension in extensions:
        try:
            statuses = extension.event_status(event_ids=[e.event_id for e in events], now=now)
            for event in events:
                event.status = statuses.get(event.event_id, event.status)
            extra.extend(extension.sections(period=period, now=now))
        except Exception:  # a broken extension never stops the report
            log.exception("briefing extension %s failed; left out", type(extension).__name__)
    return extra


def build_briefing(*, settings: Settings, store: MentionStore, sites: SiteStore, period: Period, now: datetime,
                   extensions: list[BriefingExtension] | None = None) -> Briefing:
    """Everything the report of `period` says, as of `now`."""
    query = MentionQuery(relevant=True, since=period.since, until=period.until)
    previous = query.model_copy(update={"since": period.previous.since, "until": period.previous.until})
    config = settings.reports
    events = [_event_line(e, period) for e in
              store.events(query.model_copy(update={"sentiments": [SentimentLabel.negative]}), config.top_events)]
    extra = _extend(extensions or [], events, period, now)
    return Briefing(
        id=period.report_id, kind=period.kind, title=f"{settings.entity.name}{period.kind.zh}（{period.label}）",
        company=settings.entity.name, period=period, generated_at=now,
        figures=figures(store, query), previous=figures(store, previous), trend=store.trend(query.model_copy(update={
            "since": min(period.since, period.until - timedelta(days=TREND_DAYS))})),
        platforms=[c.model_copy(update={"value": _zh_platform(c.value)})
                   for c in store.facet(query, Facet.platform, 10)],
        categories=[c.model_copy(update={"value": _zh_category(c.value)})
                    for c in store.facet(query, Facet.category, len(Category))],
        districts=_top_districts(district_counts(store.facet(query, Facet.place, DISTRICT_SCAN))),
        keywords=store.keywords(query, 20), events=events,
        negative_mentions=_mention_lines(store, query, config.top_mentions),
        sites=site_section(settings, sites, period), extra=extra)
