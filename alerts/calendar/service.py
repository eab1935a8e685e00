"""The operations calendar: record planned operations and find the one that explains a mention.

A mention matches a planned event when it was published during the event (from
`LEAD_HOURS` before its start, when notices go out, until `TAIL_HOURS` after its end, when
complaints about slow restoration arrive), it falls in one of the event's complaint
categories, and it names one of the event's areas (an event without areas covers the whole
service area).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from alerts.actor import Actor
from alerts.calendar.models import PlannedEvent, PlannedKind
from alerts.errors import Invalid, NotFound
from yuqing.records import Category

LEAD_HOURS = 24
TAIL_HOURS = 12
# What each kind of operation usually makes people complain about, when the event names no categories.
DEFAULT_CATEGORIES: dict[PlannedKind, list[str]] = {
    PlannedKind.planned_outage: [Category.outage.value],
    PlannedKind.works: [Category.construction.value, Category.outage.value],
    PlannedKind.tariff: [Category.billing.value],
    PlannedKind.heating_season: [Category.outage.value, Category.billing.value],
    PlannedKind.other: [],
}


def _validate(*, title: str, starts_at: datetime, ends_at: datetime, areas: list[str], categories: list[str]) -> None:
    if not title.strip():
        raise Invalid("请填写计划名称")
    if ends_at <= starts_at:
        raise Invalid("结束时间必须晚于开始时间")
    if ends_at - starts_at > timedelta(days=366):
        raise Invalid("计划时长不能超过一年")
    if any(not area.strip() for area in areas):
        raise Invalid("区域名称不能为空")
    unknown = [c for c in categories if c not in Category.__members__]
    if unknown:
        raise Invalid(f"未知投诉类别：{'、'.join(unknown)}")


def _no_twin(session: Session, *, title: str, starts_at: datetime, ends_at: datetime,
             own_id: int | None = None) -> None:
    """One entry per operation: a second one of the same name over the same time is a slip (two
    entries would explain the same complaints, and only one of them with the wording)."""
    twin = select(PlannedEvent.id).where(PlannedEvent.title == title, PlannedEvent.starts_at < ends_at,
                                         PlannedEvent.ends_at > starts_at)
    if own_id is not None:
        twin = twin.where(PlannedEvent.id != own_id)
    if session.scalar(twin.limit(1)) is not None:
        raise Invalid(f"已有同名且时间重叠的计划作业“{title}”，请修改原有条目")


def create_event(session: Session, *, kind: PlannedKind, title: str, starts_at: datetime, ends_at: datetime,
                 actor: Actor, now: datetime, areas: list[str] | None = None, categories: list[str] | None = None,
                 notice: str = "", wording: str = "") -> PlannedEvent:
    """Record a planned operation (计划停气, 施工, 调价, 供暖季)."""
    areas, categories = [a.strip() for a in areas or []], list(categories or [])
    _validate(title=title, starts_at=starts_at, ends_at=ends_at, areas=areas, categories=categories)
    _no_twin(session, title=title.strip(), starts_at=starts_at, ends_at=ends_at)
    event = PlannedEvent(kind=PlannedKind(kind).value, title=title.strip(), areas=areas, categories=categories,
                         starts_at=starts_at, ends_at=ends_at, notice=notice, wording=wording,
                         created_by=actor.name, created_at=now, updated_at=now)
    session.add(event)
    session.flush()
    return event


def update_event(session: Session, *, event_id: int, now: datetime, **changes: object) -> PlannedEvent:
    """Change some fields of a planned operation (validated as a whole)."""
    event = get_event(session, event_id=event_id)
    allowed = {"kind", "title", "starts_at", "ends_at", "areas", "categories", "notice", "wording"}
    for key, value in changes.items():
        if key not in allowed:
            raise Invalid(f"不能修改字段 {key}")
        if value is not None:
            setattr(event, key, PlannedKind(value).value if key == "kind" else value)
    _validate(title=event.title, starts_at=event.starts_at, ends_at=event.ends_at, areas=event.areas,
              categories=event.categories)
    _no_twin(session, title=event.title, starts_at=event.starts_at, ends_at=event.ends_at, own_id=event.id)
    event.updated_at = now
    session.flush()
    return event


def delete_event(session: Session, *, event_id: int) -> None:
    get_event(session, event_id=event_id)
    session.execute(delete(PlannedEvent).where(PlannedEvent.id == event_id))


def get_event(session: Session, *, event_id: int) -> PlannedEvent:
    event = session.get(PlannedEvent, event_id)
    if event is None:
        raise NotFound(f"计划 {event_id} 不存在")
    return event


def list_events(session: Session, *, since: datetime | None = None,
                until: datetime | None = None) -> list[PlannedEvent]:
    """Planned operations overlapping [since, until), earliest first."""
    query = select(PlannedEvent).order_by(PlannedEvent.starts_at, PlannedEvent.id)
    if since is not None:
        query = query.where(PlannedEvent.ends_at > since)
    if until is not None:
        query = query.where(PlannedEvent.starts_at < until)
    return list(session.scalars(query))


def _categories(event: PlannedEvent) -> set[str]:
    return set(event.categories or DEFAULT_CATEGORIES.get(PlannedKind(event.kind), []))


def _in_area(event: PlannedEvent, text: str, place: str) -> bool:
    return not event.areas or any(area in text or area in place for area in event.areas)


def explains(event: PlannedEvent, *, at: datetime, categories: Iterable[str], text: str = "",
             place: str = "") -> bool:
    """Whether a planned operation explains a complaint at `at` about `categories` and a place."""
    if not event.starts_at - timedelta(hours=LEAD_HOURS) <= at <= event.ends_at + timedelta(hours=TAIL_HOURS):
        return False
    kinds = _categories(event)
    if kinds and kinds.isdisjoint(set(categories)):  # an event without categories explains any complaint
        return False
    return _in_area(event, text, place)


def match_event(session: Session, *, at: datetime, categories: Iterable[str], text: str = "",
                place: str = "") -> PlannedEvent | None:
    """The planned operation that explains a mention (or a burst), most recently started first."""
    wanted = list(categories)
    candidates = session.scalars(select(PlannedEvent).where(
        PlannedEvent.starts_at <= at + timedelta(hours=LEAD_HOURS),
        PlannedEvent.ends_at >= at - timedelta(hours=TAIL_HOURS),
    ).order_by(PlannedEvent.starts_at.desc()))
    return next((e for e in candidates if explains(e, at=at, categories=wanted, text=text, place=place)), None)
