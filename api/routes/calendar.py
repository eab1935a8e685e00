"""The operations calendar: planned outages, works, tariff changes, heating season (admins edit)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, computed_field

from alerts.actor import Actor
from alerts.calendar import service as calendar
from alerts.calendar.models import PLANNED_KIND_ZH, PlannedKind
from alerts.db import now_shanghai
from alerts.flows import explain_open_alerts
from api.deps import ReadSession, WriteSession
from api.query import _moment
from api.responses import NOT_FOUND
from api.security import READERS, require_role
from yuqing.records import Category, Role, ShanghaiTime

router = APIRouter(prefix="/api/calendar", tags=["calendar"])
CALENDAR_READERS = READERS  # the 运营日历 page too
CALENDAR_EDITORS = (Role.admin,)


class PlannedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: PlannedKind
    title: str
    areas: list[str]
    categories: list[str]
    starts_at: datetime
    ends_at: datetime
    notice: str
    wording: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    marked_alerts: list[int] = []  # open alerts this entry (just saved) marked 计划内

    @computed_field
    @property
    def kind_zh(self) -> str:
        return PLANNED_KIND_ZH[self.kind]


class PlannedIn(BaseModel):
    kind: PlannedKind
    title: str = Field(max_length=200)
    areas: list[str] = Field(default=[], max_length=50)
    categories: list[Category] = []
    starts_at: ShanghaiTime
    ends_at: ShanghaiTime
    notice: str = Field(default="", max_length=8000)
    wording: str = Field(default="", max_length=8000)


class PlannedPatch(BaseModel):
    kind: PlannedKind | None = None
    title: str | None = Field(default=None, max_length=200)
    areas: list[str] | None = Field(default=None, max_length=50)
    categories: list[Category] | None = None
    starts_at: ShanghaiTime | None = None
    ends_at: ShanghaiTime | None = None
    notice: str | None = Field(default=None, max_length=8000)
    wording: str | None = Field(default=None, max_length=8000)


@router.get("", response_model=list[PlannedOut], summary="Planned operations overlapping a period",
            dependencies=[require_role(*CALENDAR_READERS)])
def list_planned(session: ReadSession,
                 since: Annotated[str | None, Query(description="from this date or date-time")] = None,
                 until: Annotated[str | None, Query(description="until this date (inclusive) or date-time")] = None,
                 ) -> list[PlannedOut]:
    start, end = _moment("since", since, False), _moment("until", until, True)
    if start is not None and end is not None and end <= start:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "结束日期不能早于开始日期")
    events = calendar.list_events(session, since=start, until=end)
    return [PlannedOut.model_validate(e) for e in events]


@router.post("", response_model=PlannedOut, status_code=status.HTTP_201_CREATED, summary="Record a planned operation")
def create_planned(body: PlannedIn, session: WriteSession,
                   actor: Annotated[Actor, require_role(*CALENDAR_EDITORS)]) -> PlannedOut:
    event = calendar.create_event(session, kind=body.kind, title=body.title, starts_at=body.starts_at,
                                  ends_at=body.ends_at, areas=body.areas, categories=[c.value for c in body.categories],
                                  notice=body.notice, wording=body.wording, actor=actor, now=now_shanghai())
    marked = explain_open_alerts(session, event=event, actor=actor, now=now_shanghai())
    session.commit()
    return PlannedOut.model_validate(event).model_copy(update={"marked_alerts": marked})


@router.patch("/{event_id}", responses=NOT_FOUND, response_model=PlannedOut, summary="Change a planned operation")
def update_planned(event_id: int, body: PlannedPatch, session: WriteSession,
                   actor: Annotated[Actor, require_role(*CALENDAR_EDITORS)]) -> PlannedOut:
    changes = body.model_dump(exclude_unset=True)
    if "categories" in changes and changes["categories"] is not None:
        changes["categories"] = [Category(c).value for c in changes["categories"]]
    event = calendar.update_event(session, event_id=event_id, now=now_shanghai(), **changes)
    marked = explain_open_alerts(session, event=event, actor=actor, now=now_shanghai())
    session.commit()
    return PlannedOut.model_validate(event).model_copy(update={"marked_alerts": marked})


@router.delete("/{event_id}", responses=NOT_FOUND,
               status_code=status.HTTP_204_NO_CONTENT, summary="Delete a planned operation",
               dependencies=[require_role(*CALENDAR_EDITORS)])
def delete_planned(event_id: int, session: WriteSession) -> Response:
    calendar.delete_event(session, event_id=event_id)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
