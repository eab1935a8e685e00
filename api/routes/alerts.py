"""Alerts: the PR review queue (list, filter, confirm → ticket, dismiss, correct, comment) and
the rule file."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, computed_field
from sqlalchemy.orm import Session

from alerts import service
from alerts.actor import Actor, actor_zh
from alerts.calendar.models import PlannedEvent
from alerts.db import now_shanghai
from alerts.levels import LEVEL_MEANING, Level
from alerts.models import AlertKind, AlertStatus
from alerts.notices import category_zh
from alerts.rules.engine import RuleSet
from alerts.rules.loader import RuleFileError
from alerts.tickets.service import suggest_department
from alerts.transitions import ALERT_ACTION_ZH
from api.deps import CacheDep, DbDep, ReadSession, RulesDep, SettingsDep, StoreDep, WriteSession
from api.query import _moment
from api.responses import CONFLICT, NOT_FOUND
from api.routes.calendar import PlannedOut
from api.routes.tickets import ALERT_READERS, TicketOut
from api.security import CurrentActor, require_role
from yuqing.records import Category, Role, SentimentLabel, StoredMention

router = APIRouter(prefix="/api/alerts", tags=["alerts"])
REVIEWERS = ALERT_READERS  # who reads alerts (the ticket page links to them for these roles only)
RULE_READERS = (Role.admin, Role.pr, Role.supervisor)  # who reads the rule file (the 预警规则 page too)
RULE_EDITORS = (Role.admin,)  # who replaces it


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: AlertKind
    level: Level
    status: AlertStatus
    title: str
    summary: str
    category: str
    place: str
    department: str
    reasons: list[str]
    rule_ids: list[str]
    mention_count: int
    opened_at: datetime
    updated_at: datetime
    last_seen_at: datetime
    expected: bool
    calendar_event_id: int | None
    wording: str
    dismiss_reason: str
    version: int
    first_published_at: datetime | None = Field(default=None, description="when its first mention was published")
    last_published_at: datetime | None = Field(default=None, description="when its newest mention was published")

    @computed_field
    @property
    def level_zh(self) -> str:
        return self.level.zh

    @computed_field
    @property
    def status_zh(self) -> str:
        return service.ALERT_STATUS_ZH[self.status]

    @computed_field
    @property
    def category_zh(self) -> str:
        return category_zh(self.category) if self.category else ""


class AlertPage(BaseModel):
    total: int
    page: int
    size: int
    items: list[AlertOut]


class AttachedMention(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    mention_id: str
    level: Level
    rule_ids: list[str]
    place: str
    category: str
    published_at: datetime
    attached_at: datetime
    stored: StoredMention | None = None


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    action: str
    from_value: str
    to_value: str
    comment: str

    @computed_field
    @property
    def action_zh(self) -> str:
        return ALERT_ACTION_ZH.get(self.action, self.action)

    @computed_field(description="who, as people read it (系统 for the system)")
    @property
    def actor_zh(self) -> str:
        return actor_zh(self.actor)


class AlertDetail(AlertOut):
    mentions: list[AttachedMention]
    events: list[EventOut]
    tickets: list[TicketOut]
    allowed_actions: list[str]  # what this user may do with the alert now (buttons in a page)
    suggested_department: str
    planned: PlannedOut | None = Field(default=None, description="the planned operation (运营日历) that explains it")


# Comment and reason lengths are checked by the service (alerts.service.COMMENT_LIMIT): a 422
# in Chinese that does not repeat the text.
class Confirm(BaseModel):
    version: int | None = None
    department: str = ""
    comment: str = ""


class Dismiss(BaseModel):
    reason: str
    version: int | None = None


class Reopen(BaseModel):
    comment: str = ""
    version: int | None = None


class CommentIn(BaseModel):
    text: str


class CorrectionIn(BaseModel):
    mention_id: str
    sentiment: SentimentLabel | None = None
    categories: list[Category] | None = None
    comment: str = ""


class RulesOut(BaseModel):
    text: str
    error: str | None  # why the file on disk is not in force, when it is not
    rules: int
    bursts: int
    levels: dict[str, str] = {level.value: f"{level.zh}：{LEVEL_MEANING[level]}" for level in Level}
    spec: dict[str, Any] = Field(description="the rules in force as parsed (rules, bursts), for display")

    @classmethod
    def of(cls, current: RuleSet, error: str | None) -> RulesOut:
        return cls(text=current.text, error=error, rules=len(current.spec.rules), bursts=len(current.bursts),
                   spec=current.spec.model_dump(mode="json"))


class RulesIn(BaseModel):
    text: str = Field(max_length=200_000)


def _out(alert: object, published: dict[int, tuple[datetime, datetime]]) -> AlertOut:
    out = AlertOut.model_validate(alert)
    out.first_published_at, out.last_published_at = published.get(out.id, (None, None))
    return out


@router.get("", response_model=AlertPage, summary="List and filter alerts, most severe first, then most recently "
                                                  "active",
            dependencies=[require_role(*REVIEWERS)])
def list_alerts(
    request: Request,
    session: ReadSession,
    db: DbDep,
    cache: CacheDep,
    status_: Annotated[list[AlertStatus], Query(alias="status")] = [],  # noqa: B006
    level: Annotated[list[Level], Query()] = [],  # noqa: B006
    kind: Annotated[list[AlertKind], Query()] = [],  # noqa: B006
    category: Category | None = None,
    expected: bool | None = None,
    since: Annotated[str | None, Query(description="last active from this date or date-time")] = None,
    until: Annotated[str | None, Query(description="last active until this date (inclusive) or date-time")] = None,
    q: Annotated[str, Query(max_length=100, description="words in the title")] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> Response:
    filters = service.AlertFilter(statuses=status_, levels=level, kinds=kind,
                                  category=category.value if category else "", expected=expected,
                                  since=_moment("since", since, False),
                                  until=_moment("until", until, True), text=q)

    def compute() -> bytes:
        total, items = service.list_alerts(session, filters=filters, offset=(page - 1) * size, limit=size)
        published = service.publication_times(session, alert_ids=[a.id for a in items])
        return AlertPage(total=total, page=page, size=size,
                         items=[_out(a, published) for a in items]).model_dump_json().encode()

    key = ("alerts", tuple(sorted(request.query_params.multi_items())))  # every reader sees the same alerts
    return Response(cache.get(key, db.generation, compute), media_type="application/json")


@router.get("/rules", response_model=RulesOut, summary="The rules in force and any problem with the file",
            dependencies=[require_role(*RULE_READERS)])
def get_rules(rules: RulesDep) -> RulesOut:
    current = rules.refresh()
    return RulesOut.of(current, rules.error)


@router.put("/rules", response_model=RulesOut,
            summary="Replace the rule file (refused with line and reason if invalid)")
def put_rules(body: RulesIn, rules: RulesDep, actor: Annotated[Actor, require_role(*RULE_EDITORS)]) -> RulesOut:
    try:
        current = rules.save(body.text, by=actor.name, now=now_shanghai())
    except RuleFileError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"规则文件未保存：{exc}") from None
    return RulesOut.of(current, None)


@router.get("/{alert_id}", responses=NOT_FOUND,
            response_model=AlertDetail, summary="One alert with its mentions, trail and tickets",
            dependencies=[require_role(*REVIEWERS)])
def get_alert(alert_id: int, session: ReadSession, store: StoreDep, actor: CurrentActor,
              settings: SettingsDep) -> AlertDetail:
    alert = service.get_alert(session, alert_id=alert_id)
    mentions = []
    for row in service.alert_mentions(session, alert_id=alert_id)[:200]:
        attached = AttachedMention.model_validate(row)
        attached.stored = store.get(row.mention_id)
        mentions.append(attached)
    out = _out(alert, service.publication_times(session, alert_ids=[alert_id]))
    return AlertDetail(**out.model_dump(exclude={"level_zh", "status_zh", "category_zh"}),
                       mentions=mentions,
                       events=[EventOut.model_validate(e) for e in service.alert_events(session, alert_id=alert_id)],
                       tickets=[TicketOut.model_validate(t) for t in service.tickets_of(session, alert_id=alert_id,
                                                                                        actor=actor)],
                       allowed_actions=service.allowed_actions(alert, actor),
                       suggested_department=out.department or suggest_department(settings, category=out.category),
                       planned=_planned(session, alert.calendar_event_id))


def _planned(session: Session, event_id: int | None) -> PlannedOut | None:
    """The calendar entry an alert was matched with (None when there is none, or it was deleted since)."""
    event = session.get(PlannedEvent, event_id) if event_id is not None else None
    return PlannedOut.model_validate(event) if event is not None else None


@router.post("/{alert_id}/confirm", responses=NOT_FOUND | CONFLICT,
             response_model=TicketOut, status_code=status.HTTP_201_CREATED,
             summary="Confirm: open a ticket (assigned at once when a department is given)")
def confirm(alert_id: int, body: Confirm, session: WriteSession, settings: SettingsDep,
            actor: Annotated[Actor, require_role(Role.pr)]) -> TicketOut:
    _, ticket = service.confirm(session, alert_id=alert_id, actor=actor, settings=settings, now=now_shanghai(),
                                version=body.version, department=body.department, comment=body.comment)
    session.commit()
    return TicketOut.model_validate(ticket)


@router.post("/{alert_id}/dismiss", responses=NOT_FOUND | CONFLICT,
             response_model=AlertOut, summary="Dismiss with a reason (the event stays quiet)")
def dismiss(alert_id: int, body: Dismiss, session: WriteSession, settings: SettingsDep,
            actor: Annotated[Actor, require_role(Role.pr)]) -> AlertOut:
    alert = service.dismiss(session, alert_id=alert_id, actor=actor, settings=settings, now=now_shanghai(),
                            reason=body.reason, version=body.version)
    session.commit()
    return AlertOut.model_validate(alert)


@router.post("/{alert_id}/reopen", responses=NOT_FOUND | CONFLICT, response_model=AlertOut, summary="Undo a dismissal")
def reopen(alert_id: int, body: Reopen, session: WriteSession,
           actor: Annotated[Actor, require_role(Role.pr)]) -> AlertOut:
    alert = service.reopen(session, alert_id=alert_id, actor=actor, now=now_shanghai(), comment=body.comment,
                           version=body.version)
    session.commit()
    return AlertOut.model_validate(alert)


@router.post("/{alert_id}/comment", responses=NOT_FOUND, response_model=AlertOut, summary="Add a comment")
def comment(alert_id: int, body: CommentIn, session: WriteSession,
            actor: Annotated[Actor, require_role(Role.pr, Role.supervisor)]) -> AlertOut:
    alert = service.comment(session, alert_id=alert_id, actor=actor, now=now_shanghai(), text=body.text)
    session.commit()
    return AlertOut.model_validate(alert)


@router.post("/{alert_id}/correct", responses=NOT_FOUND | CONFLICT, response_model=StoredMention,
             summary="Correct a mention's sentiment or categories (kept across re-crawls and for retraining)")
def correct(alert_id: int, body: CorrectionIn, session: WriteSession, store: StoreDep, rules: RulesDep,
            actor: Annotated[Actor, require_role(Role.pr)]) -> StoredMention:
    service.correct_mention(session, store=store, alert_id=alert_id, mention_id=body.mention_id, actor=actor,
                            now=now_shanghai(), sentiment=body.sentiment, categories=body.categories,
                            comment=body.comment, rules=rules.refresh())
    session.commit()
    stored = store.get(body.mention_id)
    assert stored is not None
    return stored
