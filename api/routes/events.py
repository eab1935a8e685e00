"""Events: incidents seen across mentions and platforms, with their volume curve."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel

from api.deps import StoreDep
from api.query import FiltersDep, shown
from store.base import EventSummary, MentionQuery, Sort
from yuqing.records import StoredMention

router = APIRouter(prefix="/api/events", tags=["events"])


class EventDetail(BaseModel):
    event: EventSummary
    mentions: list[StoredMention]


@router.get("", response_model=list[EventSummary], summary="Largest events among the matching mentions")
def list_events(filters: FiltersDep, store: StoreDep,
                limit: Annotated[int, Query(ge=1, le=200)] = 20) -> list[EventSummary]:
    return store.events(filters, limit)


@router.get("/{event_id}", response_model=EventDetail, summary="One event with its mentions, oldest first",
            responses={404: {"description": "no event with this id"}})
def get_event(event_id: str, store: StoreDep,
              size: Annotated[int, Query(ge=1, le=500)] = 100) -> EventDetail:
    found = store.events(MentionQuery(event_id=event_id), limit=1)
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"未找到事件：{shown(event_id)}")
    mentions = store.search(MentionQuery(event_id=event_id, sort=Sort.oldest, limit=size)).items
    return EventDetail(event=found[0], mentions=mentions)
